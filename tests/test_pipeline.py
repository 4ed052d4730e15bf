"""The pipeline's own mechanics: moving frames between stages, and timing the stages."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reconcile import pipeline, rules
from reconcile.config import Options, resolve
from tests.conftest import EXAMPLE


def test_moving_rows_gives_what_copying_gives_and_empties_the_source() -> None:
    """It gathers every column in the given order, as a copy would, and leaves the moved-from
    frame without columns, so that no column is held twice once it is gathered."""
    source = pl.DataFrame({"a": ["x", "y", "z"], "b": ["1", None, "3"], "c": ["p", "q", "r"]})
    rows = pl.Series([2, 0], dtype=pl.UInt32)
    copied = rules.take_rows(source, rows)
    moved = pipeline.move_rows(source, rows)
    assert moved.equals(copied)
    assert moved.rows() == [("z", "3", "r"), ("x", "1", "p")]
    assert source.width == 0


def test_the_pipeline_moving_frames_decides_as_the_pure_rules_do(tmp_path: Path) -> None:
    """It gives the same outputs and counts for the example night as ``rules.reconcile``,
    which copies, although the pipeline moves the batch lines through sort and rules."""
    settings = resolve(Options(input_dir=EXAMPLE, out=tmp_path / "out"))
    timings = pipeline.Timings()
    copied = rules.reconcile(
        pipeline.load(settings.sources, settings.headers, settings.policy, timings).inputs,
        settings.policy,
    )
    loaded = pipeline.load(settings.sources, settings.headers, settings.policy, timings)
    moved = pipeline.decide(pipeline.sort(loaded, timings), settings.policy, timings)
    assert loaded.inputs.batch_items.width == 0  # moved into the sorted, then the kept lines
    for name, frame in copied.files().items():
        assert moved.files()[name].equals(frame), name
    assert moved.counts == copied.counts


def test_timings_keep_wall_and_cpu_time_per_stage_in_the_order_run() -> None:
    """It records each stage's wall and CPU time once per stage, adding up repeated entries,
    and tells ``progress`` each stage's place the first time it starts."""
    told: list[tuple[int, str]] = []
    timings = pipeline.Timings(progress=lambda number, name: told.append((number, name)))
    for name in ("read", "sort", "read"):
        with timings.stage(name):
            sum(range(20_000))
    assert list(timings.seconds) == list(timings.cpu_seconds) == ["read", "sort"]
    assert all(
        seconds >= 0 for seconds in [*timings.seconds.values(), *timings.cpu_seconds.values()]
    )
    assert told == [(1, "read"), (3, "sort")]
