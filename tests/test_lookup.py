"""Exact lookups on hashes: the results are always those of the string operations."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from reconcile.lookup import is_in_hashed, lookup

KEYS = st.lists(st.sampled_from(["a", "b", "0042", "42", "é", " ", ""]), max_size=12)


def test_lookup_returns_the_row_of_each_key_in_key_order() -> None:
    """It gives the table's row for each key, and nulls for keys not in the table."""
    table = pl.DataFrame({"k": ["a", "b", "c"], "v": [1, 2, 3]})
    found = lookup(pl.Series(["c", "x", "a", "a"]), table, "k")
    assert found.rows() == [("c", 3), (None, None), ("a", 1), ("a", 1)]


def test_lookup_with_repeated_table_keys_uses_the_first_row() -> None:
    """It falls back to the string join when the table repeats a key, taking its first row."""
    table = pl.DataFrame({"k": ["a", "a", "b"], "v": [1, 2, 3]})
    assert lookup(pl.Series(["a", "b", "z"]), table, "k").rows() == [
        ("a", 1),
        ("b", 3),
        (None, None),
    ]


@given(values=KEYS, pool=KEYS)
def test_hashed_answers_equal_string_answers(values: list[str], pool: list[str]) -> None:
    """is_in_hashed and lookup agree with Polars' string is_in on any keys."""
    series, pool_series = pl.Series(values, dtype=pl.String), pl.Series(pool, dtype=pl.String)
    expected = series.is_in(pool_series.implode()).to_list()
    assert is_in_hashed(series, pool_series).to_list() == expected
    table = pl.DataFrame({"k": pool_series}).unique(maintain_order=True)
    assert lookup(series, table, "k").get_column("k").is_not_null().to_list() == expected
