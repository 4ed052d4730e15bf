"""reconcile synth: seeded synthetic nights with realistic proportions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconcile.synth import generate
from tests.conftest import EXAMPLE, invoke, snapshot


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


def test_synth_never_writes_into_a_run_nor_over_a_folder_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 73 for the help's own example run twice: into the run's output link, into the
    run folder itself, and into a non-empty folder unless --force (it wrote through
    out/night's link into the current run and exited 0)."""
    monkeypatch.chdir(tmp_path)
    assert invoke("synth", "out/night", "--lines", "300", "--seed", "7").exit_code == 0
    assert invoke("run", "out/night", "--out", "out/night-run", "-q").exit_code == 0
    published = snapshot(tmp_path / "out" / "night-run")
    run_folder = os.path.realpath("out/night-run")
    for target in ("out/night-run", run_folder, f"{run_folder}/sub"):
        result = invoke("synth", target, "--lines", "300", "--force")
        assert result.exit_code == 73, target
    assert snapshot(tmp_path / "out" / "night-run") == published
    again = invoke("synth", "out/night", "--lines", "300", "--seed", "7")
    assert (again.exit_code, again.stderr) == (
        73,
        "reconcile: out/night is not empty; give a new folder, or --force to write over its files\n",
    )
    assert invoke("synth", "out/night", "--lines", "300", "--seed", "7", "--force").exit_code == 0


def test_init_never_writes_into_a_run(tmp_path: Path) -> None:
    """It exits 73 when --output would land inside an output folder's run, or is the output
    folder's link."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    result = invoke("init", "--output", out / "reconcile.toml")
    assert result.exit_code == 73
    assert "where a run's files are kept; give --output a file of its own" in result.stderr
    assert not (out / "reconcile.toml").exists()
    link = invoke("init", "--output", out)
    assert (link.exit_code, link.stderr) == (
        73,
        f"reconcile: {out} is an output folder (a link to its current run); a file written "
        f"there would replace it: give --output a file of its own, e.g. --output {out}.toml\n",
    )
    assert out.is_symlink()
