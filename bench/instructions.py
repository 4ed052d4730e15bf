"""make bench-instructions: the instructions the floor and the job execute, counted by callgrind.

Seconds depend on the machine's phase: the same floor took 4.1 to 8.5 s on one machine in
one evening, and a slow phase inflates the floor and the job unequally. An instruction count
does not: callgrind gives the same total for the same program and input, however busy the
machine is. So this is the repeatable check of how much more work the job does than the floor
(``bench/floor.py``, the same commands as ``make bench``), night by night (default: the synth
and quoted nights of 5M batch lines; ``BENCH_INSTRUCTION_SIZE`` to choose).

What it leaves out, as callgrind does: the kernel's work (page faults, reading and writing
files: about a fifth of either program's CPU time, and alike in both), and waiting for memory
(instructions, not cycles). Valgrind also hides the CPU's SHA extensions, so OpenSSL computes
the job's SHA-256 digests in software, at many times the instructions it runs natively:
libcrypto's count is shown apart and left out of the ratio.
Under valgrind a 5M-line night takes 5 to 8 minutes per program.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.run import DATA, night, programs, quoted_night

# callgrind_annotate's lines: "9,656,814,432 (21.21%)  file:function [object]"
ANNOTATED = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+.*\[(?P<object>[^\]]+)\]\s*$")


def instructions(command: list[str], profile: Path) -> tuple[int, int]:
    """The instructions ``command`` executes in user space, and those of them in libcrypto."""
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    annotated = subprocess.run(
        ["callgrind_annotate", "--threshold=100", str(profile)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = counts_in(annotated)
    if found is None:
        raise SystemExit(f"no program totals in callgrind_annotate's output for {profile}")
    return found


def counts_in(annotated: str) -> tuple[int, int] | None:
    """The program's total instructions and libcrypto's, from callgrind_annotate's output
    (every function listed: ``--threshold=100``); None without a total."""
    totals = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", annotated, re.M)
    if totals is None:
        return None
    crypto = sum(
        int(match[1].replace(",", ""))
        for match in map(ANNOTATED.match, annotated.splitlines())
        if match and "libcrypto" in match["object"]
    )
    return int(totals[1].replace(",", "")), crypto


def main() -> None:
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    lines = int(os.environ.get("BENCH_INSTRUCTION_SIZE", "5000000"))
    DATA.mkdir(exist_ok=True)
    rows = [
        "| night | lines | floor instructions | job instructions | of them SHA-256 (software) "
        "| job without SHA-256 | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    print(rows[0] + "\n" + rows[1], flush=True)
    with tempfile.TemporaryDirectory() as temp:
        for kind, source, quoted in (
            ("synth", night(lines), False),
            ("quoted", quoted_night(lines), True),
        ):
            commands, outputs = programs(source, quoted)
            shutil.rmtree(outputs["floor"], ignore_errors=True)
            floor, floor_crypto = instructions(commands["floor"], Path(temp) / "floor.out")
            job, job_crypto = instructions(commands["job"], Path(temp) / "job.out")
            floor_own, job_own = floor - floor_crypto, job - job_crypto
            rows.append(
                f"| {kind} | {lines:,} | {floor / 1e9:,.2f} G | {job / 1e9:,.2f} G "
                f"| {job_crypto / 1e9:,.2f} G | {job_own / 1e9:,.2f} G | {job_own / floor_own:.2f} |"
            )
            print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
