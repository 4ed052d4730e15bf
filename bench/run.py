"""make bench: the job against the I/O floor, as whole processes, side by side in one run.

For each size (default 1M, 5M and 20M batch lines; BENCH_SIZES=1000000,5000000
to choose) it generates a seeded night once (bench-data/, reused), then runs,
alternating, (a) the floor (bench/floor.py) and (b) ``reconcile run`` BENCH_REPEATS
times (default 3), and prints the medians of wall time, CPU time and peak RSS of
each, with the ratios b/a. It then times ``reconcile diff`` of two output folders of
the size nearest 5M against Polars reading both folders, and ``reconcile --help``
and ``--version``.

Numbers come from ``os.wait4`` on each child: its own CPU time and peak RSS.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
SEED = 20261126


@dataclass(frozen=True)
class Measure:
    wall: float
    cpu: float
    rss_mb: float


def measure(command: list[str], ok: tuple[int, ...] = (0,)) -> Measure:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in ok:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {error}")
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median(values: list[Measure]) -> Measure:
    return Measure(
        statistics.median(m.wall for m in values),
        statistics.median(m.cpu for m in values),
        statistics.median(m.rss_mb for m in values),
    )


def night(lines: int) -> Path:
    folder = DATA / f"night-{lines}"
    if not (folder / "cancellations.csv").exists():
        print(f"generating {lines:,} lines into {folder} ...", flush=True)
        command = [
            sys.executable,
            "-m",
            "reconcile",
            "synth",
            str(folder),
            "--lines",
            str(lines),
            "--seed",
            str(SEED),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder


def bench_size(lines: int, repeats: int) -> tuple[Measure, Measure]:
    source = night(lines)
    floor_out, job_out = DATA / f"floor-out-{lines}", DATA / f"job-out-{lines}"
    floor_runs, job_runs = [], []
    for _ in range(repeats):
        shutil.rmtree(floor_out, ignore_errors=True)
        floor_runs.append(
            measure([sys.executable, str(ROOT / "bench" / "floor.py"), str(source), str(floor_out)])
        )
        job_runs.append(
            measure(
                [
                    sys.executable,
                    "-m",
                    "reconcile",
                    "run",
                    str(source),
                    "--out",
                    str(job_out),
                    "--quiet",
                    "--keep",
                    "0",
                ]
            )
        )
    return median(floor_runs), median(job_runs)


def bench_diff(lines: int, repeats: int) -> tuple[Measure, Measure]:
    """reconcile diff of two output folders against Polars reading both."""
    source, old = night(lines), DATA / f"job-out-{lines}"
    new = DATA / f"job-out-{lines}-policy"
    policy = DATA / "policy.toml"
    policy.write_text('[actions]\n"Pending Production" = "regenerate"\n')
    command = [sys.executable, "-m", "reconcile", "run", str(source), "-q", "--keep", "0"]
    subprocess.run([*command, "--out", str(new), "--policy", str(policy)], check=True)
    floor_runs, diff_runs = [], []
    for _ in range(repeats):
        floor_runs.append(
            measure([sys.executable, str(ROOT / "bench" / "read_folders.py"), str(old), str(new)])
        )
        diff_runs.append(
            measure([sys.executable, "-m", "reconcile", "diff", str(old), str(new)], ok=(0, 1))
        )
    return median(floor_runs), median(diff_runs)


def startup(argument: str, repeats: int = 15) -> float:
    reconcile = str(Path(sys.executable).parent / "reconcile")
    return statistics.median(measure([reconcile, argument]).wall for _ in range(repeats))


def main() -> None:
    sizes = [
        int(size) for size in os.environ.get("BENCH_SIZES", "1000000,5000000,20000000").split(",")
    ]
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    DATA.mkdir(exist_ok=True)
    print(
        f"machine: {os.cpu_count()} cores; medians of {repeats} runs, floor and job alternating\n"
    )
    header = (
        "| lines | floor wall s | job wall s | wall ratio | floor CPU s | job CPU s "
        "| floor RSS MB | job RSS MB | RSS ratio |"
    )
    rows = [header, "|" + "---:|" * 9]
    walls: dict[int, float] = {}
    for lines in sizes:
        floor, job = bench_size(lines, repeats)
        walls[lines] = job.wall
        rows.append(
            f"| {lines:,} | {floor.wall:.2f} | {job.wall:.2f} | {job.wall / floor.wall:.2f} "
            f"| {floor.cpu:.2f} | {job.cpu:.2f} | {floor.rss_mb:,.0f} | {job.rss_mb:,.0f} "
            f"| {job.rss_mb / floor.rss_mb:.2f} |"
        )
        print(rows[-1], flush=True)
    print()
    print("\n".join(rows))
    if 5_000_000 in walls and 20_000_000 in walls:
        print(f"\njob wall 20M / 5M: {walls[20_000_000] / walls[5_000_000]:.2f} (linear: 4.0)")
    diff_size = min(sizes, key=lambda size: abs(size - 5_000_000))
    read_both, diff = bench_diff(diff_size, repeats)
    print(
        f"\nreconcile diff of two {diff_size:,}-line output folders: {diff.wall:.2f} s; "
        f"Polars reading both folders: {read_both.wall:.2f} s; ratio {diff.wall / read_both.wall:.2f}"
    )
    print(
        f"reconcile --help: {startup('--help') * 1000:.0f} ms; --version: {startup('--version') * 1000:.0f} ms (medians of 15)"
    )


if __name__ == "__main__":
    main()
