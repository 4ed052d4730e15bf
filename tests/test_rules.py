"""The rules module: one test per contract rule, on frames, no files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.policy import default_policy, load_policy
from reconcile.rules import (
    Inputs,
    Outputs,
    byte_order_key,
    edit_distance,
    ids_trimmed,
    in_key_order,
    item_numbers,
    key_order,
    lines_in_order,
    reconcile,
)


def frame(header: str, *rows: str) -> pl.DataFrame:
    names = header.split(",")
    records = [row.split(",") for row in rows]
    return pl.DataFrame(
        # an empty value is null, as the reader gives it
        {name: [record[index] or None for record in records] for index, name in enumerate(names)},
        schema={name: pl.String for name in names},
    )


def night(
    batches: list[str],
    items: list[str],
    cancellations: list[str],
    orders: list[str] | None = None,
    cancellation_header: str = "order_id,item_id",
) -> Inputs:
    """Orders default to every order named by a batch line, status Open."""
    if orders is None:
        names = sorted({row.split(",")[1] for row in items})
        orders = [f"{name},Open" for name in names]
    return Inputs(
        orders=frame("order_id,status", *orders),
        batches=frame("batch_id,status,capacity", *batches),
        batch_items=frame("batch_id,order_id,item_id", *items),
        cancellations=frame(cancellation_header, *cancellations),
    )


def rows(table: pl.DataFrame) -> list[tuple[object, ...]]:
    return table.rows()


def run(inputs: Inputs) -> Outputs:
    return reconcile(inputs, default_policy())


def test_filling_removes_cancelled_lines_and_frees_slots() -> None:
    """It removes a Filling batch's cancelled lines and reports the freed slots as open."""
    out = run(night(["B1,Filling,5"], ["B1,O1,I1", "B1,O2,I2", "B1,O2,I3"], ["O2,"]))
    assert rows(out.batch_items) == [("B1", "O1", "I1")]
    assert rows(out.removed_items) == [
        ("B1", "O2", "I2", "Filling", "refill", "cancellations.csv:2"),
        ("B1", "O2", "I3", "Filling", "refill", "cancellations.csv:2"),
    ]
    assert rows(out.batches) == [("B1", "Filling", "5", 1, 4)]
    assert out.regeneration_queue.height == 0


@pytest.mark.parametrize("status", ["Pending Generation", "In Production (Stock Picking)"])
def test_regenerate_statuses_queue_the_batch_and_stay_full(status: str) -> None:
    """It removes the lines of a regenerate batch, queues it, keeps its status and open_slots 0."""
    out = run(night([f"B1,{status},9"], ["B1,O1,I1", "B1,O2,I2"], ["O2,"]))
    assert rows(out.batch_items) == [("B1", "O1", "I1")]
    assert rows(out.regeneration_queue) == [("B1", status, 1, 1, "9")]
    assert rows(out.batches) == [("B1", status, "9", 1, 0)]


def test_in_production_holds_cancelled_lines() -> None:
    """It leaves an In Production batch alone and reports its cancelled lines as held."""
    out = run(night(["B1,In Production,3"], ["B1,O1,I1", "B1,O2,I2"], ["O2,"]))
    assert rows(out.batch_items) == [("B1", "O1", "I1"), ("B1", "O2", "I2")]
    assert rows(out.held_items) == [("B1", "O2", "I2", "In Production", "cancellations.csv:2")]
    assert out.removed_items.height == 0
    assert rows(out.batches) == [("B1", "In Production", "3", 2, 0)]


@pytest.mark.parametrize(
    "status",
    [
        "Pending RIP",
        "Sent to RIP",
        "Pending Production",
        "Sent to Production",
        "Pending Dispatch",
        "Dispatched",
        "Archived",
    ],
)
def test_other_listed_statuses_hold(status: str) -> None:
    """It holds the lines of every listed status without a documented rule."""
    out = run(night([f"B1,{status},3"], ["B1,O1,I1"], ["O1,"]))
    assert rows(out.held_items) == [("B1", "O1", "I1", status, "cancellations.csv:2")]
    assert out.batch_items.height == 1


