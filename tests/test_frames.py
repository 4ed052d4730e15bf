"""Moving a frame's columns into a new frame."""

from __future__ import annotations

import polars as pl

from reconcile.frames import WIDEST_MOVED, moved


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


def test_a_wide_frame_is_changed_whole_in_order() -> None:
    """It changes every column of a frame wider than ``WIDEST_MOVED`` in order, under its
    name, without taking the columns out one at a time (each take costs the frame's width:
    a header of 32,000 columns took 39 s)."""
    width = WIDEST_MOVED + 50
    source = pl.DataFrame({f"c{index}": [str(index), None] for index in range(width)})
    result = moved(source, lambda column: column.reverse())
    assert result.columns == source.columns
    assert result.equals(source.select(pl.all().reverse()))
