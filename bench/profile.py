"""Where the CPU goes, the job beside the floor: ``python -m bench.profile [RUNS]``.

Runs ``make bench``'s floor and job commands on the quoted night of 5M lines
(``BENCH_PROFILE_SIZE`` to choose; ``BENCH_PROFILE_NIGHT=synth`` for the other night) under
``perf record -F 499 -g``, RUNS times each (default 3), alternating, and prints a Markdown
table of CPU seconds per run by kind of native function, for each program and the
difference. perf's software clock counts CPU time, so 499 samples are one CPU second.

Polars is built without frame pointers, so a sample's callers are not known: functions are
put in a row by their names (``KINDS``, the first that matches), which is what the README's
table states. ``perf record --call-graph dwarf`` on one run says which stage calls a function.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.run import night, programs, quoted_night

HERTZ = 499
Kind = tuple[str, Callable[[str, str], bool]]


def _named(pattern: str) -> Callable[[str, str], bool]:
    compiled = re.compile(pattern)
    return lambda _library, symbol: compiled.search(symbol) is not None


# In this order: a function counts under the first kind that matches it.
KINDS: list[Kind] = [
    (
        "kernel: page faults, zeroing and charging fresh memory, page-cache copies",
        lambda library, _symbol: library.startswith("[kernel"),
    ),
    ("SHA-256 of the inputs", lambda library, symbol: "libcrypto" in library or "sha256" in symbol),
    (
        "Python (interpreter, `bytes.count`, GC, imports)",
        lambda library, _symbol: library.startswith(("libpython", "python")),
    ),
    (
        "CSV parsing (`memchr`, the reader's builders, UTF-8 checks)",
        _named(r"csv::read|memchr|CountLines|validate_utf8|push_value|CsvFileReader|Parse>::parse"),
    ),
    ("CSV writing (serializers)", _named(r"csv::write|serialize|MorselSerializer|io_sinks")),
    ("sorting", _named(r"sort|cmp_element|compare_inner|SplitTree|polars_row")),
    ("`memmove`, `memcmp`", _named(r"memcmp|memmove|memcpy|memset")),
    (
        "gathers, filters, rechunks",
        _named(r"gather|take_values|filter|concatenate|arg_where|take_unchecked"),
    ),
    ("hashing, `is_in` lookups, joins", _named(r"hash|is_in|Lookup|HashSet|group_by|probe")),
    (
        "regex and string functions",
        _named(r"regex|starts_with|replace|StrSearcher|strip|contains|total_bytes_len|len_bytes"),
    ),
]
REST = "the rest"

# perf report's lines with -F sample,dso,sym: "   5728  libc.so.6   [.] __memmove_avx512..."
REPORT_OPTIONS = [
    "--no-children",
    "--stdio",
    "-g",
    "none",
    "--sort",
    "dso,sym",
    "-F",
    "sample,dso,sym",
]
REPORTED = re.compile(r"^\s+(\d+)\s+(\S+)\s+\[.\]\s+(.*)$")


def kind_of(library: str, symbol: str) -> str:
    """The kind a native function counts under (``KINDS``), else ``REST``."""
    return next((name for name, matches in KINDS if matches(library, symbol)), REST)


def samples_by_kind(report: Iterable[str]) -> Counter[str]:
    """The samples of each kind in ``perf report --stdio -F sample,dso,sym`` output."""
    counted: Counter[str] = Counter()
    for line in report:
        found = REPORTED.match(line)
        if found:
            samples, library, symbol = found.groups()
            counted[kind_of(library, symbol)] += int(samples)
    return counted


def record(command: list[str], data: Path) -> Counter[str]:
    """Samples of ``command`` under ``perf record``, by kind."""
    subprocess.run(
        ["perf", "record", "-F", str(HERTZ), "-g", "-o", str(data), "--", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    report = subprocess.run(
        ["perf", "report", "-i", str(data), *REPORT_OPTIONS],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return samples_by_kind(report.splitlines())


def table(job: Counter[str], floor: Counter[str], runs: int) -> list[str]:
    """The Markdown table: CPU seconds per run of each kind, the job's largest first."""
    seconds = HERTZ * runs
    lines = [
        "| what | job CPU s | floor CPU s | job - floor |",
        "|---|---:|---:|---:|",
    ]
    for kind in sorted(set(job) | set(floor), key=lambda name: (-job[name], name)):
        difference = (job[kind] - floor[kind]) / seconds
        lines.append(
            f"| {kind} | {job[kind] / seconds:.2f} | {floor[kind] / seconds:.2f}"
            f" | {difference:+.2f} |"
        )
    job_total, floor_total = sum(job.values()) / seconds, sum(floor.values()) / seconds
    lines.append(
        f"| total | {job_total:.2f} | {floor_total:.2f} | {job_total - floor_total:+.2f} |"
    )
    return lines


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    lines = int(os.environ.get("BENCH_PROFILE_SIZE", "5000000"))
    quoted = os.environ.get("BENCH_PROFILE_NIGHT", "quoted") != "synth"
    source = quoted_night(lines) if quoted else night(lines)
    commands, _ = programs(source, quoted)
    counted: dict[str, Counter[str]] = {"floor": Counter(), "job": Counter()}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(runs):
            for name in ("job", "floor") if run % 2 == 0 else ("floor", "job"):
                counted[name] += record(commands[name], Path(scratch) / f"{name}.data")
    print(f"{source.name}, {runs} runs each, CPU seconds per run:")
    print("\n".join(table(counted["job"], counted["floor"], runs)))


if __name__ == "__main__":
    main()
