"""Exact lookups on hashes: the results are always those of the string operations."""

from __future__ import annotations

from random import Random

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.lookup import distinct, is_in_hashed, lookup, numbering, positions_in

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


# Ids of one shape (a head, then digits of one width), and keys that are or nearly are.
HEADS = st.sampled_from(["", "B", "O0", "é-", "B00", "7x"])


@st.composite
def numbered_ids_and_keys(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    head = draw(HEADS)
    width = draw(st.integers(min_value=1, max_value=4))
    numbers = draw(st.lists(st.integers(0, 10**width - 1), min_size=1, max_size=12, unique=True))
    ids = [f"{head}{number:0{width}d}" for number in numbers]
    near = st.one_of(
        st.sampled_from(ids),
        st.integers(0, 10**width - 1).map(lambda number: f"{head}{number:0{width}d}"),
        st.sampled_from(ids).map(lambda one: one[: len(head)] + "+" + one[len(head) + 1 :]),
        st.sampled_from(ids).map(lambda one: one + "0"),
        st.sampled_from(ids).map(lambda one: one[:-1]),
        st.sampled_from(ids).map(lambda one: "X" + one[1:] if one else "X"),
        st.sampled_from(ids).map(lambda one: one[:-1] + "٣"),  # another script's digit
        st.sampled_from(ids).map(lambda one: one[:-1] + " "),
        st.sampled_from(["", " ", "+1", "0"]),
    )
    return ids, draw(st.lists(near, max_size=12))


@given(numbered_ids_and_keys(), st.randoms(use_true_random=False))
def test_positions_in_numbered_ids_are_the_string_joins(
    ids_and_keys: tuple[list[str], list[str]], random: Random
) -> None:
    """It finds each key's position among numbered ids exactly as a join on the strings
    does: signs, other scripts' digits, other lengths and heads are no id."""
    ids, keys = ids_and_keys
    random.shuffle(ids)
    assert numbering(pl.Series(ids)) is not None
    expected = (
        pl.DataFrame({"key": keys}, schema={"key": pl.String})
        .join(
            pl.DataFrame({"key": ids}).with_row_index("at"),
            on="key",
            how="left",
            maintain_order="left",
        )
        .get_column("at")
    )
    found = positions_in(pl.Series(keys, dtype=pl.String), pl.Series(ids))
    assert found.to_list() == expected.to_list()


@given(ids=KEYS.map(lambda keys: list(dict.fromkeys(keys))), keys=KEYS)
def test_positions_in_any_ids_are_the_string_joins(ids: list[str], keys: list[str]) -> None:
    """It finds each key's position among any unique ids, numbered or not (mixed lengths
    and heads take the hash lookup), as the join on the strings does."""
    table = pl.DataFrame({"key": ids}, schema={"key": pl.String}).with_row_index("at")
    expected = (
        pl.DataFrame({"key": keys}, schema={"key": pl.String})
        .join(table, on="key", how="left", maintain_order="left")
        .get_column("at")
    )
    found = positions_in(pl.Series(keys, dtype=pl.String), pl.Series(ids, dtype=pl.String))
    assert found.to_list() == expected.to_list()


@pytest.mark.parametrize(
    ("ids", "numbered"),
    [
        (["B0241462", "B0241470"], ("B", 8)),
        (["0003621946", "0003621949"], ("", 10)),
        (["B7", "B7"], ("B", 2)),
        (["B01", "B1"], None),  # two lengths
        (["B+1", "B01"], None),  # a sign: "+1" and "01" would read as one number
        (["B1x", "B2x"], None),  # digits are not last
        (["B1", None], None),
        ([], None),
        (["A0000000", "A9999999"], None),  # ten million slots for two ids: too sparse
    ],
)
def test_numbering_finds_the_head_and_width_or_refuses(
    ids: list[str | None], numbered: tuple[str, int] | None
) -> None:
    """It numbers ids of one length that share a head and end in digits, densely enough."""
    found = numbering(pl.Series(ids, dtype=pl.String))
    assert ((found[0].head, found[0].length) if found else None) == numbered


def test_a_key_with_a_sign_is_no_numbered_id() -> None:
    """It finds no id for "B+2", although Polars reads "+2" as the number of "B02"."""
    found = positions_in(pl.Series(["B+2", "B02", "B2", "B002"]), pl.Series(["B12", "B02"]))
    assert found.to_list() == [None, 1, None, None]


@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(10**6, 10**6 + 40), max_size=30))
def test_distinct_numbers_are_told_apart_from_repeated_ones(numbers: list[int]) -> None:
    """It says numbers are distinct exactly when no two are equal, whether they are dense
    enough for a table by number or not."""
    assert distinct(pl.Series(numbers, dtype=pl.UInt64)) == (len(set(numbers)) == len(numbers))


@pytest.mark.parametrize(
    "numbers",
    [[5, 6, 7, 5], [2**64 - 1, 0, 2**64 - 1], [0, 0], [2**64 - 3, 2**64 - 1, 2**64 - 3]],
)
def test_a_repeated_number_is_found_dense_or_sparse(numbers: list[int]) -> None:
    """It finds a repeat among dense numbers (table by number) and sparse ones (Polars)."""
    assert not distinct(pl.Series(numbers, dtype=pl.UInt64))
