"""Moving a frame's columns into a new frame, and encoding long text of few values."""

from __future__ import annotations

import polars as pl
import pytest

from reconcile import frames
from reconcile.frames import WIDEST_MOVED, few_values_encoded, moved, taken, taken_rows


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


LONG_VALUES = ["Framed print oak 30x40 cm", 'Poster 12" x 18"', "Phone case Ocean", None]


def test_long_text_of_few_values_is_encoded_with_the_same_values() -> None:
    """It gives long text with few distinct values as a Categorical of its own (not Polars'
    global categories) holding the same values, nulls included."""
    column = pl.Series("description", LONG_VALUES * 50_000)
    encoded = few_values_encoded(column)
    assert isinstance(encoded.dtype, pl.Categorical)
    assert not encoded.dtype.categories.is_global()
    assert encoded.name == "description"
    assert encoded.cast(pl.String).equals(column, null_equal=True)


@pytest.mark.parametrize(
    "column",
    [
        pl.Series("short", ["Mug 11oz", "Tote bag", "Poster A2"] * 70_000),
        pl.Series("distinct", [f"customer note number {n}" for n in range(200_000)]),
        pl.Series("few rows", LONG_VALUES * (frames.FEWEST_ROWS_ENCODED // 4 - 1)),
        pl.Series("numbers", list(range(200_000))),
        pl.Series("empty", [None] * 200_000, dtype=pl.String),
    ],
    ids=lambda column: column.name,
)
def test_other_columns_are_left_as_they_are(column: pl.Series) -> None:
    """It leaves as it is a column whose values are short (held in the view), mostly
    distinct (encoding costs more than it saves), too few to matter, or not text."""
    assert few_values_encoded(column) is column


def test_the_sample_decides_by_the_share_of_distinct_values() -> None:
    """It encodes a column whose sampled values (every tenth of 200,000: 20,000) are at
    most a tenth distinct, and not one with more: 1,999 distinct against 2,003."""
    few = [f"a long product name {n % 1_999}" for n in range(200_000)]
    many = [f"a long product name {n % 2_003}" for n in range(200_000)]
    assert isinstance(few_values_encoded(pl.Series(few)).dtype, pl.Categorical)
    assert few_values_encoded(pl.Series(many)).dtype == pl.String


ROWS = pl.Series(list(range(200_000 - 1, -1, -3)), dtype=pl.UInt32)


def test_long_text_of_few_values_is_taken_as_text_or_as_its_categorical() -> None:
    """It takes the rows asked for, in their order, giving long repeated text back as text
    by default and as its Categorical when asked not to."""
    column = pl.Series("status", LONG_VALUES * 50_000)
    expected = column[ROWS]
    as_text = taken(column, ROWS)
    assert as_text.dtype == pl.String
    assert as_text.equals(expected, null_equal=True)
    encoded = taken(column, ROWS, as_text=False)
    assert isinstance(encoded.dtype, pl.Categorical)
    assert encoded.cast(pl.String).equals(expected, null_equal=True)


def test_taking_rows_gives_what_indexing_gives_and_leaves_the_frame() -> None:
    """It gives ``frame[rows]``, every column as it was typed, and leaves ``frame`` whole."""
    frame = pl.DataFrame(
        {
            "order_id": [f"O{n:08}" for n in range(200_000)],
            "status": LONG_VALUES * 50_000,
            "count": list(range(200_000)),
        }
    )
    result = taken_rows(frame, ROWS)
    assert result.equals(frame[ROWS], null_equal=True)
    assert result.schema == frame.schema
    assert frame.width == 3