@pytest.mark.parametrize("status", ["Filling", "Pending Generation"])
def test_a_batch_emptied_by_the_run_is_archived_and_not_queued(status: str) -> None:
    """It archives a batch whose last line this run removes, whatever its action."""
    out = run(night([f"B1,{status},3"], ["B1,O1,I1", "B1,O1,I2"], ["O1,"]))
    assert rows(out.archive_list) == [("B1", status, 2)]
    assert rows(out.batches) == [("B1", "Archived", "3", 0, 0)]
    assert out.regeneration_queue.height == 0


def test_a_batch_empty_before_the_run_is_left_as_it_is() -> None:
    """It leaves an already empty batch's status alone and does not archive it."""
    out = run(
        night(
            ["B1,Filling,007", "B2,Filling,1"], ["B2,O1,I1"], ["O9,"], orders=["O1,Open", "O9,Open"]
        )
    )
    assert rows(out.batches)[0] == ("B1", "Filling", "007", 0, 7)
    assert out.archive_list.height == 0


def test_whole_order_cancellation_sets_order_cancelled_even_when_held() -> None:
    """It sets Cancelled on every whole-order cancellation, batched, held or not batched."""
    out = run(
        night(
            ["B1,In Production,3"],
            ["B1,O1,I1"],
            ["O1,", "O3,"],
            orders=["O1,Open", "O2,Open", "O3,New"],
        )
    )
    assert rows(out.orders) == [("O1", "Cancelled"), ("O2", "Open"), ("O3", "Cancelled")]


def test_line_cancellation_removes_one_line_and_leaves_the_order_status() -> None:
    """It removes only the named line and keeps the order's status."""
    out = run(night(["B1,Filling,3"], ["B1,O1,I1", "B1,O1,I2"], ["O1,I2"]))
    assert rows(out.removed_items) == [
        ("B1", "O1", "I2", "Filling", "refill", "cancellations.csv:2")
    ]
    assert rows(out.orders) == [("O1", "Open")]


def test_line_cancellation_of_an_unbatched_item_has_no_effect() -> None:
    """It neither rejects nor applies a line cancellation whose item is not batched."""
    out = run(night(["B1,Filling,3"], ["B1,O1,I1"], ["O1,I9"]))
    assert out.rejected_cancellations.height == 0
    assert out.removed_items.height == 0
    assert rows(out.orders) == [("O1", "Open")]


def test_unknown_order_is_rejected_before_item_order_mismatch() -> None:
    """It rejects an unknown order as unknown_order, even when its item is batched elsewhere."""
    out = run(night(["B1,Filling,3"], ["B1,O1,I1"], ["O9,I1", "O9,"]))
    assert rows(out.rejected_cancellations) == [
        ("O9", None, "unknown_order", None),
        ("O9", "I1", "unknown_order", None),
    ]
    assert out.removed_items.height == 0


def test_item_batched_under_another_order_is_rejected() -> None:
    """It rejects a line cancellation whose item is batched under another order."""
    out = run(night(["B1,Filling,3"], ["B1,O1,I1", "B1,O2,I2"], ["O2,I1"]))
    assert rows(out.rejected_cancellations) == [
        ("O2", "I1", "item_order_mismatch", "the item is batched under order O1")
    ]
    assert out.removed_items.height == 0


def test_duplicate_cancellations_count_once_and_are_written_once() -> None:
    """It applies, counts and writes a repeated cancellation row once."""
    out = run(night(["B1,Filling,3"], ["B1,O1,I1"], ["O1,", "O1,", "O9,", "O9,"]))
    assert rows(out.rejected_cancellations) == [("O9", None, "unknown_order", None)]
    assert out.counts["cancellations"] == {
        "rows": 4,
        "distinct": 2,
        "applied": 1,
        "whole_order": 1,
        "line": 0,
        "rejected": {"unknown_order": 1, "item_order_mismatch": 0},
        "unmatched": 0,
    }


def test_a_line_cancellation_whose_item_no_batch_holds_is_unmatched_not_applied() -> None:
    """It lists a known order's line cancellation of an unbatched item as unmatched, counts
    it apart from the applied ones, and changes nothing for it."""
    out = run(night(["B1,Filling,3"], ["B1,O1,I1"], ["O1,I9", "O1,I9", "O9,I9", "O1,I1"]))
    assert rows(out.unmatched_cancellations) == [("O1", "I9", "did you mean item I1?")]
    assert rows(out.rejected_cancellations) == [("O9", "I9", "unknown_order", None)]
    assert rows(out.removed_items)[0][:3] == ("B1", "O1", "I1")
    counts = out.counts["cancellations"]
    assert isinstance(counts, dict)
    assert (counts["applied"], counts["line"], counts["unmatched"]) == (1, 1, 1)


