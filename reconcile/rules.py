"""The reconciliation rules: input DataFrames and a policy in, the named outputs out.

Pure: no file access, no printing. Every frame is all-text as read, an empty
value being null; the inputs are assumed valid (``schemas`` validated them
first).

Order is decided once: ``sort_inputs`` sorts orders and batches by their contract
keys and finds the batch lines' order, and every later step filters, gathers or
joins keeping that order, so the big outputs come out already in contract order
(sorting millions of rows by text keys is the costliest step; it runs once). The
batch lines are gathered into that order once the rules have decided their fate,
straight into the output they belong to.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import polars as pl

from reconcile import contract, frames
from reconcile.contract import COMPUTED_BATCH_COLUMNS, REJECTION_REASONS, WHITE_SPACE
from reconcile.lookup import distinct, numbers_after, one_length, positions_in
from reconcile.policy import ACTIONS, REMOVING_ACTIONS, Policy

LINE_BATCH = "__line_batch"


@dataclass(frozen=True)
class Inputs:
    orders: pl.DataFrame
    batches: pl.DataFrame
    batch_items: pl.DataFrame
    cancellations: pl.DataFrame


@dataclass(frozen=True)
class Outputs:
    """The contract's CSV outputs, each already in its contract column and row order."""

    batch_items: pl.DataFrame
    removed_items: pl.DataFrame
    held_items: pl.DataFrame
    batches: pl.DataFrame
    regeneration_queue: pl.DataFrame
    archive_list: pl.DataFrame
    orders: pl.DataFrame
    rejected_cancellations: pl.DataFrame
    unmatched_cancellations: pl.DataFrame
    # One row per input batch with what the run decided for it; not written, but
    # validated against the contract and counted in the summary.
    batch_outcomes: pl.DataFrame
    counts: dict[str, object] = field(default_factory=dict)

    def files(self) -> dict[str, pl.DataFrame]:
        """Output file name -> frame, in the contract's table order."""
        return {file.name: frame for file, frame in self.by_file().items()}

    def by_file(self) -> dict[contract.OutputFile, pl.DataFrame]:
        """Output file -> frame, in the contract's table order."""
        frames = {
            contract.KEPT_ITEMS: self.batch_items,
            contract.REMOVED_ITEMS: self.removed_items,
            contract.HELD_ITEMS: self.held_items,
            contract.UPDATED_BATCHES: self.batches,
            contract.REGENERATION_QUEUE: self.regeneration_queue,
            contract.ARCHIVE_LIST: self.archive_list,
            contract.UPDATED_ORDERS: self.orders,
            contract.REJECTED_CANCELLATIONS: self.rejected_cancellations,
            contract.UNMATCHED_CANCELLATIONS: self.unmatched_cancellations,
        }
        return {file: frames[file] for file in contract.CSV_OUTPUTS}


def policy_table(policy: Policy) -> pl.DataFrame:
    """The status -> action policy as a frame to join on: status_key, canonical status, action."""
    table = pl.DataFrame(
        {"canonical_status": list(policy.actions), "action": list(policy.actions.values())},
        schema={"canonical_status": pl.String, "action": pl.String},
    )
    # Keys made by the same expression as the input's, so both sides fold alike.
    return table.select(status_key_expr("canonical_status").alias("status_key"), pl.all())


def status_key_expr(column: str) -> pl.Expr:
    """``contract.status_key`` as a Polars expression: trimmed of White_Space, lower-cased."""
    return pl.col(column).str.strip_chars(WHITE_SPACE).str.to_lowercase()


def reconcile(inputs: Inputs, policy: Policy) -> Outputs:
    """Apply the contract's rules to valid inputs, in any row order."""
    return apply_rules(sort_inputs(inputs), policy)


@dataclass(frozen=True)
class BatchLinks:
    """Batches sorted by batch_id, and the row of each batch line's batch in them.

    ``line_batch[i]`` is null when batch line ``i`` names a batch that does not exist.
    ``batch_order`` is the batch ids' order the sort found, when it had an integer key
    (which tells whether batch_id repeats).
    """

    batches: pl.DataFrame
    line_batch: pl.Series
    batch_order: KeyOrder | None = None


def link_batches(batches: pl.DataFrame, batch_items: pl.DataFrame) -> BatchLinks:
    """Find each batch line's batch: one exact lookup, shared by validation and sorting."""
    batch_order = key_order(batches.get_column("batch_id"))
    ordered = in_key_order(batches, "batch_id", batch_order)
    line_batch = positions_in(batch_items.get_column("batch_id"), ordered.get_column("batch_id"))
    return BatchLinks(ordered, line_batch.alias(LINE_BATCH), batch_order)


@dataclass(frozen=True)
class KeyOrder:
    """A text key's byte order, from its integer key (``byte_order_key``), found once for
    the sort and for the check that the key is unique: ``rows`` are the ids' positions in
    ascending order; ``unique`` tells whether no id repeats."""

    rows: pl.Series
    unique: bool


def key_order(ids: pl.Series) -> KeyOrder | None:
    """``ids``' byte order when they have an integer key (``byte_order_key``); else None.

    In that order equal ids would be neighbours, and equal keys are equal ids, so
    comparing neighbours tells whether one repeats: 0.05 s for 2.5M orders, against 0.14 s
    of CPU for ``n_unique`` of their hashes.
    """
    key = byte_order_key(ids)
    if key is None:
        return None
    rows = key.arg_sort()
    in_order = key[rows]
    neighbours_differ = in_order.slice(1) != in_order.slice(0, max(in_order.len() - 1, 0))
    return KeyOrder(rows, bool(neighbours_differ.all()))


