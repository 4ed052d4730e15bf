"""Adjacent floor/job pairs, to see how single runs spread and whether the phase moves the ratio.

``python -m bench.pairs MINUTES [FILE]`` runs ``make bench``'s floor and job commands on the
synth and quoted nights of 5M lines (``BENCH_PAIRS_SIZE`` to choose), one pair after another,
the nights alternating and which program goes first alternating too, for MINUTES; each pair
is appended to FILE as a JSON line (default ``bench-data/pairs.jsonl``). It then prints, per
night, the medians of the pairs' wall and CPU ratios, and how the wall and CPU ratios correlate
with the phase of the machine.

The phase is read from the neighbouring pairs' floors (each divided by its night's median), not
from the pair's own: a pair whose floor was lucky has a larger ratio whatever the phase, since
the same noise is in the ratio's denominator, so correlating a ratio with its own floor finds a
trend where there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.run import DATA, measure, night, programs, quoted_night

Pair = dict[
    str, Any
]  # {"t": "HH:MM:SS", "night": "synth", "floor": [wall, cpu, rss], "job": [...]}


def run_pairs(minutes: float, path: Path, lines: int) -> list[Pair]:
    nights = [("synth", night(lines), False), ("quoted", quoted_night(lines), True)]
    until = time.monotonic() + minutes * 60
    pairs: list[Pair] = []
    with path.open("a") as out:
        while time.monotonic() < until:
            kind, source, quoted = nights[len(pairs) % 2]
            commands, outputs = programs(source, quoted)
            order = ("floor", "job") if len(pairs) // 2 % 2 == 0 else ("job", "floor")
            pair: Pair = {"t": time.strftime("%H:%M:%S"), "night": kind}
            for name in order:
                if name != "job":
                    shutil.rmtree(outputs[name], ignore_errors=True)
                found = measure(commands[name])
                pair[name] = [round(found.wall, 3), round(found.cpu, 3), round(found.rss_mb)]
            out.write(json.dumps(pair) + "\n")
            out.flush()
            pairs.append(pair)
    return pairs


def summary(pairs: Sequence[Pair]) -> list[str]:
    """Per night, the medians of the pairs' ratios; over all, their correlation with the phase."""
    lines = []
    for kind in ("synth", "quoted"):
        of_night = [pair for pair in pairs if pair["night"] == kind]
        if of_night:
            wall = statistics.median(pair["job"][0] / pair["floor"][0] for pair in of_night)
            cpu = statistics.median(pair["job"][1] / pair["floor"][1] for pair in of_night)
            lines.append(
                f"{kind}: {len(of_night)} pairs, wall ratio {wall:.2f}, CPU ratio {cpu:.2f}"
            )
    for at, label in ((0, "wall"), (1, "CPU")):
        phase, ratio = phase_and_ratio(pairs, at)
        if len(phase) >= 3 and len(set(phase)) > 1 and len(set(ratio)) > 1:
            correlation = statistics.correlation(phase, ratio)
            lines.append(f"{label} ratio against the phase: correlation {correlation:.2f}")
    return lines


def phase_and_ratio(pairs: Sequence[Pair], at: int) -> tuple[list[float], list[float]]:
    """For each pair with a neighbour on both sides, the phase its neighbours' floors show
    (each floor divided by its night's median floor, the two averaged) and its own ratio;
    ``at`` 0 for wall time, 1 for CPU time."""
    medians = {
        kind: statistics.median(pair["floor"][at] for pair in pairs if pair["night"] == kind)
        for kind in {pair["night"] for pair in pairs}
    }

    def relative(pair: Pair) -> float:
        return float(pair["floor"][at] / medians[pair["night"]])

    phase = [
        (relative(before) + relative(after)) / 2
        for before, after in zip(pairs, pairs[2:], strict=False)
    ]
    ratio = [pair["job"][at] / pair["floor"][at] for pair in pairs[1:-1]]
    return phase, ratio


def main() -> None:
    minutes = float(sys.argv[1])
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else DATA / "pairs.jsonl"
    DATA.mkdir(exist_ok=True)
    pairs = run_pairs(minutes, path, int(os.environ.get("BENCH_PAIRS_SIZE", "5000000")))
    print("\n".join(summary(pairs)))


if __name__ == "__main__":
    main()