def test_cancellations_without_item_id_column_cancel_whole_orders() -> None:
    """It treats a cancellations file with no item_id column as whole-order cancellations."""
    inputs = night(["B1,Filling,3"], ["B1,O1,I1"], ["O1", "O7"], cancellation_header="order_id")
    out = reconcile(inputs, default_policy())
    assert rows(out.orders) == [("O1", "Cancelled")]
    assert out.rejected_cancellations.columns == ["order_id", "reason", "hint"]
    assert rows(out.rejected_cancellations) == [("O7", "unknown_order", None)]


def test_statuses_match_trimmed_and_case_insensitive_and_are_written_canonical() -> None:
    """It matches '  pending generation ' to Pending Generation and writes the canonical spelling."""
    out = run(
        night(["B1,  pending generation ,4", "B2,FILLING,2"], ["B1,O1,I1", "B1,O2,I2"], ["O2,"])
    )
    assert rows(out.regeneration_queue) == [("B1", "Pending Generation", 1, 1, "4")]
    assert [row[1] for row in rows(out.batches)] == ["Pending Generation", "Filling"]
    assert rows(out.removed_items)[0][3] == "Pending Generation"


def test_policy_overrides_and_adds_statuses(tmp_path: Path) -> None:
    """It applies a policy file's action to a listed status and to a new one."""
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        '[actions]\n" pending production" = "regenerate"\n"Quality Check " = "refill"\n'
    )
    policy = load_policy(policy_file)
    inputs = night(
        ["B1,Pending Production,4", "B2,quality check,3"],
        ["B1,O1,I1", "B1,O2,I2", "B2,O2,I3"],
        ["O2,"],
    )
    out = reconcile(inputs, policy)
    assert rows(out.regeneration_queue) == [("B1", "Pending Production", 1, 1, "4")]
    assert rows(out.archive_list) == [("B2", "Quality Check", 1)]


def test_open_slots_never_negative_when_over_capacity() -> None:
    """It reports 0 open slots for a refill batch holding more lines than its capacity."""
    out = run(night(["B1,Filling,1"], ["B1,O1,I1", "B1,O1,I2", "B1,O2,I3"], ["O2,"]))
    assert rows(out.batches) == [("B1", "Filling", "1", 2, 0)]


def test_batches_input_item_count_and_open_slots_are_recomputed() -> None:
    """It drops input item_count/open_slots columns and appends the computed ones last."""
    inputs = night(["B1,Filling,3"], ["B1,O1,I1"], ["O9,"], orders=["O1,Open", "O9,Open"])
    inputs = Inputs(
        orders=inputs.orders,
        batches=frame(
            "batch_id,item_count,status,open_slots,capacity,site", "B1,99,Filling,99,3,Leeds"
        ),
        batch_items=inputs.batch_items,
        cancellations=inputs.cancellations,
    )
    out = reconcile(inputs, default_policy())
    assert out.batches.columns == [
        "batch_id",
        "status",
        "capacity",
        "site",
        "item_count",
        "open_slots",
    ]
    assert rows(out.batches) == [("B1", "Filling", "3", "Leeds", 1, 2)]


def test_outputs_are_sorted_by_contract_keys_in_byte_order() -> None:
    """It sorts lines by (batch_id, item_id) comparing code points, not numbers or locale."""
    out = run(
        night(
            ["b1,Filling,9", "B1,Filling,9", "Ä1,Filling,9"],
            ["b1,O1,I1", "B1,O1,I10", "B1,O1,I9", "Ä1,O1,I2"],
            ["O9,"],
            orders=["O1,Open", "O9,Open"],
        )
    )
    assert [(row[0], row[2]) for row in rows(out.batch_items)] == [
        ("B1", "I10"),
        ("B1", "I9"),
        ("b1", "I1"),
        ("Ä1", "I2"),
    ]
    assert [row[0] for row in rows(out.batches)] == ["B1", "b1", "Ä1"]