@dataclass(frozen=True)
class ItemNumbers:
    """Item ids read as numbers, when every one is ASCII digits of one length (``digits``),
    read once for the lines' sort and for the check that item_id is unique: ``unique``
    tells whether no id repeats (equal numbers of one length are equal ids)."""

    digits: int
    numbers: pl.Series
    unique: bool


def item_numbers(item_ids: pl.Series) -> ItemNumbers | None:
    """When every item_id is ASCII digits of one length (zero-padded numbers, as exports
    often give them), their numbers; else None.

    Byte order and numeric order then agree, so (batch row, item_id) order is the order
    of one integer, batch row * 10^digits + number, where it fits in 64 bits: sorting one
    integer key took 0.3 s of wall time (0.6 s of CPU) for 5M lines, against 0.7 s (1.3
    s) for a group-by of each batch's lines and 0.8 s (1.5 s) for two integer keys.

    The numbers are read by Polars' cast (``lookup.numbers_after``): 0.07 s for 5M ids,
    against 0.23 s for a regex.
    """
    length = one_length(item_ids)
    if length is None or length > MAX_ITEM_DIGITS:
        return None
    numbers = numbers_after(item_ids, "")
    return None if numbers is None else ItemNumbers(length, numbers, distinct(numbers))


@dataclass(frozen=True)
class KeyFacts:
    """What validation learned of the orders' and the batch lines' keys, which the sort
    needs again (None: the ids have no integer key, or are not such numbers)."""

    orders: KeyOrder | None
    items: ItemNumbers | None


def key_facts(orders: pl.DataFrame, batch_items: pl.DataFrame) -> KeyFacts:
    return KeyFacts(
        key_order(orders.get_column("order_id")),
        item_numbers(batch_items.get_column("item_id")),
    )


@dataclass(frozen=True)
class SortedInputs:
    """Orders and batches in their outputs' order; the batch lines as read, each with its
    batch as a row number, and the order they are written in.

    ``line_batch[i]`` is the row of ``inputs.batches`` that batch line ``i`` sits in,
    so per-line batch facts are gathers, not joins on text keys. ``line_order`` holds
    the batch lines' positions in (batch_id, item_id) order.
    """

    inputs: Inputs
    line_batch: pl.Series
    line_order: pl.Series


# How the batch lines' rows are put in a new order or subset. ``take_rows`` copies; the
# pipeline passes one that moves each column out of the old frame as it goes
# (``pipeline.move_rows``), because at tens of millions of lines two whole copies of
# the batch lines were the run's peak memory.
TakeRows = Callable[[pl.DataFrame, pl.Series], pl.DataFrame]


