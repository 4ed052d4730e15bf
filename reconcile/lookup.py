"""Exact lookups of text keys: by number when the ids are numbered, else on 64-bit hashes.

Exports usually number their ids: one head, then a number of fixed width
(``B0241462``). Such ids and their numbers correspond one to one, so a key is
found by reading its number and looking in a table by number, without hashing
(``positions_in``): 5M batch lines among 333k batches in 0.22-0.27 s of CPU,
against 0.37-0.49 s on hashes. (Whether 5M lines' orders are among 2.5M orders is
answered no faster that way: reading the numbers costs what it saves.)

Otherwise the lookups are on hashes: joining millions of text keys costs about
twice as much as joining their hashes. Equal strings always hash alike, so a hash
match is a candidate that one string comparison confirms; if two keys of a table
share a hash, or a match turns out to be a collision, the lookup falls back to
the plain string join. ``lookup`` always gives the string join's result;
``is_in_hashed`` compares hashes only (see its docstring for when that is right).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

HASH = "__key_hash"
MATCHED = "__matched_key"


def lookup(keys: pl.Series, table: pl.DataFrame, on: str) -> pl.DataFrame:
    """``table``'s row for each key, in the keys' order (nulls where there is none).

    The result has ``table``'s columns; its ``on`` column is null exactly where the
    key is not in the table. Where ``table[on]`` repeats a key, its first row counts.
    """
    right = table.with_columns(pl.col(on).hash().alias(HASH))
    if right.get_column(HASH).n_unique() == right.height:
        found = (
            keys.hash()
            .alias(HASH)
            .to_frame()
            .join(right, on=HASH, how="left", maintain_order="left")
            .select(table.columns)
        )
        collided = found.get_column(on).is_not_null() & (found.get_column(on) != keys)
        if not collided.any():
            return found
    matched = table.unique(subset=[on], keep="first", maintain_order=True).with_columns(
        pl.col(on).alias(MATCHED)
    )
    return (
        keys.alias(on)
        .to_frame()
        .join(matched, on=on, how="left", maintain_order="left")
        .with_columns(pl.col(MATCHED).alias(on))
        .select(table.columns)
    )


def is_in_hashed(values: pl.Series, pool: pl.Series) -> pl.Series:
    """Whether each value's 64-bit hash is among the pool's: a value in the pool always
    is; a value not in it is too only on a hash collision. For existence checks
    where a false alarm must never happen and the other error is negligible."""
    return values.hash().is_in(pool.hash().implode()).fill_null(False)


# Up to 19 digits fit in 64 bits; 18 leave room.
MAX_DIGITS = 18
# Numbers spread more thinly than this over their range are left to the hash lookups
# (a table by number holds a slot for every number in the range).
SLOTS_PER_ID = 4
SLOTS_MARGIN = 1 << 16
# Slots are numbered with 32-bit integers, as Polars numbers rows.
MAX_SLOTS = 1 << 32


@dataclass(frozen=True)
class Numbering:
    """Ids of one length in bytes that share a head and end in ASCII digits: ``O01810973`` is
    head ``O`` and the number 1810973. Their numbers lie in ``lowest`` to
    ``lowest + slots - 1``; an id's slot is its number less ``lowest``."""

    head: str
    length: int
    lowest: int
    slots: int

    def slots_of(self, keys: pl.Series) -> pl.Series:
        """Each key's slot (UInt32), or null where the key is not an id of this shape in
        range, and so is none of the numbered ids.

        A key of the shape reads as a number exactly when its digits do: Polars reads
        text as an unsigned integer when it is ASCII digits after an optional ``+``
        (tests pin that), so a ``+`` is refused, and every key of one length and head
        that reads as a number has a number of its own.
        """
        key, number = pl.col("key"), pl.col("number")
        of_shape = (
            (key.str.len_bytes() == self.length)
            & key.str.starts_with(self.head)
            & ~key.str.starts_with(self.head + "+")  # (prefix tests: cheap, unlike slices)
            & number.is_between(self.lowest, self.lowest + self.slots - 1)
        )
        return (
            keys.to_frame("key")
            .lazy()
            .with_columns(number=key.str.slice(len(self.head)).cast(pl.UInt64, strict=False))
            # (cast leniently: the rows of another shape are computed too, then dropped)
            .select(pl.when(of_shape).then((number - self.lowest).cast(pl.UInt32, strict=False)))
            .collect()
            .to_series()
        )


