"""Pandera schemas for every input and output, and the cross-file checks.

Inputs are validated eagerly and lazily (all failures collected) on collected
frames; Pandera's failure cases are translated into rows of the one problem
table (``problems.PROBLEM_SCHEMA``), never shown as Pandera's own text. Checks
that need two files are Polars lookups feeding the same table. Outputs are
validated against the contract's guarantees; a failure there is a bug.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from reconcile import contract
from reconcile.contract import (
    BATCH_ITEMS,
    BATCHES,
    CANCELLATIONS,
    ORDERS,
    REJECTION_REASONS,
    WHITE_SPACE,
    InputFile,
)
from reconcile.csvio import CsvTable
from reconcile.errors import InternalError
from reconcile.lookup import is_in_hashed
from reconcile.policy import REMOVING_ACTIONS, Policy
from reconcile.problems import KINDS, concat_problems, empty_problems, problem_rows
from reconcile.rules import Inputs, Outputs, policy_table, status_key_expr

# Capacities are compared with 64-bit integers; more than 18 significant digits
# is a data error in practice and would overflow.
MAX_CAPACITY_DIGITS = 18


def warm_up() -> None:
    """Import what Pandera imports on its first validation: its Polars checks, and with
    them its data-generation strategies and Hypothesis where installed (0.15 s alone,
    0.4 s beside a run's reading). The pipeline calls this while Polars reads the files."""
    with contextlib.suppress(ImportError):  # a module of Pandera's own, not its API
        import pandera.backends.polars.builtin_checks  # noqa: F401


def _check(kind: str, condition: Callable[[str], pl.Expr]) -> pa.Check:
    """A vectorized Pandera check whose failures carry ``kind`` as their check name."""

    def run(data: Any) -> Any:
        return data.lazyframe.select(condition(data.key))

    return pa.Check(run, name=kind, error=kind)


def hashes_unique(values: pl.Series) -> bool:
    """Whether ``values`` are unique, from their 64-bit hashes.

    Equal values hash alike, so distinct hashes prove uniqueness; a collision only
    sends us to the exact listing in ``repeated_keys``, which finds nothing.
    """
    return bool(values.hash().n_unique() == values.len())


CAPACITY_DIGITS = _check(
    "bad_capacity", lambda c: pl.col(c).is_null() | pl.col(c).str.contains(r"^[0-9]+$")
)
CAPACITY_SIZE = _check(
    "capacity_too_large",
    lambda c: (
        pl.col(c).is_null()
        | (pl.col(c).str.strip_chars_start("0").str.len_bytes() <= MAX_CAPACITY_DIGITS)
    ),
)


NOT_ONLY_WHITE_SPACE = _check(
    "empty_value",
    lambda c: pl.col(c).is_null() | (pl.col(c).str.strip_chars(WHITE_SPACE) != ""),
)


def input_schema(file: InputFile, policy: Policy) -> pa.DataFrameSchema:
    """The Pandera schema of one input file; extra columns are allowed and carried through.

    An empty value is null (see csvio), so Pandera's not-nullable check is the
    "empty required value" rule; a value of spaces is a value, as the contract says.
    """
    known_keys = policy_table(policy).get_column("status_key")
    known_status = _check(
        "unknown_status",
        lambda c: pl.col(c).is_null() | status_key_expr(c).is_in(known_keys.implode()),
    )
    extra_checks: dict[tuple[InputFile, str], list[pa.Check]] = {
        (BATCHES, contract.STATUS): [known_status],
        (BATCHES, contract.CAPACITY): [CAPACITY_DIGITS, CAPACITY_SIZE],
        # ids typed by people are trimmed: one of only White_Space is empty
        (CANCELLATIONS, contract.ORDER_ID): [NOT_ONLY_WHITE_SPACE],
    }
    # (A key's uniqueness is checked apart, by ``repeated_key_problems``.)
    columns = {
        name: pa.Column(pl.String, checks=extra_checks.get((file, name), []))
        for name in file.required
    }
    columns.update(
        {name: pa.Column(pl.String, required=False, nullable=True) for name in file.optional}
    )
    return pa.DataFrameSchema(columns, strict=False, name=file.name)


def _in_memory() -> pl.Config:
    """Polars settings for Pandera's queries. Pandera collects each check with Polars'
    default engine, whose start-up costs about 0.6 ms a query against 0.04 ms for the
    in-memory engine; a run makes a few hundred such queries (it halved a tiny run's time),
    and at 5M lines the in-memory engine is faster too (validation 1.5 s -> 1.1 s)."""
    return pl.Config(engine_affinity="in-memory")


def validate_files(tables: Iterable[tuple[InputFile, CsvTable]], policy: Policy) -> pl.DataFrame:
    """Every problem found within single files: header checks, each file's Pandera schema
    and its key's uniqueness. (The pipeline runs the two apart, the keys beside the sort's
    work: see ``repeated_key_problems``.)"""
    tables = list(tables)
    return concat_problems([schema_problems(tables, policy), repeated_key_problems(tables, {})])


def schema_problems(tables: Iterable[tuple[InputFile, CsvTable]], policy: Policy) -> pl.DataFrame:
    """The header checks and each file's Pandera schema."""
    tables = list(tables)
    problems = [header_problems(file, table) for file, table in tables]
    with _in_memory():
        problems += [_pandera_problems(table, input_schema(file, policy)) for file, table in tables]
    return concat_problems(problems)


def repeated_key_problems(
    tables: Iterable[tuple[InputFile, CsvTable]], unique: Mapping[str, bool | None]
) -> pl.DataFrame:
    """Every row whose key repeats another's, in each file with a key.

    ``unique`` gives, by file name, whether its key is unique where that is known
    already (the sort's work answers it: ``rules.KeyOrder``); other keys are checked on
    hashes (``hashes_unique``). Only a key found repeated is listed, exactly
    (``repeated_keys``).
    """
    problems = []
    for file, table in tables:
        if file.key is None or file.key not in table.frame.columns:
            continue  # a missing column is reported with the header
        found = unique.get(file.name)
        if found is None:
            found = hashes_unique(table.frame.get_column(file.key))
        if not found:
            problems.append(repeated_keys(table, file.key))
    return concat_problems(problems)


def header_problems(file: InputFile, table: CsvTable) -> pl.DataFrame:
    """Input columns named like a column the job appends to that file's outputs."""
    reserved = file.reserved
    return problem_rows(
        {
            "file": table.label,
            "row": 1,
            "column": name,
            "value": name,
            "kind": "reserved_column",
            "problem": f"column {name!r} is one the job appends to this file's outputs",
        }
        for name in table.header
        if name in reserved
    )


def _pandera_problems(table: CsvTable, schema: pa.DataFrameSchema) -> pl.DataFrame:
    try:
        schema.validate(table.frame, lazy=True)
    except SchemaErrors as errors:
        return _translate(table, errors.failure_cases)
    return empty_problems()


def _translate(table: CsvTable, failures: pl.DataFrame) -> pl.DataFrame:
    """Pandera failure cases -> problem rows, with the index turned into a file line."""
    kind = (
        pl.when(pl.col("check") == "column_in_dataframe")
        .then(pl.lit("missing_column"))
        .when(pl.col("check") == "not_nullable")
        .then(pl.lit("empty_value"))
        .when(pl.col("check").is_in(list(KINDS)))
        .then(pl.col("check"))
        .otherwise(pl.lit("invalid_value"))
    )
    problem_text = pl.col("kind").replace_strict(
        {name: text for name, (text, _) in KINDS.items()},
        default=pl.format("fails check {}", pl.col("check")),
        return_dtype=pl.String,
    )
    missing_column = pl.col("kind") == "missing_column"
    return (
        failures.with_columns(kind=kind, index=pl.col("index").cast(pl.Int64))
        .join(_line_of_index(table, failures), on="index", how="left", maintain_order="left")
        .select(
            file=pl.lit(table.label),
            row=pl.when(missing_column).then(pl.lit(1, pl.Int64)).otherwise(pl.col("line")),
            column=pl.when(missing_column).then(pl.col("failure_case")).otherwise(pl.col("column")),
            value=pl.when(missing_column)
            .then(pl.lit(""))
            .otherwise(pl.col("failure_case").fill_null("")),
            problem=pl.when(missing_column)
            .then(pl.format("required column {} is missing", pl.col("failure_case")))
            .otherwise(problem_text),
            kind="kind",
        )
    )


def _line_of_index(table: CsvTable, failures: pl.DataFrame) -> pl.DataFrame:
    """index -> file line, for the row indexes Pandera reported."""
    index = failures.get_column("index").drop_nulls().cast(pl.Int64).unique()
    index = index.filter(index < table.frame.height)
    return pl.DataFrame({"index": index, "line": table.line_of(index)})


def repeated_keys(table: CsvTable, column: str) -> pl.DataFrame:
    """Every row whose (non-empty) key value appears more than once."""
    repeated = (
        table.frame.select(pl.col(column).alias("value"))
        .with_row_index("index")
        .filter(pl.col("value").is_not_null() & pl.col("value").is_duplicated())
    )
    return repeated.with_columns(row=table.line_of(repeated.get_column("index"))).select(
        file=pl.lit(table.label),
        row="row",
        column=pl.lit(column),
        value="value",
        problem=pl.lit(KINDS["repeated_key"][0]),
        kind=pl.lit("repeated_key"),
    )


def unknown_batch_problems(
    tables: Mapping[str, CsvTable], line_batch: pl.Series | None
) -> pl.DataFrame:
    """Batch lines whose batch is not in batches.csv: ``rules.link_batches`` found none."""
    items = tables.get(BATCH_ITEMS.name)
    if items is None or line_batch is None:
        return empty_problems()
    batches = tables.get(BATCHES.name)
    read = batches.label if batches is not None else BATCHES.name
    return _orphans(items, "batch_id", line_batch.is_null(), "unknown_batch", read)


def unknown_order_problems(tables: Mapping[str, CsvTable]) -> pl.DataFrame:
    """Batch lines whose order is not in orders.csv.

    On 64-bit hashes: equal ids always match, so a missing order is never reported
    wrongly; a line naming a missing order could only pass if its id collided with
    an existing one's hash (odds about 1e-13 per such line).
    """
    items, orders = tables.get(BATCH_ITEMS.name), tables.get(ORDERS.name)
    if items is None or orders is None:
        return empty_problems()
    if "order_id" not in orders.frame.columns or "order_id" not in items.frame.columns:
        return empty_problems()
    known = is_in_hashed(items.frame.get_column("order_id"), orders.frame.get_column("order_id"))
    return _orphans(items, "order_id", ~known, "unknown_order", orders.label)


def _orphans(
    items: CsvTable, column: str, missing: pl.Series, kind: str, read: str
) -> pl.DataFrame:
    """Lines whose ``column`` names nothing in the file read as ``read`` (its name as problems
    show it: the file ``pick`` chose, say), so the problem names the file looked in."""
    keys = items.frame.get_column(column)
    # a null key is an empty value, reported already
    rows = items.frame.select(column).with_row_index("index").filter(missing & keys.is_not_null())
    return rows.with_columns(row=items.line_of(rows.get_column("index"))).select(
        file=pl.lit(items.label),
        row="row",
        column=pl.lit(column),
        value=pl.col(column),
        problem=pl.lit(f"{column} not in {read}"),
        kind=pl.lit(kind),
    )


def _frame_check(name: str, condition: pl.Expr) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(condition), name=name, error=name)


