"""Exact lookups of text keys, done on 64-bit hashes and confirmed on the strings.

Joining millions of text keys costs about twice as much as joining their
hashes. Equal strings always hash alike, so a hash match is a candidate that one
string comparison confirms; if two keys of a table share a hash, or a match
turns out to be a collision, the lookup falls back to the plain string join.
``lookup`` always gives the string join's result;
``is_in_hashed`` compares hashes only (see its docstring for when that is right).
"""

from __future__ import annotations

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