def numbering(ids: pl.Series) -> tuple[Numbering, pl.Series] | None:
    """The ids' numbering and each id's slot, when every id is numbered alike and the
    numbers are dense enough; else None.

    Ids of one length lie between the lowest and the highest, so they share what those
    two share, less any digits it ends in: their head; what follows it must be digits.
    """
    length = one_length(ids)
    if length is None:
        return None
    lowest_id, highest_id = str(ids.min()), str(ids.max())
    shared = next(
        (
            at
            for at, (low, high) in enumerate(zip(lowest_id, highest_id, strict=False))
            if low != high
        ),
        min(len(lowest_id), len(highest_id)),
    )
    # the head ends where the digits that end every id begin
    head = lowest_id[:shared].rstrip("0123456789")
    if not 0 < length - len(head.encode()) <= MAX_DIGITS:
        return None
    numbers = numbers_after(ids, head)
    if numbers is None:
        return None
    lowest, highest = int(numbers.min()), int(numbers.max())  # type: ignore[arg-type]
    slots = highest - lowest + 1
    if not dense(slots, ids.len()):
        return None
    return Numbering(head, length, lowest, slots), (numbers - lowest).cast(pl.UInt32)


def numbers_after(ids: pl.Series, head: str) -> pl.Series | None:
    """What follows ``head`` in each id, read as a number (UInt64), when it is ASCII digits in
    every id; else None. ``ids`` are of one length and all start with ``head``.

    Polars reads text as an unsigned integer only when it is ASCII digits after an optional
    ``+`` (tests pin this), and a ``+`` sorts before every digit: what follows the head is
    digits in every id when every one reads as a number and the lowest id's does not start
    with ``+``.
    """
    if str(ids.min())[len(head) :].startswith("+"):
        return None
    numbers = (ids.str.slice(len(head)) if head else ids).cast(pl.UInt64, strict=False)
    return None if numbers.null_count() else numbers


def dense(slots: int, count: int) -> bool:
    """Whether ``count`` numbers spread over ``slots`` are dense enough for a table by number."""
    return slots <= min(SLOTS_PER_ID * count + SLOTS_MARGIN, MAX_SLOTS)


def distinct(numbers: pl.Series) -> bool:
    """Whether no two of ``numbers`` (unsigned integers, no nulls) are equal.

    Where they are dense enough for a table by number (``dense``), each marks its
    slot, and as many slots are marked as there are numbers exactly when none repeats:
    5M item numbers in 0.08 s, against 0.26 s of CPU for Polars' ``n_unique`` (and 0.30
    s for ``n_unique`` of the ids' hashes). Otherwise, ``n_unique``.
    """
    if numbers.len() < 2:
        return True
    lowest, highest = int(numbers.min()), int(numbers.max())  # type: ignore[arg-type]
    slots = highest - lowest + 1
    if not dense(slots, numbers.len()):
        return bool(numbers.n_unique() == numbers.len())
    marked = pl.repeat(False, slots, dtype=pl.Boolean, eager=True).scatter(
        (numbers - lowest).cast(pl.UInt32), True
    )
    return bool(marked.sum() == numbers.len())


def one_length(ids: pl.Series) -> int | None:
    """The length in bytes of every id, when there are ids, none null, all of one length."""
    if ids.len() == 0 or ids.null_count():
        return None
    shortest, longest = (
        ids.to_frame("id")
        .select(
            pl.col("id").str.len_bytes().min().alias("shortest"),
            pl.col("id").str.len_bytes().max().alias("longest"),
        )
        .row(0)
    )
    return int(longest) if shortest == longest else None


def positions_in(keys: pl.Series, ids: pl.Series) -> pl.Series:
    """For each key, the position in ``ids`` of the id equal to it (UInt32), or null where
    none is. ``ids`` are unique; where one repeats, one of its positions is given."""
    numbered = numbering(ids)
    if numbered is None:
        rows = ids.to_frame("id").with_row_index("at")
        return lookup(keys, rows, "id").get_column("at")
    shape, slots = numbered
    at = pl.int_range(ids.len(), dtype=pl.UInt32, eager=True)
    by_slot = pl.repeat(None, shape.slots, dtype=pl.UInt32, eager=True).scatter(slots, at)
    # (indexing by row numbers: a plain gather, see ``rules.take_rows``; a null gives null)
    return by_slot[shape.slots_of(keys)].alias("at")