def _columns(*names: str, dtype: Any = pl.String) -> dict[str, pa.Column]:
    return {name: pa.Column(dtype) for name in names}


OUTPUT_SCHEMAS: Mapping[str, pa.DataFrameSchema] = {
    "batch_outcomes": pa.DataFrameSchema(
        {
            **_columns("batch_id", "capacity", "canonical_status", "action", "status_after"),
            **_columns(
                "items_before",
                "items_removed",
                "items_held",
                "item_count",
                "open_slots",
                dtype=pl.Int64,
            ),
        },
        checks=[
            _frame_check("item_count is never negative", pl.col("item_count") >= 0),
            _frame_check(
                "an archived batch has no lines, lost some this run and is Archived",
                ~pl.col("archived")
                | (
                    (pl.col("item_count") == 0)
                    & (pl.col("items_removed") > 0)
                    & pl.col("archived_status")
                ),
            ),
            _frame_check(
                "a queued batch still has lines and its action is regenerate",
                ~pl.col("queued")
                | ((pl.col("item_count") > 0) & (pl.col("action") == "regenerate")),
            ),
            _frame_check(
                "open_slots is 0 unless the action is refill and the batch was not archived",
                (pl.col("open_slots") == 0)
                | ((pl.col("action") == "refill") & ~pl.col("archived")),
            ),
            _frame_check("open_slots is never negative", pl.col("open_slots") >= 0),
            _frame_check(
                "only refill and regenerate remove lines; only hold keeps cancelled lines",
                ((pl.col("items_removed") == 0) | (pl.col("action") != "hold"))
                & ((pl.col("items_held") == 0) | (pl.col("action") == "hold")),
            ),
        ],
        strict=False,
    ),
    contract.REGENERATION_QUEUE.name: pa.DataFrameSchema(
        {
            **_columns("batch_id", "status"),
            "items_removed": pa.Column(pl.Int64, pa.Check.gt(0)),
            "items_remaining": pa.Column(pl.Int64, pa.Check.gt(0)),
            "capacity": pa.Column(pl.String),
        },
        strict=True,
        ordered=True,
    ),
    contract.ARCHIVE_LIST.name: pa.DataFrameSchema(
        {
            **_columns("batch_id", "previous_status"),
            "items_removed": pa.Column(pl.Int64, pa.Check.gt(0)),
        },
        strict=True,
        ordered=True,
    ),
    # The appended columns are contract.py's, each not empty: every removed or held line
    # has its batch's status and the cancellation that did it.
    contract.REMOVED_ITEMS.name: pa.DataFrameSchema(
        {
            **_columns("batch_id", "order_id", "item_id", *contract.REMOVED_ITEMS.appended),
            contract.ACTION: pa.Column(pl.String, pa.Check.isin(list(REMOVING_ACTIONS))),
        },
        strict=False,
    ),
    contract.HELD_ITEMS.name: pa.DataFrameSchema(
        _columns("batch_id", "order_id", "item_id", *contract.HELD_ITEMS.appended),
        strict=False,
    ),
    contract.KEPT_ITEMS.name: pa.DataFrameSchema(
        _columns("batch_id", "order_id", "item_id"), strict=False
    ),
    contract.UPDATED_BATCHES.name: pa.DataFrameSchema(
        {
            **_columns("batch_id", "status", "capacity"),
            "item_count": pa.Column(pl.Int64, pa.Check.ge(0)),
            "open_slots": pa.Column(pl.Int64, pa.Check.ge(0)),
        },
        strict=False,
    ),
    contract.UPDATED_ORDERS.name: pa.DataFrameSchema(_columns("order_id", "status"), strict=False),
    contract.REJECTED_CANCELLATIONS.name: pa.DataFrameSchema(
        {
            "order_id": pa.Column(pl.String),
            "reason": pa.Column(pl.String, pa.Check.isin(list(REJECTION_REASONS))),
            contract.HINT: pa.Column(pl.String, nullable=True),
        },
        strict=False,
    ),
    contract.UNMATCHED_CANCELLATIONS.name: pa.DataFrameSchema(
        # A file without item_id cancels whole orders only, so lists no unmatched line.
        {
            "order_id": pa.Column(pl.String),
            "item_id": pa.Column(pl.String, required=False),
            contract.HINT: pa.Column(pl.String, nullable=True),
        },
        strict=False,
    ),
}


