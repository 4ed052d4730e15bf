"""bench.pairs summarises adjacent floor/job pairs (python -m bench.pairs)."""

from __future__ import annotations

from bench.pairs import Pair, phase_and_ratio, summary


def pair(night: str, floor: float, job: float) -> Pair:
    return {
        "t": "00:00:00",
        "night": night,
        "floor": [floor, 2 * floor, 1],
        "job": [job, 2 * job, 1],
    }


def test_the_phase_of_a_pair_comes_from_its_neighbours_floors() -> None:
    """It reads each inner pair's phase from the floors on either side, each relative to its
    night's median, and pairs it with the inner pair's own ratio."""
    pairs = [pair("synth", 4.0, 5.0), pair("quoted", 5.0, 6.0), pair("synth", 6.0, 6.0)]
    phase, ratio = phase_and_ratio(pairs, 0)
    assert phase == [(4.0 / 5.0 + 6.0 / 5.0) / 2]
    assert ratio == [6.0 / 5.0]


def test_a_ratio_that_follows_its_own_floor_only_shows_no_phase() -> None:
    """It finds no trend with the phase when only each pair's own floor is lucky or not: the
    floors around each pair are alike, so the phase is flat and no correlation is printed."""
    pairs = [pair("synth", floor, 6.0) for floor in (5.0, 4.0, 5.0, 6.0, 5.0)]
    lines = summary(pairs)
    assert lines[0] == "synth: 5 pairs, wall ratio 1.20, CPU ratio 1.20"
    assert not any("correlation" in line for line in lines)


def test_a_ratio_that_rises_with_the_phase_correlates() -> None:
    """It reports a positive correlation when the ratio is larger where the neighbours'
    floors are slower."""
    floors = [4.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.0]
    pairs = [pair("synth", floor, floor * (1 + floor / 20)) for floor in floors]
    lines = summary(pairs)
    assert "wall ratio against the phase: correlation 0.9" in "\n".join(lines)
