"""make bench: the job against the I/O floor, as whole processes, side by side in one run.

For each size (default 1M, 5M and 20M batch lines; BENCH_SIZES=1000000,5000000
to choose) it generates a seeded night once (bench-data/, reused), and for the
sizes in BENCH_QUOTED_SIZES (default 5M) the same night as another generator
writes it (a quarter of the customers hold a comma, every value quoted where it
needs it). On each night it runs, alternating, (a) the floor (bench/floor.py),
(b) ``reconcile run`` and, on the quoted night, (c) the DuckDB peer
(../shared/bench/peer_duckdb.py, the default rules as one SQL script, which reads
quoted CSV but not bare inch marks), BENCH_REPEATS times (default 3), and prints the
medians of wall time, CPU time (user + sys) and peak RSS, with the ratios b/a and b/c. It then times ``reconcile diff`` of two output folders of
the size nearest 5M against Polars reading both folders, ``reconcile report OUT``
against ``reconcile diff OUT`` on an output folder of that size (its two runs
differing, then alike), and ``reconcile --help`` and ``--version``.

Numbers come from ``os.wait4`` on each child: its own CPU time and peak RSS. Each program
starts after ``os.sync()``, so that none pays for writing back another's files.
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


# The programs run as on a user's machine, where Python keeps the bytecode it compiles: this
# machine's environment says not to (PYTHONDONTWRITEBYTECODE), and the job's own modules,
# installed editable, were compiled anew on every run (0.04 s of CPU).
AS_USERS_RUN = {
    name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"
}


def measure(command: list[str], ok: tuple[int, ...] = (0,)) -> Measure:
    # Every program starts with no other's dirty pages to write back: the floor writes
    # 340 MB without fsync, and the kernel wrote them back during the job that followed
    # (0.1 s of its time, three pairs of runs out of three), while the job fsyncs its own.
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=AS_USERS_RUN
    )
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


# The DuckDB peer: the contract's default rules as one SQL script, what a user might write
# instead (shared with the project, run as it is, never copied in). Absent, it is skipped.
PEER = ROOT.parent / "shared" / "bench" / "peer_duckdb.py"


def quoted_night(lines: int) -> Path:
    """The synthetic night rewritten as another generator writes it: a quarter of the orders'
    customers hold a comma (so they are quoted), and every value that needs quotes has them
    (inch marks too), as a DuckDB script or Polars' quoting reader expects."""
    import polars as pl

    folder = DATA / f"quoted-{lines}"
    if (folder / "cancellations.csv").exists():
        return folder
    source = night(lines)
    folder.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.csv"):
        frame = pl.read_csv(path, infer_schema=False, quote_char=None)
        if path.name == "orders.csv":
            with_comma = pl.col("order_id").hash(seed=SEED) % 4 == 0
            frame = frame.with_columns(
                customer=pl.when(with_comma)
                .then(pl.format("{}, Ltd", pl.col("customer")))
                .otherwise(pl.col("customer"))
            )
        frame.write_csv(folder / path.name, quote_style="necessary", line_terminator="\n")
    return folder


def programs(source: Path, quoted: bool) -> tuple[dict[str, list[str]], dict[str, Path]]:
    """The floor's, the job's and (if present) the DuckDB peer's command on one night, and
    the folder each writes into."""
    label = source.name
    outputs = {name: DATA / f"{name}-out-{label}" for name in ("floor", "job", "duckdb")}
    floor = [sys.executable, str(ROOT / "bench" / "floor.py"), str(source), str(outputs["floor"])]
    commands = {
        "floor": floor + (["--quoted"] if quoted else []),
        "job": [
            sys.executable,
            "-m",
            "reconcile",
            "run",
            str(source),
            "--out",
            str(outputs["job"]),
            "--quiet",
            "--keep",
            "0",
        ],
    }
    if PEER.exists() and quoted:  # the peer reads quoted CSV, not bare inch marks
        commands["duckdb"] = [sys.executable, str(PEER), str(source), str(outputs["duckdb"])]
    return commands, outputs


# The quick phase: a pair counts when its floor took at most this much more than the
# quickest floor the bench saw on that night (a slow phase inflates the floor and flatters
# every ratio); the bench runs pairs until it has at least ``repeats`` such pairs, or gives
# up after BENCH_CAP_MINUTES (default 20) and says so.
QUICK_WITHIN = 0.10


@dataclass(frozen=True)
class Rounds:
    """The medians of the pairs taken in the quick phase, and how they were found."""

    medians: dict[str, Measure]
    quickest_floor: float
    pairs: int
    quick_pairs: int
    gave_up: bool


def quick_pairs(
    rounds: list[dict[str, Measure]], within: float = QUICK_WITHIN
) -> list[dict[str, Measure]]:
    """The rounds whose floor took at most ``within`` more than the quickest floor of all."""
    if not rounds:
        return []
    quickest = min(round_["floor"].wall for round_ in rounds)
    return [round_ for round_ in rounds if round_["floor"].wall <= quickest * (1 + within)]