def test_an_input_column_named_like_a_helper_column_is_carried_through() -> None:
    """It keeps an extra batch_items column even when named like the rules' own helper column."""
    inputs = night(["B1,Filling,3"], ["B1,O1,I1"], ["O9,"], orders=["O1,Open", "O9,Open"])
    items = inputs.batch_items.with_columns(pl.lit("kept").alias("__line_batch"))
    out = reconcile(
        Inputs(inputs.orders, inputs.batches, items, inputs.cancellations), default_policy()
    )
    assert rows(out.batch_items) == [("B1", "O1", "I1", "kept")]


def test_cancellations_differing_in_any_column_are_distinct_and_sorted_by_it() -> None:
    """It writes rejected rows that differ only in an extra column once each, sorted by
    order_id, item_id, reason, then the other columns left to right."""
    inputs = night(
        ["B1,Filling,3"],
        ["B1,O1,I1"],
        ["O9,,zed", "O9,,ann", "O9,,zed", "O1,I7,bob", "O8,I1,amy"],
        cancellation_header="order_id,item_id,requested_by",
    )
    out = reconcile(inputs, default_policy())
    assert rows(out.rejected_cancellations) == [
        ("O8", "I1", "amy", "unknown_order", None),
        ("O9", None, "ann", "unknown_order", None),
        ("O9", None, "zed", "unknown_order", None),
    ]
    cancellations = out.counts["cancellations"]
    assert isinstance(cancellations, dict) and cancellations["distinct"] == 4


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.text(alphabet="aZ0 é-", max_size=4)),
        unique_by=lambda line: line[1],
    )
)
def test_lines_come_in_batch_then_item_order_by_either_sort(lines: list[tuple[int, str]]) -> None:
    """It orders batch lines by batch row, then item_id byte by byte, the same whether it
    sorts them all at once (few lines a batch) or each batch's lines apart (many)."""
    batch_rows = pl.Series([row for row, _ in lines], dtype=pl.UInt32)
    item_ids = pl.Series([item for _, item in lines], dtype=pl.String)
    expected = sorted(range(len(lines)), key=lambda at: (lines[at][0], lines[at][1].encode()))
    one_sort = lines_in_order(batch_rows, item_ids, batches=len(lines) + 1)
    per_batch = lines_in_order(batch_rows, item_ids, batches=0)
    assert one_sort.to_list() == expected
    assert per_batch.to_list() == expected


@given(
    st.integers(1, 18).flatmap(
        lambda digits: st.lists(
            st.tuples(
                st.integers(0, 4),
                st.integers(0, 10**digits - 1).map(lambda number: str(number).zfill(digits)),
            ),
            unique_by=lambda line: line[1],
        )
    )
)
def test_lines_with_numbered_items_come_in_batch_then_item_order(
    lines: list[tuple[int, str]],
) -> None:
    """It orders batch lines whose item_ids are zero-padded numbers of one length (sorted
    as one integer key) by batch row, then item_id byte by byte."""
    batch_rows = pl.Series([row for row, _ in lines], dtype=pl.UInt32)
    item_ids = pl.Series([item for _, item in lines], dtype=pl.String)
    expected = sorted(range(len(lines)), key=lambda at: (lines[at][0], lines[at][1].encode()))
    assert lines_in_order(batch_rows, item_ids, batches=5).to_list() == expected


@pytest.mark.parametrize(
    "item_ids",
    [
        ["+1", "01", "10"],  # a sign parses as a number but sorts before digits
        ["9", "10", "08"],  # numbers of different lengths sort as text
        ["0" * 19, "1" + "0" * 18, "0" * 18 + "1"],  # too long for one 64-bit key
        ["١٢", "12", "٠٩"],  # digits of other scripts are not ASCII digits
        ["+12", "012", "+01"],  # a sign at the front of each
        [" 12", "012", "12 "],  # spaces
    ],
)
def test_items_that_are_not_numbers_of_one_length_sort_as_text(item_ids: list[str]) -> None:
    """It orders item_ids that are not ASCII digits of one length byte by byte."""
    batch_rows = pl.Series([7] * len(item_ids), dtype=pl.UInt32)
    expected = sorted(range(len(item_ids)), key=lambda at: item_ids[at].encode())
    order = lines_in_order(batch_rows, pl.Series(item_ids, dtype=pl.String), batches=8)
    assert order.to_list() == expected


def test_numbered_items_of_a_late_batch_row_sort_as_text_when_the_key_would_overflow() -> None:
    """It falls back to sorting as text when batch row * 10^digits overflows 64 bits."""
    batch_rows = pl.Series([2_000_000_000, 2_000_000_000, 3], dtype=pl.UInt32)
    item_ids = pl.Series(["999999999999999999", "000000000000000001", "5" * 18])
    assert lines_in_order(batch_rows, item_ids, batches=2_000_000_001).to_list() == [2, 1, 0]


