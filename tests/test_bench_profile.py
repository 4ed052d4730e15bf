"""bench.profile groups perf's samples by kind of native function (make bench-profile)."""

from __future__ import annotations

from collections import Counter

from bench.profile import REST, kind_of, samples_by_kind, table

REPORT = """\
# Samples: 17K of event 'cpu-clock:pppH'
#
           632  libc.so.6                [.] __memmove_avx512_unaligned_erms
           268  _polars_runtime.abi3.so  [.] memchr::arch::x86_64::memchr::memchr3_raw::find_avx2
           210  [kernel.kallsyms]        [k] exc_page_fault
           134  _polars_runtime.abi3.so  [.] <polars_ops::series::ops::is_in::binary::BinaryLookup>::probe
            40  _polars_runtime.abi3.so  [.] <u64 as polars_compute::cast::binary_to::Parse>::parse
            12  libcrypto.so.3           [.] sha256_block_data_order_shaext
             8  _polars_runtime.abi3.so  [.] <polars_core::frame::column::Column>::new_row_index
"""


def test_each_function_counts_under_the_first_kind_its_name_matches() -> None:
    """It puts the kernel's functions under the kernel whatever their names, a sort's under
    sorting, and a function no kind names under the rest."""
    assert kind_of("[kernel.kallsyms]", "memcg1_commit_charge").startswith("kernel")
    assert kind_of("[kernel.kallsyms]", "copy_folio_from_iter_atomic").startswith("kernel")
    assert kind_of("_polars_runtime.abi3.so", "quicksort::<(u32, u64)>") == "sorting"
    assert kind_of("libpython3.11.so.1.0", "_Py_bytes_count").startswith("Python")
    assert kind_of("_polars_runtime.abi3.so", "<Column>::new_row_index") == REST


def test_the_samples_are_summed_by_kind_from_perf_reports_lines() -> None:
    """It reads perf report's sample counts and skips its comment lines."""
    counted = samples_by_kind(REPORT.splitlines())
    assert counted == Counter(
        {
            "`memmove`, `memcmp`": 632,
            "CSV parsing (`memchr`, the reader's builders, UTF-8 checks)": 308,
            "kernel: page faults, zeroing and charging fresh memory, page-cache copies": 210,
            "hashing, `is_in` lookups, joins": 134,
            "SHA-256 of the inputs": 12,
            REST: 8,
        }
    )


def test_the_table_gives_cpu_seconds_per_run_and_the_difference() -> None:
    """It divides by 499 samples a second and by the runs, largest of the job's first, and
    totals both programs."""
    job = Counter({"sorting": 998, REST: 499})
    floor = Counter({"sorting": 1996, "SHA-256 of the inputs": 0})
    assert table(job, floor, runs=2) == [
        "| what | job CPU s | floor CPU s | job - floor |",
        "|---|---:|---:|---:|",
        "| sorting | 1.00 | 2.00 | -1.00 |",
        f"| {REST} | 0.50 | 0.00 | +0.50 |",
        "| SHA-256 of the inputs | 0.00 | 0.00 | +0.00 |",
        "| total | 1.50 | 2.00 | -0.50 |",
    ]