def take_rows(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """``frame``'s rows at the positions ``rows``, in that order; ``frame`` is left as it is."""
    # Indexing by row numbers (UInt32) is a plain gather; ``gather`` goes through an
    # expression that first converts and bounds-checks the rows. ``pl.all().gather(rows)``
    # took twice as long for 2.5M orders (0.21 s against 0.10 s); for one column of 5M
    # numbers, indexing saves 10-25%.
    return frame[rows]


def sort_inputs(
    inputs: Inputs, links: BatchLinks | None = None, keys: KeyFacts | None = None
) -> SortedInputs:
    """Orders by order_id, batches by batch_id, and the order of the lines by (batch_id,
    item_id); ``links`` and ``keys``, if given, are what validation found of them.

    Lines are ordered by their batch's row in the sorted batches, then item_id:
    the same order, with integers where most comparisons happen (much cheaper
    than comparing two text keys). Keys are unique, so the order is total.
    """
    links = links or link_batches(inputs.batches, inputs.batch_items)
    keys = keys or key_facts(inputs.orders, inputs.batch_items)
    line_order = lines_in_order_by(
        links.line_batch,
        inputs.batch_items.get_column("item_id"),
        links.batches.height,
        keys.items,
    )
    orders = in_key_order(inputs.orders, "order_id", keys.orders)
    # replace, not a new Inputs: a field added to Inputs is carried, never dropped
    return SortedInputs(
        replace(inputs, orders=orders, batches=links.batches), links.line_batch, line_order
    )


def in_key_order(frame: pl.DataFrame, column: str, order: KeyOrder | None) -> pl.DataFrame:
    """``frame`` sorted by its unique text key ``column``, byte by byte; ``order`` is the
    column's ``key_order``, found already (None: the ids have no integer key)."""
    if order is not None:
        return frames.taken_rows(frame, order.rows)
    # Polars' streaming sort is about twice as fast on one text key; its result
    # comes in chunks, which later lookups and gathers pay for (see csvio).
    return frame.lazy().sort(column).collect(engine="streaming").rechunk()


def ascending(key: pl.Series) -> pl.Series:
    """The positions of ``key``'s values in ascending order (unique values: a total order).

    Polars' streaming sort of the key beside its positions took 0.23 s of wall time
    (0.41 s of CPU) for 5M batch lines' keys, against 0.31 s (0.59 s) for ``arg_sort``;
    for 2.5M orders' keys it lost (0.19 s against 0.13 s), so they use ``arg_sort``.
    """
    return (
        key.to_frame("key")
        .with_row_index("at")
        .lazy()
        .sort("key")
        .select("at")
        .collect(engine="streaming")
        .to_series()
        .rechunk()
    )


def byte_order_key(ids: pl.Series) -> pl.Series | None:
    """A 64-bit integer per id, in the ids' byte order, when every id has one length and
    all but its last eight bytes in common (ids like ``O01810973``); else None.

    Ids of one length lie between the lowest and the highest, so share what those two
    share; the rest, eight bytes read as a big-endian integer, orders them. Sorting 2.5M
    orders by that key and gathering them took 0.3 s of wall time (0.5 s of CPU),
    against 0.53 s (1.0 s) for Polars' streaming sort on the text.
    """
    length = one_length(ids)
    if length is None or length < KEY_BYTES:
        return None
    head = length - KEY_BYTES
    if str(ids.min()).encode()[:head] != str(ids.max()).encode()[:head]:
        return None
    tails = ids.cast(pl.Binary).bin.tail(KEY_BYTES)
    return tails.bin.reinterpret(dtype=pl.UInt64, endianness="big")


# The bytes of a 64-bit key.
KEY_BYTES = 8

# Up to 19 digits fit in 64 bits; the batch row needs some of them.
MAX_ITEM_DIGITS = 18

# From this many lines a batch on average, sorting each batch's lines apart beats one
# sort of them all (measured at 5M lines; the two meet at about 8).
LINES_PER_BATCH_FOR_GROUPS = 8


def lines_in_order(line_batch: pl.Series, item_ids: pl.Series, batches: int) -> pl.Series:
    """The positions of the batch lines in (batch row, item_id) order.

    Item ids that are numbers of one length sort as one integer key (``item_numbers``).
    Otherwise, one multi-key sort compares item_ids wherever batch rows tie, which is more
    often the more lines a batch holds. Sorting each batch's lines by item_id in a
    group-by, then the batches by row, does less work once batches hold several
    lines; with one or two lines a batch it is several times slower. Measured on
    5M lines, wall / CPU seconds, one sort against the group-by: 2 lines a batch
    0.7 / 1.3 against 3.2 / 5.9; 8 lines 0.9 / 1.8 against 1.0 / 1.7; 15 lines
    0.9 / 1.7 against 0.7 / 1.2; 100 lines 1.3 / 2.6 against 0.5 / 0.8.
    """
    return lines_in_order_by(line_batch, item_ids, batches, item_numbers(item_ids))


def lines_in_order_by(
    line_batch: pl.Series, item_ids: pl.Series, batches: int, by_number: ItemNumbers | None
) -> pl.Series:
    """``lines_in_order``, the item ids' numbers read already (None: not numbers)."""
    if by_number is not None and line_batch.len() and line_batch.null_count() == 0:
        digits, numbers = by_number.digits, by_number.numbers
        rows = line_batch.cast(pl.UInt64)
        # the largest key, (last row + 1) * 10^digits - 1, must fit in 64 bits
        if (int(rows.max()) + 1) * 10**digits <= 2**64:  # type: ignore[arg-type]
            key: pl.Series = rows * 10**digits + numbers
            return ascending(key)
    # A frame of its own, so that no input column's name can clash with the keys'.
    keys = pl.DataFrame([line_batch.alias("batch"), item_ids.alias("item_id")])
    if keys.height < LINES_PER_BATCH_FOR_GROUPS * batches:
        return keys.select(pl.arg_sort_by("batch", "item_id")).to_series()
    return (
        keys.with_row_index("line")
        .group_by("batch")
        .agg(pl.col("line").sort_by("item_id"))
        .sort("batch")
        .get_column("line")
        .explode()
    )


@dataclass(frozen=True)
class Named:
    """What the cancellations name, found in one pass over the orders and one over the
    lines: the orders' rows and ids, the lines whose item is named (with the order each is
    batched under), and every batch's status and action."""

    order_rows: pl.Series
    order_ids: pl.Series
    item_lines: pl.Series
    batched_under: pl.DataFrame
    batch_actions: pl.DataFrame


def apply_rules(sorted_inputs: SortedInputs, policy: Policy, take: TakeRows = take_rows) -> Outputs:
    """The rules, on ``sort_inputs``' result (outputs keep its order).

    The rules decide on the batch lines as read; each batch-line output then takes its
    lines in output order, the kept ones last, with ``take`` (see ``TakeRows``): a
    ``take`` that moves leaves ``sorted_inputs.inputs.batch_items`` empty. Every batch
    line is copied once (sorting the lines, then gathering the kept ones from them,
    copied them twice: 0.15 s of a 5M-line run, and the memory of a copy).

    Work that does not depend on the rest runs beside it on threads (``beside``): Polars
    works without the GIL, and the rules' own steps keep one core busy at a time.
    """
    inputs, line_batch = sorted_inputs.inputs, sorted_inputs.line_batch
    items = inputs.batch_items
    given = cancellation_columns(inputs.cancellations)
    cancellations = with_match_keys(with_item_id(with_sources(inputs.cancellations)))
    distinct_cancellations = distinct_rows(cancellations, given)
    named = find_named(inputs, cancellations, policy)
    judged = judge_cancellations(distinct_cancellations, named.order_ids, named.batched_under)
    # The hints are for people and never change what is applied: found on a thread of their
    # own from here on (the lines' ids are selected now, before the lines move).
    hinting = ThreadPoolExecutor(max_workers=1)
    hinted = hinting.submit(
        with_hints,
        judged,
        inputs.orders.get_column("order_id"),
        items.select("order_id", "item_id"),
    )
    applied = judged.filter(pl.col("reason").is_null() & ~pl.col("unmatched"))
    cancelled_orders = applied.filter(pl.col(ITEM_KEY).is_null()).get_column(ORDER_KEY).unique()
    cancelled_lines = lines_cancelled(applied, cancelled_orders, items, named)
    action = named.batch_actions.get_column("action").gather(line_batch.gather(cancelled_lines))
    removed_lines = cancelled_lines.filter(action.is_in(list(REMOVING_ACTIONS)))
    held_lines = cancelled_lines.filter(action == "hold")

    def in_order(few_lines: pl.Series) -> pl.Series:
        """The positions of ``few_lines``, in output order: ordered alone by the rule that
        ordered every line (in 0.01 s, against 0.04 s to pick them out of ``line_order``)."""
        return few_lines.gather(
            lines_in_order(
                line_batch.gather(few_lines),
                items.get_column("item_id").gather(few_lines),
                named.batch_actions.height,
            )
        )

    def kept_in_order() -> pl.Series:
        """The positions of the lines not removed, in output order."""
        line_order = sorted_inputs.line_order
        removed = pl.repeat(False, line_batch.len(), dtype=pl.Boolean, eager=True).scatter(
            removed_lines, True
        )
        return line_order.filter(~removed[line_order])  # (indexing: see ``take_rows``)

    def with_appended(lines: pl.Series, output: contract.OutputFile) -> pl.DataFrame:
        """``lines``, in output order, with the columns ``output`` appends: their batch's
        status before the run and action, and the first cancellation, by file order then
        row, that matches each (``first_matching``)."""
        rows = in_order(lines)
        taken = take_rows(items, rows)
        facts = (
            named.batch_actions.select(
                pl.col("canonical_status").alias(contract.BATCH_STATUS), "action"
            )
            .gather(line_batch.gather(rows))
            .with_columns(
                cancelled_by.result()[cancelled_lines.search_sorted(rows)].alias(CANCELLED_BY)
            )
        )
        return pl.concat([taken, facts.select(output.appended)], how="horizontal")

    # Beside the lines' gathering: FILE:ROW of the cancellation that cancels each cancelled
    # line (found once for all), the per-batch counts and the orders' update.
    with ThreadPoolExecutor(max_workers=1) as beside, hinting:
        cancelled_by = beside.submit(
            first_matching, applied, items.select("order_id", "item_id")[cancelled_lines]
        )
        counting = beside.submit(
            batch_outcomes,
            named.batch_actions,
            line_batch,
            sorted_inputs.line_order,
            removed_lines,
            held_lines,
            policy.archived,
        )
        updating = beside.submit(
            updated_orders, inputs.orders, named.order_rows, cancelled_orders, policy.cancelled
        )
        removed_items = with_appended(removed_lines, contract.REMOVED_ITEMS)
        held_items = with_appended(held_lines, contract.HELD_ITEMS)
        kept_items = take(items, kept_in_order())
        outcomes, orders, judged = counting.result(), updating.result(), hinted.result()
    outputs = Outputs(
        batch_items=kept_items,
        removed_items=removed_items,
        held_items=held_items,
        batches=updated_batches(inputs.batches, outcomes),
        regeneration_queue=outcomes.filter(pl.col("queued")).select(
            "batch_id",
            pl.col("status_after").alias("status"),
            "items_removed",
            pl.col("item_count").alias("items_remaining"),
            "capacity",
        ),
        archive_list=outcomes.filter(pl.col("archived")).select(
            "batch_id", pl.col("canonical_status").alias("previous_status"), "items_removed"
        ),
        orders=orders,
        rejected_cancellations=rejected_rows(judged, given),
        unmatched_cancellations=unmatched_rows(judged, given),
        batch_outcomes=outcomes,
    )
    policy_order = policy_table(policy).select("canonical_status").with_row_index("order")
    return _with_counts(
        outputs, policy_order, cancellations, distinct_cancellations, judged, applied
    )


def distinct_rows(cancellations: pl.DataFrame, given: list[str]) -> pl.DataFrame:
    """One row per cancellation: rows equal in every column the files give are one, the
    first read (by file order, then row) standing for them (and named by cancelled_by)."""
    columns = [*given, *(["item_id"] if "item_id" not in given else [])]
    return cancellations.unique(columns, keep="first", maintain_order=True)


def find_named(inputs: Inputs, cancellations: pl.DataFrame, policy: Policy) -> Named:
    """What the cancellations name. Cancellations are few and orders many: one pass over
    the orders finds the rows the cancellations name, one over the lines those whose item a
    cancellation names; side by side (one ``collect_all``) with classifying the batches,
    each a single-threaded lookup, together keeping both cores busy."""
    orders, items = inputs.orders, inputs.batch_items
    order_rows, item_lines, batch_actions = pl.collect_all(
        [
            orders.lazy().select(
                pl.arg_where(pl.col("order_id").is_in(_pool(cancellations, ORDER_KEY)))
            ),
            items.lazy().select(
                pl.arg_where(pl.col("item_id").is_in(_pool(cancellations, ITEM_KEY)))
            ),
            classify_batches(inputs.batches, policy),
        ]
    )
    rows, lines = order_rows.to_series(), item_lines.to_series()
    return Named(
        order_rows=rows,
        order_ids=orders.get_column("order_id").gather(rows),
        item_lines=lines,
        batched_under=items.select("item_id", pl.col("order_id").alias("batched_order_id")).gather(
            lines
        ),
        batch_actions=batch_actions,
    )


def lines_cancelled(
    applied: pl.DataFrame, cancelled_orders: pl.Series, items: pl.DataFrame, named: Named
) -> pl.Series:
    """The positions, in input order, of the batch lines the applied cancellations cancel:
    every line of a whole-order cancellation's order, and each line a line cancellation
    names. Those of a named item are among the lines found already; only the orders need a
    new pass."""
    cancelled_items = applied.filter(pl.col(ITEM_KEY).is_not_null()).get_column(ITEM_KEY).unique()
    of_orders = (
        items.lazy()
        .select(pl.arg_where(pl.col("order_id").is_in(cancelled_orders.implode())))
        .collect()
        .to_series()
    )
    of_items = named.item_lines.filter(
        named.batched_under.get_column("item_id").is_in(cancelled_items.implode())
    )
    return pl.concat([of_orders, of_items]).unique().sort()


def _pool(cancellations: pl.DataFrame, column: str) -> pl.Series:
    """The distinct values the cancellations give in ``column``, for an ``is_in``."""
    return cancellations.get_column(column).drop_nulls().unique().implode()


def classify_batches(batches: pl.DataFrame, policy: Policy) -> pl.LazyFrame:
    """batch_id, capacity, canonical_status and action for every batch, in input order."""
    return (
        batches.lazy()
        .select("batch_id", "capacity", status_key_expr("status").alias("status_key"))
        .join(policy_table(policy).lazy(), on="status_key", how="left", maintain_order="left")
        .drop("status_key")
    )


def with_item_id(cancellations: pl.DataFrame) -> pl.DataFrame:
    """Cancellations with an ``item_id`` column; without one, every row cancels a whole order."""
    if "item_id" in cancellations.columns:
        return cancellations
    return cancellations.with_columns(item_id=pl.lit(None, pl.String))


# Where each cancellation row comes from, carried beside the files' own columns: the
# file's name as problems show it, and the line its record starts on (header = 1).
SOURCE_FILE = "__source_file"
SOURCE_LINE = "__source_line"
CANCELLED_BY = contract.CANCELLED_BY


def cancellation_columns(cancellations: pl.DataFrame) -> list[str]:
    """The columns the cancellation files give (not the job's own)."""
    return [name for name in cancellations.columns if name not in (SOURCE_FILE, SOURCE_LINE)]


def with_sources(cancellations: pl.DataFrame) -> pl.DataFrame:
    """Cancellations with their source file and line: as the pipeline read them, or, for
    rows given without (tests, library callers), one ``cancellations.csv`` in row order."""
    if SOURCE_FILE in cancellations.columns:
        return cancellations
    return cancellations.with_columns(
        pl.lit(contract.CANCELLATIONS.name).alias(SOURCE_FILE),
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(SOURCE_LINE),
    )


def first_matching(applied: pl.DataFrame, lines: pl.DataFrame) -> pl.Series:
    """For each of ``lines`` (order_id, item_id), ``FILE:ROW`` of the first applied
    cancellation, in reading order, that cancels it: a whole-order one of its order, or a
    line one of its item. ``applied`` are distinct applied rows in reading order."""
    ranked = applied.with_row_index("__rank")
    first_of = {
        key: ranked.filter(condition)
        .group_by(key_column)
        .agg(pl.col("__rank").min())
        .rename({key_column: key, "__rank": f"__rank_{key}"})
        for key, key_column, condition in (
            ("order_id", ORDER_KEY, pl.col(ITEM_KEY).is_null()),
            ("item_id", ITEM_KEY, pl.col(ITEM_KEY).is_not_null()),
        )
    }
    rank = (
        lines.select("order_id", "item_id")
        .join(first_of["order_id"], on="order_id", how="left", maintain_order="left")
        .join(first_of["item_id"], on="item_id", how="left", maintain_order="left")
        .select(pl.min_horizontal("__rank_order_id", "__rank_item_id"))
        .to_series()
    )
    # (formatted for the lines, not for every applied row)
    return (
        ranked.select(SOURCE_FILE, SOURCE_LINE)[rank]
        .select(pl.format("{}:{}", SOURCE_FILE, SOURCE_LINE))
        .to_series()
    )


# The ids a cancellation is matched by: its order_id and item_id trimmed of White_Space, as
# people type them (``SHOP-101865 ,``); a value of only White_Space is empty. The rows
# themselves, and so the outputs, keep the values as given.
ORDER_KEY = "__order_key"
ITEM_KEY = "__item_key"


def trimmed_id(column: str) -> pl.Expr:
    """``column`` trimmed of White_Space, null where nothing is left."""
    trimmed = pl.col(column).str.strip_chars(WHITE_SPACE)
    return pl.when(trimmed != "").then(trimmed)


def with_match_keys(cancellations: pl.DataFrame) -> pl.DataFrame:
    """Cancellations (with an ``item_id`` column) with the ids they are matched by."""
    return cancellations.with_columns(
        trimmed_id("order_id").alias(ORDER_KEY), trimmed_id("item_id").alias(ITEM_KEY)
    )


def ids_trimmed(cancellations: pl.DataFrame) -> int:
    """How many of the ``order_id`` and ``item_id`` values trimming changed."""
    columns = [name for name in ("order_id", "item_id") if name in cancellations.columns]
    if not columns:
        return 0
    changed = [
        (pl.col(name) != pl.col(name).str.strip_chars(WHITE_SPACE)).fill_null(False).sum()
        for name in columns
    ]
    return int(cancellations.select(pl.sum_horizontal(changed)).item())


def judge_cancellations(
    cancellations: pl.DataFrame, named_orders: pl.Series, batched_under: pl.DataFrame
) -> pl.DataFrame:
    """Each cancellation row with ``reason``, the first rejection reason that applies (else
    null), ``unmatched``: a line cancellation of a known order whose item no batch holds, and
    ``batched_order_id``: the order its item is batched under, if any.

    ``cancellations`` carry their match keys (``with_match_keys``); ``named_orders`` holds
    the order_id of every order some cancellation names; ``batched_under`` the item_id and
    ``batched_order_id`` of every batch line whose item some cancellation names.
    """
    order_keys = cancellations.get_column(ORDER_KEY)
    return (
        cancellations.with_columns(known_order=order_keys.is_in(named_orders.implode()))
        .join(
            batched_under.rename({"item_id": ITEM_KEY}),
            on=ITEM_KEY,
            how="left",
            maintain_order="left",
        )
        .with_columns(
            reason=pl.when(~pl.col("known_order"))
            .then(pl.lit("unknown_order"))
            .when(
                pl.col(ITEM_KEY).is_not_null()
                & pl.col("batched_order_id").is_not_null()
                & (pl.col("batched_order_id") != pl.col(ORDER_KEY))
            )
            .then(pl.lit("item_order_mismatch")),
            unmatched=pl.col("known_order")
            & pl.col(ITEM_KEY).is_not_null()
            & pl.col("batched_order_id").is_null(),
        )
        .drop("known_order")
    )


# ---- hints: advice for a person, computed only for the rows that did not apply -------

HINT = contract.HINT
# The furthest a typed item id may be from a batched one (in edits) to be proposed.
NEAREST_EDITS = 2


def loose_id(ids: pl.Expr) -> pl.Expr:
    """An id with case, punctuation, a leading prefix of letters and leading zeros ignored:
    ``shop-0101865``, ``SHOP101865`` and ``101865`` are all ``101865``."""
    return (
        ids.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "").str.replace(r"^\p{L}*0*", "")
    )