@given(
    st.integers(0, 12).flatmap(
        lambda length: st.lists(
            st.text(alphabet="Oo0é9\x00", min_size=length, max_size=length), unique=True
        )
    ),
    st.sampled_from(["", "O", "OR-", "é"]),
)
def test_frames_come_in_id_order_whatever_the_ids(ids: list[str], head: str) -> None:
    """It sorts a frame by its unique text ids byte by byte, whether or not the ids can be
    ordered by an integer key (one length, all but the last eight bytes shared)."""
    ids = [head + name for name in ids]
    frame = pl.DataFrame(
        {"id": ids, "row": range(len(ids))}, schema={"id": pl.String, "row": pl.Int64}
    )
    expected = sorted(ids, key=str.encode)
    in_order = in_key_order(frame, "id", key_order(frame.get_column("id")))
    assert in_order.get_column("id").to_list() == expected


@pytest.mark.parametrize(
    ("ids", "keyed"),
    [
        (["O01810973", "O00000001"], True),  # one length, the head shared
        (["12345678", "02345678"], True),  # eight bytes: nothing needs sharing
        (["A1", "B2"], False),  # shorter than a key
        (["AX0000001", "BX0000000"], False),  # the first byte differs
        (["O1234567", "O12345678"], False),  # lengths differ
    ],
)
def test_ids_get_an_integer_key_only_when_it_orders_them(ids: list[str], keyed: bool) -> None:
    """It gives an integer key exactly when ids have one length and share all but their
    last eight bytes."""
    assert (byte_order_key(pl.Series(ids)) is not None) is keyed


def test_polars_reads_as_unsigned_integers_only_ascii_digits_after_an_optional_plus() -> None:
    """Polars' text-to-integer cast, on which the lines' integer key relies, refuses
    anything but ASCII digits after an optional plus sign."""
    refused = [" 1", "1 ", "1_0", "-1", "-0", "0x1", "1e3", "1.0", "١", "", "+", "1+", "٣"]
    cast = pl.Series([*refused, "+7", "007"]).cast(pl.UInt64, strict=False).to_list()
    assert cast == [None] * len(refused) + [7, 7]


@given(
    st.lists(
        st.sampled_from(["O0000001", "O0000002", "O1000002", "X0000001", "O00000é"]),
        min_size=1,
    ),
    st.sampled_from(["", "AB"]),
)
def test_a_keys_order_tells_whether_it_repeats(ids: list[str], head: str) -> None:
    """It says ids with a 64-bit key are unique exactly when no two are equal, from their
    order alone."""
    ids = [head + name for name in ids]
    found = key_order(pl.Series(ids, dtype=pl.String))
    assert found is not None
    assert found.unique == (len(set(ids)) == len(ids))


@given(st.lists(st.sampled_from(["0001", "0002", "1000", "9999", "0000"]), min_size=1))
def test_item_numbers_tell_whether_an_item_repeats(ids: list[str]) -> None:
    """It says numbered item ids are unique exactly when no two are equal."""
    found = item_numbers(pl.Series(ids, dtype=pl.String))
    assert found is not None and found.digits == 4
    assert found.unique == (len(set(ids)) == len(ids))


# ---- ids typed by people, and hints (contract v3) ---------------------------------------


def test_typed_ids_are_trimmed_for_matching_and_kept_as_given() -> None:
    """It matches a cancellation's order_id and item_id trimmed of White_Space (a trailing
    space, a tab, a no-break space), treats an item_id of only White_Space as empty (a
    whole-order cancellation), and writes the rows that did not apply as given."""
    out = run(
        night(
            ["B1,Filling,5"],
            ["B1,O1,I1", "B1,O2,I2", "B1,O3,I3", "B1,O4,I4"],
            ["O1 ,", "\tO2,\u00a0I2 ", "O3,  ", "O4 ,I9 "],
        )
    )
    assert [row[:3] for row in rows(out.removed_items)] == [
        ("B1", "O1", "I1"),
        ("B1", "O2", "I2"),
        ("B1", "O3", "I3"),
    ]
    assert rows(out.orders) == [
        ("O1", "Cancelled"),
        ("O2", "Open"),
        ("O3", "Cancelled"),
        ("O4", "Open"),
    ]
    assert rows(out.unmatched_cancellations) == [("O4 ", "I9 ", "did you mean item I4?")]


