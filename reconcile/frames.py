"""Taking a frame's rows in a new order: moving its columns into a new frame two at a time,
and taking long text of few values through a Categorical.

At tens of millions of rows a copy of a whole frame was a run's peak memory; Polars
works on a column without the GIL, so two threads keep both cores busy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

# Taking a column out of a frame costs time in proportion to the frame's width (Polars
# rebuilds its schema), so taking every column out costs the square of it: a header-only
# file of 32,000 columns took 39 s. Frames wider than this are changed without taking
# their columns out; such a frame's columns are short (people's files are long, not wide),
# so holding them twice for a moment costs little.
WIDEST_MOVED = 64


def moved(frame: pl.DataFrame, change: Callable[[pl.Series], pl.Series]) -> pl.DataFrame:
    """A frame of ``change`` of each of ``frame``'s columns, in order, each column leaving
    ``frame`` as it is changed: at most two columns exist twice, not the whole frame.
    ``frame`` is left without columns when it has at most ``WIDEST_MOVED`` of them (the
    usual input); a wider one keeps them, and the time taken stays in proportion to
    its width."""
    if frame.width > WIDEST_MOVED:
        return pl.DataFrame([change(column) for column in frame.get_columns()])
    taking = threading.Lock()

    def move(name: str) -> pl.Series:
        with taking:  # drop_in_place changes the frame: one thread at a time
            column = frame.drop_in_place(name)
        return change(column)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return pl.DataFrame(list(pool.map(move, frame.columns)))


# Polars keeps a text value of up to 12 bytes inside its view; a longer one lies in a
# buffer the view points to, where the reader put it.
INLINE_BYTES = 12
# From this many rows a column is looked at for repeats (fewer cost too little to matter).
FEWEST_ROWS_ENCODED = 100_000
# How many values, spread evenly over the column, tell whether its values repeat.
SAMPLED = 20_000
# At most this share of the sampled values are distinct in a column that is encoded.
MOST_DISTINCT = 0.1


def few_values_encoded(column: pl.Series) -> pl.Series:
    """``column`` as a Categorical of its own when it is long text with few distinct
    values (as a sample of it shows); else ``column`` itself. The values are the same.

    Reordering text keeps each long value where the reader put it and points to it, so
    writing a reordered column reads its values in random order, a cache miss each. The 5M
    synth night's descriptions (10 values, 15 bytes on average), sorted and written, took
    0.11 s to gather and 0.45-0.52 s to write (CPU 0.85-0.94 s), against 0.08 s to encode,
    0.03 s to gather and 0.14 s to write as a Categorical; at 20M lines the whole write
    stage went from 7.4 s to 4.3 s. With many distinct values encoding costs more than it
    saves (5M values, 1M distinct: 2.4 s against 1.0 s), hence the sample. Each column gets
    categories of its own, which Polars frees with the last column using them.
    """
    if column.dtype != pl.String or column.len() < FEWEST_ROWS_ENCODED:
        return column
    sample = column.gather_every(max(column.len() // SAMPLED, 1))
    long = sample.str.len_bytes().max()
    if long is None or int(long) <= INLINE_BYTES:  # type: ignore[arg-type]
        return column
    if sample.n_unique() > MOST_DISTINCT * sample.len():
        return column
    return column.cast(pl.Categorical(pl.Categories.random()))


def taken(column: pl.Series, rows: pl.Series, *, as_text: bool = True) -> pl.Series:
    """``column[rows]``. Long text of few values (``few_values_encoded``) is taken as a
    Categorical, read in the column's own order rather than in ``rows``' random order;
    ``as_text`` gives it back as text, now laid out in ``rows``' order, for readers that
    want text (rules and checks). The 20M synth night's 10M orders' statuses (4 values, 4
    to 19 bytes), sorted by order_id and written: 0.49 s to gather the orders and 1.24 s to
    write them, against 0.77 s and 0.59 s."""
    encoded = few_values_encoded(column)
    # Indexed, not ``gather``ed (see ``rules.take_rows``).
    result = encoded[rows]
    if as_text and encoded is not column:
        result = result.cast(pl.String)
    return result


def taken_rows(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """``frame``'s rows at the positions ``rows``, in that order, each column ``taken`` as
    text; ``frame`` is left as it is."""
    if frame.width > WIDEST_MOVED:
        return frame[rows]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return pl.DataFrame(list(pool.map(lambda column: taken(column, rows), frame.get_columns())))
