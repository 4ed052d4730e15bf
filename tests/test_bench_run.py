"""make bench measures at the quickest phase it sees (bench.run.quick_pairs)."""

from __future__ import annotations

from bench.run import Measure, quick_pairs


def round_of(floor: float, job: float) -> dict[str, Measure]:
    return {"floor": Measure(floor, floor, 1.0), "job": Measure(job, job, 1.0)}


def test_only_rounds_whose_floor_is_near_the_quickest_count() -> None:
    """It keeps the rounds whose floor took at most 10% more than the quickest floor seen,
    so a slow phase's rounds (inflated floor, flattered ratio) are left out."""
    rounds = [round_of(5.0, 6.0), round_of(4.0, 5.2), round_of(4.3, 5.3), round_of(4.41, 5.1)]
    assert [r["floor"].wall for r in quick_pairs(rounds)] == [4.0, 4.3]
    assert quick_pairs([]) == []