def test_the_platforms_own_ids_are_matched_exactly() -> None:
    """It matches the orders' and batch lines' ids as exported: an order exported with a
    trailing space is not the typed id trimmed (the hint shows the export's id)."""
    out = run(night(["B1,Filling,3"], ["B1,O1 ,I1"], ["O1 ,"]))
    assert rows(out.rejected_cancellations) == [
        ("O1 ", None, "unknown_order", "did you mean order O1 ?")
    ]
    assert out.removed_items.height == 0


def test_an_unknown_order_hints_the_one_order_it_loosely_equals() -> None:
    """It hints the known order equal once case, punctuation, leading zeros and a prefix are
    ignored, and nothing where none or several are."""
    orders = ["SHOP-101865,Open", "ORD-0042,Open", "A-7,Open", "B-07,Open"]
    out = run(
        night(
            ["B1,Filling,3"],
            ["B1,SHOP-101865,I1"],
            ["101865,", "shop 0101865,", "42,", "7,", "XYZ,", "999,"],
            orders=orders,
        )
    )
    assert rows(out.rejected_cancellations) == [
        ("101865", None, "unknown_order", "did you mean order SHOP-101865?"),
        ("42", None, "unknown_order", "did you mean order ORD-0042?"),
        ("7", None, "unknown_order", None),  # A-7 and B-07 both
        ("999", None, "unknown_order", None),
        ("XYZ", None, "unknown_order", None),
        ("shop 0101865", None, "unknown_order", "did you mean order SHOP-101865?"),
    ]


def test_an_unmatched_line_hints_the_nearest_batched_item_of_its_order() -> None:
    """It hints the order's batched item nearest by edit distance (a swap of neighbours is
    one edit; at most 2), every one of those tied, nothing beyond 2, and says when the order
    has no batched line."""
    out = run(
        night(
            ["B1,Filling,9"],
            ["B1,O1,000118", "B1,O1,000117", "B1,O2,AB10", "B1,O2,AB01", "B1,O3,X1"],
            ["O1,000181", "O2,AB00", "O3,ZZZZ", "O4,I1"],
            orders=["O1,Open", "O2,Open", "O3,Open", "O4,Open"],
        )
    )
    assert rows(out.unmatched_cancellations) == [
        ("O1", "000181", "did you mean item 000118?"),
        ("O2", "AB00", "did you mean item AB01 or AB10?"),
        ("O3", "ZZZZ", None),
        ("O4", "I1", "the order has no batched line"),
    ]


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [("", "", 0), ("abc", "abc", 0), ("ab", "ba", 1), ("000181", "000118", 1), ("abc", "", 3)],
)
def test_edit_distance_counts_a_swap_as_one_edit(first: str, second: str, distance: int) -> None:
    """It counts insertions, deletions, substitutions and swaps of neighbours, up to a bound."""
    assert edit_distance(first, second, 5) == distance
    assert edit_distance(first, second, 0) == min(distance, 1)


def test_ids_trimmed_counts_the_typed_values_trimming_changed() -> None:
    """It counts each order_id and item_id value with White_Space at either end."""
    typed = frame("order_id,item_id,note", "O1 ,, x ", "O2,\tI2,", "O3,I3,")
    assert ids_trimmed(typed) == 2


def test_cancelled_by_names_the_first_matching_row_in_reading_order() -> None:
    """It names, for each removed or held line, the first cancellation row by file order
    then row that matches it, whole-order or line, the repeated rows as their first."""
    inputs = night(
        ["B1,Filling,5", "B2,In Production,5"],
        ["B1,O1,I1", "B1,O1,I2", "B2,O2,I3", "B1,O3,I4"],
        ["O3,I4", "O1,I2", "O1,", "O2,", "O1,I2", "O3,"],
    )
    out = reconcile(inputs, default_policy())
    assert [(row[2], row[-1]) for row in rows(out.removed_items)] == [
        ("I1", "cancellations.csv:4"),
        ("I2", "cancellations.csv:3"),
        ("I4", "cancellations.csv:2"),
    ]
    assert [(row[2], row[-1]) for row in rows(out.held_items)] == [("I3", "cancellations.csv:5")]
