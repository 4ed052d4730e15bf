"""Moving a frame's columns into a new frame, two at a time.

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