SHOWN_FAILURES = 3


def _failure_lines(name: str, failures: pl.DataFrame) -> list[str]:
    """One line per failed check of an output: the column, the check and its first rows
    (row as the output's index, and the value), so a bug report says where to look."""
    lines = []
    grouped = failures.with_columns(pl.col("failure_case").cast(pl.String)).group_by(
        "column", "check", maintain_order=True
    )
    for (column, check), rows in grouped:
        shown = ", ".join(
            f"row {index}: {value!r}"
            for index, value in rows.select("index", "failure_case").head(SHOWN_FAILURES).rows()
        )
        more = f" and {rows.height - SHOWN_FAILURES} more" if rows.height > SHOWN_FAILURES else ""
        where = f"column {column}" if column is not None else "the frame"
        lines.append(f"{name}: {where} fails {check} ({shown}{more})")
    return lines


def validate_outputs(inputs: Inputs, outputs: Outputs, policy: Policy) -> None:
    """Check the outputs against the contract's guarantees; raise ``InternalError`` if not."""
    outcomes = outputs.batch_outcomes.with_columns(
        archived_status=pl.col("status_after") == policy.archived
    )
    frames = {"batch_outcomes": outcomes, **outputs.files()}
    failures: list[str] = []
    with _in_memory():
        for name, schema in OUTPUT_SCHEMAS.items():
            try:
                schema.validate(frames[name], lazy=True)
            except SchemaErrors as errors:
                failures += _failure_lines(name, errors.failure_cases)
    kept, removed = outputs.batch_items.height, outputs.removed_items.height
    # Counted per batch from every input line (the rules may have moved the lines out
    # of ``inputs`` into the kept ones).
    lines_in = int(outputs.batch_outcomes.get_column("items_before").sum())
    if kept + removed != lines_in:
        failures.append(f"batch lines lost: {lines_in} in, {kept} kept + {removed} removed")
    if (
        outputs.batches.height != inputs.batches.height
        or outputs.orders.height != inputs.orders.height
    ):
        failures.append("batches.csv or orders.csv does not have one row per input row")
    if failures:
        raise InternalError(
            "internal error: the outputs break the contract, nothing was written; "
            "please report this with the input files.\n  " + "\n  ".join(failures)
        )
