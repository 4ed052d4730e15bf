"""Moving a frame's columns into a new frame."""

from __future__ import annotations

import polars as pl

from reconcile.frames import moved


def test_moving_changes_every_column_in_order_and_empties_the_source() -> None:
    """It gives each column changed, in the frame's order and under its name, and leaves the
    moved-from frame without columns, so that no column is held twice once it is changed."""
    source = pl.DataFrame({"a": ["x", "y"], "b": ["1", None], "c": ["p", "q"], "d": ["r", "s"]})
    expected = source.select(pl.all().reverse())
    result = moved(source, lambda column: column.reverse())
    assert result.equals(expected)
    assert result.columns == ["a", "b", "c", "d"]
    assert source.width == 0


def test_moving_a_frame_without_columns_gives_an_empty_frame() -> None:
    """It gives an empty frame for a frame without columns."""
    assert moved(pl.DataFrame(), lambda column: column).shape == (0, 0)
