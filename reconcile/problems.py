"""The validation report's one table: every input problem is a row of it.

Readers (``csvio``), schema checks and cross-file joins (``schemas``) all emit
rows of this shape, so the report can group, count and write them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "problem": pl.String(),
    "kind": pl.String(),
}

# kind -> (what is wrong, how to fix it). The report shows the first line per
# problem and the second once per kind.
KINDS: Mapping[str, tuple[str, str]] = {
    "missing_file": ("file is missing", "give the right path, or put the file in the input folder"),
    "unreadable_file": (
        "file cannot be read",
        "give the path of a readable, regular file (not a folder, FIFO or device)",
    ),
    "not_utf8": ("bytes that are not UTF-8", "save the file as UTF-8 (a BOM is fine)"),
    "empty_file": ("file is empty: no header row", "export the file again with its header row"),
    "cr_line_ends": (
        "lines end with a carriage return alone (CR, as classic Mac OS wrote them)",
        "save the file with LF or CRLF line ends (Windows or Unix format)",
    ),
    "bad_quoting": (
        "quoting error",
        'double a quote inside a quoted field (""), close every quoted field, '
        "and put nothing but a comma or a line end after a closing quote",
    ),
    "wrong_field_count": (
        "wrong number of fields",
        "every row needs as many comma-separated fields as the header; "
        "quote values that contain commas",
    ),
    "missing_column": (
        "required column is missing",
        "add the column to the header, or map the export's own header to it in the "
        'configuration ([columns.FILE] column = "Header"); files are comma-separated',
    ),
    "repeated_column": ("column name repeated", "rename or remove one of the columns"),
    "reserved_column": (
        "column name is one the job appends",
        "rename or remove the column: the job writes a column of that name itself",
    ),
    "empty_value": ("required value is empty", "fill in the value, or remove the row"),
    "repeated_key": ("key repeated", "keep one row per key"),
    "bad_capacity": ("capacity is not a whole number", "write capacity as digits only, e.g. 24"),
    "capacity_too_large": (
        "capacity has more than 18 significant digits",
        "write the batch's real number of slots",
    ),
    "unknown_status": (
        "unknown batch status",
        "fix the spelling, or map the status to an action with --policy FILE",
    ),
    "unknown_batch": ("batch_id not in batches.csv", "add the batch, or remove the line"),
    "unknown_order": ("order_id not in orders.csv", "add the order, or remove the line"),
    "invalid_value": ("value fails a check", "fix the value"),
}


def problem_rows(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """A problem table from a few hand-made rows; ``problem`` defaults to the kind's text."""
    filled = [
        {
            "file": row["file"],
            "row": row.get("row"),
            "column": row.get("column"),
            "value": row.get("value"),
            "problem": row.get("problem") or KINDS[row["kind"]][0],
            "kind": row["kind"],
        }
        for row in rows
    ]
    return pl.DataFrame(filled, schema=PROBLEM_SCHEMA)


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def concat_problems(tables: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """All problems, in a stable order: file, then row, then column, then kind."""
    frames = [
        table.select(list(PROBLEM_SCHEMA)).cast(pl.Schema(PROBLEM_SCHEMA)) for table in tables
    ]
    if not frames:
        return empty_problems()
    return pl.concat(frames).sort(
        ["file", "row", "column", "kind", "value"], nulls_last=False, maintain_order=True
    )