def with_hints(
    judged: pl.DataFrame, order_ids: pl.Series, batch_lines: pl.DataFrame
) -> pl.DataFrame:
    """``judged`` with ``hint`` on the rows that did not apply, null elsewhere: for an unknown
    order, the one known order equal to it once ``loose_id`` (none where several are); for an
    item batched under another order, that order; for an unmatched line, the order's batched
    item nearest by edit distance (at most ``NEAREST_EDITS``), or that the order has no
    batched line. Hints never change what is applied.

    ``order_ids`` are every order's; ``batch_lines`` every batch line's order_id and item_id.
    The orders and lines are looked at only when some row needs them.
    """
    unknown = judged.filter(pl.col("reason") == "unknown_order").get_column(ORDER_KEY).unique()
    unmatched = judged.filter(pl.col("unmatched")).select(ORDER_KEY, ITEM_KEY).unique()
    if unknown.len():
        judged = judged.join(
            _known_order_hints(unknown, order_ids), on=ORDER_KEY, how="left", maintain_order="left"
        )
    if unmatched.height:
        judged = judged.join(
            _nearest_item_hints(unmatched, batch_lines),
            on=[ORDER_KEY, ITEM_KEY],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    found = {name: pl.col(name) for name in ("__known_hint", "__item_hint") if name in judged}
    none = pl.lit(None, pl.String)
    return judged.with_columns(
        pl.when(pl.col("reason") == "unknown_order")
        .then(found.get("__known_hint", none))
        .when(pl.col("reason") == "item_order_mismatch")
        .then(pl.format("the item is batched under order {}", "batched_order_id"))
        .when(pl.col("unmatched"))
        .then(found.get("__item_hint", none))
        .alias(HINT)
    ).drop(*found)


def with_removal_hints(unmatched: pl.DataFrame, removals: pl.DataFrame) -> pl.DataFrame:
    """``unmatched`` cancellations (contract names, then ``hint``) with "removed by run NAME"
    as the hint of each whose line an earlier run removed: the exact reason no batch holds it.

    ``removals`` holds ``run``, ``order_id`` and ``item_id`` of the lines earlier kept runs
    removed, newest run first (the first that removed a line names it)."""
    if unmatched.height == 0 or removals.height == 0:
        return unmatched
    latest = removals.unique(["order_id", "item_id"], keep="first", maintain_order=True)
    keyed = unmatched.with_columns(
        trimmed_id("order_id").alias(ORDER_KEY), trimmed_id("item_id").alias(ITEM_KEY)
    ).join(
        latest.rename({"order_id": ORDER_KEY, "item_id": ITEM_KEY}),
        on=[ORDER_KEY, ITEM_KEY],
        how="left",
        maintain_order="left",
    )
    removed_by = pl.format("removed by run {}", "run")
    return keyed.with_columns(
        pl.when(pl.col("run").is_not_null()).then(removed_by).otherwise(pl.col(HINT)).alias(HINT)
    ).select(unmatched.columns)


def _known_order_hints(unknown: pl.Series, order_ids: pl.Series) -> pl.DataFrame:
    """order key -> hint, for the unknown orders one known order matches loosely."""
    typed = pl.DataFrame({ORDER_KEY: unknown}).with_columns(loose=loose_id(pl.col(ORDER_KEY)))
    wanted = typed.get_column("loose").filter(typed.get_column("loose") != "")
    if wanted.len() == 0:
        return typed.select(ORDER_KEY, pl.lit(None, pl.String).alias("__known_hint"))
    candidates = _numbered_candidates(wanted, order_ids)
    if candidates is None:
        # Only the orders that hold one of the wanted ids, case aside, are made loose: a
        # pass over the orders' ids, not a rewrite of each.
        candidates = order_ids.filter(
            order_ids.str.contains_any(wanted.unique().to_list(), ascii_case_insensitive=True)
        )
    known = (
        pl.DataFrame({"known": candidates})
        .with_columns(loose=loose_id(pl.col("known")))
        .group_by("loose")
        .agg(pl.col("known").first(), count=pl.len())
        .filter(pl.col("count") == 1)
    )
    return typed.join(known, on="loose", how="left").select(
        ORDER_KEY, pl.format("did you mean order {}?", "known").alias("__known_hint")
    )


def _numbered_candidates(wanted: pl.Series, order_ids: pl.Series) -> pl.Series | None:
    """The orders whose loose id is one of ``wanted``, found without making any order's id
    loose, when the orders are numbered (one length, one head of letters and punctuation,
    then digits: ``SHOP-00101865``): the one order whose loose id is digits ``K`` is then the
    head and ``K`` padded with zeros, looked up exactly. None for orders of other shapes.
    (Making 2.5M ids loose took 0.3-1 s; this, 0.1 s.)"""
    length = one_length(order_ids)
    if length is None:
        return None
    lowest, highest = str(order_ids.min()), str(order_ids.max())
    shared = next(
        (at for at, pair in enumerate(zip(lowest, highest, strict=False)) if pair[0] != pair[1]),
        min(len(lowest), len(highest)),
    )
    head = lowest[:shared].rstrip("0123456789")
    width = length - len(head.encode())
    if width <= 0 or pl.select(loose_id(pl.lit(head))).item() != "":
        return None
    keys = [key for key in wanted.unique().to_list() if key.isascii() and key.isdigit()]
    if len(keys) != wanted.n_unique() or numbers_after(order_ids, head) is None:
        return None  # a key with letters, or tails that are not all digits: the long way
    made = pl.Series(
        [head + key.zfill(width) for key in keys if len(key) <= width], dtype=pl.String
    )
    return order_ids.filter(order_ids.is_in(made.implode()))  # (the few into the many)


def _nearest_item_hints(unmatched: pl.DataFrame, batch_lines: pl.DataFrame) -> pl.DataFrame:
    """(order key, item key) -> hint, for line cancellations whose item no batch holds."""
    orders = unmatched.get_column(ORDER_KEY).unique().implode()
    batched = (
        batch_lines.lazy()
        .filter(pl.col("order_id").is_in(orders))
        .group_by("order_id")
        .agg(pl.col("item_id").sort())
        .collect()
    )
    rows = unmatched.join(
        batched.rename({"order_id": ORDER_KEY, "item_id": "batched"}), on=ORDER_KEY, how="left"
    )
    # Edit distance has no Polars expression; the rows here are the few unmatched lines,
    # each against its own order's lines.
    hints = [
        _nearest_item_hint(typed, batched_items)
        for typed, batched_items in rows.select(ITEM_KEY, "batched").iter_rows()
    ]
    return rows.select(ORDER_KEY, ITEM_KEY).with_columns(pl.Series("__item_hint", hints, pl.String))


def _nearest_item_hint(typed: str, batched: list[str] | None) -> str | None:
    if not batched:
        return "the order has no batched line"
    distances = {item: edit_distance(typed, item, NEAREST_EDITS) for item in batched}
    best = min(distances.values())
    if best > NEAREST_EDITS:
        return None
    nearest = [item for item in batched if distances[item] == best]  # (sorted already)
    return f"did you mean item {' or '.join(nearest)}?"


def edit_distance(first: str, second: str, most: int) -> int:
    """The edit distance of two strings counting a swap of two neighbours as one edit (the
    optimal string alignment distance: ``000181`` is one edit from ``000118``), or
    ``most + 1`` once it must exceed ``most``."""
    if abs(len(first) - len(second)) > most:
        return most + 1
    before: list[int] = []
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            cost = min(
                previous[column] + 1, current[-1] + 1, previous[column - 1] + (char != other)
            )
            if (
                row > 1
                and column > 1
                and char == second[column - 2]
                and first[row - 2] == other
                and char != other
            ):
                cost = min(cost, before[column - 2] + 1)
            current.append(cost)
        if min(current) > most:
            return most + 1
        before, previous = previous, current
    return min(previous[-1], most + 1)


def batch_outcomes(
    batch_actions: pl.DataFrame,
    line_batch: pl.Series,
    line_order: pl.Series,
    removed_lines: pl.Series,
    held_lines: pl.Series,
    archived_status: str,
) -> pl.DataFrame:
    """Per batch, in input order: counts before and after, and what the run decided.

    In output order (``line_order``) each batch's lines are one run: counting the runs
    is a scan, several times cheaper than a group-by of every line (0.1 s against 0.3 s
    at 5M lines). The removed and held lines, a few, are counted per batch as they are.
    Batches are rows: each count is scattered to its batch's row, not joined.
    """
    # (the lines' batches taken by indexing: see ``take_rows``)
    runs = line_batch[line_order].rle().struct.unnest()
    removed = line_batch[removed_lines].value_counts()
    held = line_batch[held_lines].value_counts()

    def per_batch(rows: pl.Series, counts: pl.Series) -> pl.Series:
        zeros = pl.zeros(batch_actions.height, pl.Int64, eager=True)
        return zeros.scatter(rows, counts.cast(pl.Int64))

    return (
        batch_actions.with_columns(
            items_before=per_batch(runs.get_column("value"), runs.get_column("len")),
            items_removed=per_batch(removed.to_series(0), removed.get_column("count")),
            items_held=per_batch(held.to_series(0), held.get_column("count")),
        )
        .with_columns(item_count=pl.col("items_before") - pl.col("items_removed"))
        .with_columns(archived=(pl.col("items_removed") > 0) & (pl.col("item_count") == 0))
        .with_columns(
            status_after=pl.when(pl.col("archived"))
            .then(pl.lit(archived_status))
            .otherwise(pl.col("canonical_status")),
            queued=(pl.col("action") == "regenerate")
            & (pl.col("items_removed") > 0)
            & (pl.col("item_count") > 0),
            open_slots=pl.when((pl.col("action") == "refill") & ~pl.col("archived"))
            .then((capacity_number("capacity") - pl.col("item_count")).clip(lower_bound=0))
            .otherwise(0),
        )
    )


def capacity_number(column: str) -> pl.Expr:
    """``capacity`` as a number; validated as digits only, at most 18 significant."""
    return pl.col(column).cast(pl.Int64)


def updated_batches(batches: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """Input batch columns with the new status, then the computed columns (input ones dropped).

    ``outcomes`` has one row per batch in ``batches``' order.
    """
    carried = [name for name in batches.columns if name not in COMPUTED_BATCH_COLUMNS]
    return batches.select(carried).with_columns(
        outcomes.get_column("status_after").alias("status"),
        outcomes.get_column("item_count"),
        outcomes.get_column("open_slots"),
    )


def updated_orders(
    orders: pl.DataFrame, named_rows: pl.Series, cancelled_orders: pl.Series, cancelled: str
) -> pl.DataFrame:
    """Input orders with status ``cancelled`` for whole-order cancellations.

    ``named_rows`` are the rows of ``orders`` some cancellation names (a superset
    of the cancelled ones): only those are looked at.
    """
    named_ids = orders.get_column("order_id").gather(named_rows)
    cancelled_rows = named_rows.filter(named_ids.is_in(cancelled_orders.implode()))
    status = orders.get_column("status").clone().scatter(cancelled_rows, cancelled)
    return orders.with_columns(status)


def rejected_rows(judged: pl.DataFrame, input_columns: list[str]) -> pl.DataFrame:
    """Rejected distinct cancellation rows: input columns as given, then ``reason`` and
    ``hint``, in contract order."""
    output = contract.REJECTED_CANCELLATIONS
    rejected = judged.filter(pl.col("reason").is_not_null()).select(
        *input_columns, *output.appended
    )
    return _sorted_cancellations(rejected, output)


def unmatched_rows(judged: pl.DataFrame, input_columns: list[str]) -> pl.DataFrame:
    """Distinct line cancellations of known orders whose item no batch holds: input columns
    as given, then ``hint``."""
    output = contract.UNMATCHED_CANCELLATIONS
    unmatched = judged.filter(pl.col("unmatched")).select(*input_columns, *output.appended)
    return _sorted_cancellations(unmatched, output)


def _sorted_cancellations(rows: pl.DataFrame, output: contract.OutputFile) -> pl.DataFrame:
    """``rows`` by the output's leading columns, then the other columns left to right."""
    leading = [name for name in output.sorted_by if name in rows.columns]
    others = [name for name in rows.columns if name not in leading]
    return rows.sort(*leading, *others)


def _with_counts(
    outputs: Outputs,
    policy_order: pl.DataFrame,
    cancellations: pl.DataFrame,
    distinct_cancellations: pl.DataFrame,
    judged: pl.DataFrame,
    applied: pl.DataFrame,
) -> Outputs:
    """The outputs with the summary's counts: per kind of cancellation and per action."""
    facts = {
        "batches": pl.len(),
        "batches_touched": ((pl.col("items_removed") > 0) | (pl.col("items_held") > 0)).sum(),
        "lines_removed": pl.col("items_removed").sum(),
        "lines_held": pl.col("items_held").sum(),
        "batches_queued": pl.col("queued").sum(),
        "batches_archived": pl.col("archived").sum(),
    }
    per_action = {action: dict.fromkeys(facts, 0) for action in ACTIONS}
    by_action = outputs.batch_outcomes.group_by("action").agg(**facts)
    for row in by_action.iter_rows(named=True):  # one row per action: three at most
        action = row.pop("action")
        per_action[action] = {name: int(value) for name, value in row.items()}
    # Per batch status, in the policy's order (the pipeline's, then statuses it adds).
    by_status = (
        outputs.batch_outcomes.group_by("canonical_status", "action")
        .agg(**facts)
        .join(policy_order, on="canonical_status", how="left")
        .sort("order")
    )
    per_status = {
        row.pop("canonical_status"): {
            name: value if name == "action" else int(value)
            for name, value in row.items()
            if name != "order"
        }
        for row in by_status.iter_rows(named=True)  # one row per status present: a dozen
    }
    whole_order = int(applied.get_column(ITEM_KEY).null_count())
    counts: dict[str, object] = {
        "cancellations": {
            "rows": cancellations.height,
            "distinct": distinct_cancellations.height,
            "applied": applied.height,
            "whole_order": whole_order,
            "line": applied.height - whole_order,
            "rejected": {
                reason: judged.filter(pl.col("reason") == reason).height
                for reason in REJECTION_REASONS
            },
            "unmatched": outputs.unmatched_cancellations.height,
        },
        "orders_cancelled": applied.filter(pl.col(ITEM_KEY).is_null())
        .get_column(ORDER_KEY)
        .n_unique(),
        "actions": per_action,
        "statuses": per_status,
    }
    return replace(outputs, counts=counts)
