"""reconcile synth: seeded synthetic nights with realistic proportions."""

from __future__ import annotations

from pathlib import Path

from reconcile.synth import generate
from tests.conftest import invoke, snapshot


def test_same_seed_gives_the_same_night_and_another_seed_does_not(tmp_path: Path) -> None:
    """It writes byte-identical files for the same seed, different ones for another."""
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        result = invoke("synth", tmp_path / name, "--lines", "3000", "--seed", seed)
        assert result.exit_code == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert snapshot(tmp_path / "a") != snapshot(tmp_path / "c")


def test_proportions_and_a_valid_night(tmp_path: Path) -> None:
    """It makes ~2 lines per order, ~15 per batch, every status, ~5% whole-order cancellations,
    and a night the job accepts."""
    counts = generate(tmp_path / "night", 30_000, seed=1)
    assert (counts.batch_items, counts.orders, counts.batches) == (30_000, 15_000, 2_000)
    statuses = {
        line.split(",")[1]
        for line in (tmp_path / "night" / "batches.csv").read_text().splitlines()[1:]
    }
    assert len(statuses) == 11
    cancellations = (tmp_path / "night" / "cancellations.csv").read_text().splitlines()[1:]
    whole = sum(1 for line in cancellations if line.split(",")[1] == "")
    assert 0.04 * counts.orders < whole < 0.07 * counts.orders
    result = invoke("run", tmp_path / "night", "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