def bench_size(source: Path, quoted: bool, repeats: int) -> Rounds:
    """Floor, job and (if present) the DuckDB peer on one night, alternating, round after
    round, until ``repeats`` rounds fall in the quick phase (``quick_pairs``) or the time
    cap passes; the medians of those rounds."""
    commands, outputs = programs(source, quoted)
    cap = time.monotonic() + float(os.environ.get("BENCH_CAP_MINUTES", "20")) * 60
    rounds: list[dict[str, Measure]] = []
    while True:
        round_: dict[str, Measure] = {}
        for name, command in commands.items():
            if name != "job":
                shutil.rmtree(outputs[name], ignore_errors=True)
            round_[name] = measure(command)
        rounds.append(round_)
        quick = quick_pairs(rounds)
        gave_up = time.monotonic() > cap
        if len(quick) >= repeats or gave_up:
            break
    chosen = (
        quick if len(quick) >= repeats else sorted(rounds, key=lambda r: r["floor"].wall)[:repeats]
    )
    return Rounds(
        {name: median([round_[name] for round_ in chosen]) for name in commands},
        min(round_["floor"].wall for round_ in rounds),
        len(rounds),
        len(quick),
        len(quick) < repeats,
    )


def another_policy() -> Path:
    """A policy under which the night's outputs differ from the default's in every line file."""
    policy = DATA / "policy.toml"
    policy.write_text('[actions]\n"Pending Production" = "regenerate"\n')
    return policy


def bench_diff(lines: int, repeats: int) -> tuple[Measure, Measure]:
    """reconcile diff of two output folders against Polars reading both."""
    source = night(lines)
    old = DATA / f"job-out-{source.name}"
    new = DATA / f"job-out-{lines}-policy"
    policy = another_policy()
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


def bench_report(lines: int, repeats: int) -> list[tuple[str, Measure, Measure]]:
    """``reconcile diff OUT`` and ``reconcile report OUT`` on one output folder, alternating:
    after the night then the night under a policy (the runs differ), and after the night
    under the policy twice (they are byte for byte the same but for summary.json)."""
    source = night(lines)
    out = DATA / f"report-out-{lines}"
    page = DATA / f"report-{lines}.html"
    policy = another_policy()
    run = [sys.executable, "-m", "reconcile", "run", str(source), "-q", "--out", str(out)]
    diff = [sys.executable, "-m", "reconcile", "diff", str(out)]
    report = [sys.executable, "-m", "reconcile", "report", str(out), "--output", str(page)]
    found = []
    for label, arguments in (
        ("runs differ", [[], ["--policy", str(policy)]]),
        ("runs alike", [["--policy", str(policy)]]),
    ):
        for more in arguments:
            subprocess.run([*run, *more, "--keep", "1"], check=True)
        diffs, reports = [], []
        for _ in range(repeats):
            diffs.append(measure(diff, ok=(0, 1)))
            reports.append(measure(report))
        found.append((label, median(diffs), median(reports)))
    return found


def startup(argument: str, repeats: int = 15) -> float:
    reconcile = str(Path(sys.executable).parent / "reconcile")
    return statistics.median(measure([reconcile, argument]).wall for _ in range(repeats))


def main() -> None:
    sizes = [
        int(size) for size in os.environ.get("BENCH_SIZES", "1000000,5000000,20000000").split(",")
    ]
    quoted_sizes = [
        int(size) for size in os.environ.get("BENCH_QUOTED_SIZES", "5000000").split(",") if size
    ]
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    DATA.mkdir(exist_ok=True)
    print(
        f"machine: {os.cpu_count()} cores; medians of {repeats} runs, the programs alternating"
        + ("" if PEER.exists() else f"; no DuckDB peer at {PEER}")
        + "\n"
    )
    header = (
        "| night | lines | floor wall s | job wall s | wall ratio | floor CPU s | job CPU s "
        "| CPU ratio | floor RSS MB | job RSS MB | RSS ratio | DuckDB wall s | job / DuckDB |"
    )
    rows = [header, "|---|" + "---:|" * 12]
    walls: dict[int, float] = {}
    nights = [("synth", night(lines), False, lines) for lines in sizes] + [
        ("quoted", quoted_night(lines), True, lines) for lines in quoted_sizes
    ]
    for kind, source, quoted, lines in nights:
        rounds = bench_size(source, quoted, repeats)
        found = rounds.medians
        floor, job, peer = found["floor"], found["job"], found.get("duckdb")
        print(
            f"{kind} {lines:,}: {rounds.pairs} rounds, quickest floor {rounds.quickest_floor:.2f} s; "
            + (
                f"gave up after BENCH_CAP_MINUTES with {rounds.quick_pairs} of {repeats} rounds "
                "within 10% of it: the medians below are of the quickest rounds, not a quick phase"
                if rounds.gave_up
                else f"the medians below are of {rounds.quick_pairs} rounds whose floor was within 10% of it"
            ),
            flush=True,
        )
        if kind == "synth":
            walls[lines] = job.wall
        peer_cells = f"{peer.wall:.2f} | {job.wall / peer.wall:.2f}" if peer else "n/a | n/a"
        rows.append(
            f"| {kind} | {lines:,} | {floor.wall:.2f} | {job.wall:.2f} "
            f"| {job.wall / floor.wall:.2f} | {floor.cpu:.2f} | {job.cpu:.2f} "
            f"| {job.cpu / floor.cpu:.2f} | {floor.rss_mb:,.0f} | {job.rss_mb:,.0f} "
            f"| {job.rss_mb / floor.rss_mb:.2f} | {peer_cells} |"
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
    for label, diff_out, report in bench_report(diff_size, max(repeats, 5)):
        print(
            f"{diff_size:,}-line OUT, {label}: reconcile diff OUT {diff_out.wall:.3f} s, "
            f"reconcile report OUT {report.wall:.3f} s; ratio {report.wall / diff_out.wall:.2f}"
        )
    print(
        f"reconcile --help: {startup('--help') * 1000:.0f} ms; --version: {startup('--version') * 1000:.0f} ms (medians of 15)"
    )


if __name__ == "__main__":
    main()
