"""Keyed comparison of two output folders: which rows were added, removed or changed.

Rows are matched by each file's contract key (``batch_id`` + ``item_id`` for the
line files, ``batch_id`` for batch files, ``order_id`` for orders, the whole row
for rejected cancellations); ``summary.json`` is compared entry by entry. Only
columns present on both sides are compared value by value; a column on one side
only is reported once for the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from reconcile import csvio
from reconcile.errors import ReconcileError

SUMMARY = "summary.json"
KEYS: Mapping[str, tuple[str, ...]] = {
    "batch_items.csv": ("batch_id", "item_id"),
    "removed_items.csv": ("batch_id", "item_id"),
    "held_items.csv": ("batch_id", "item_id"),
    "batches.csv": ("batch_id",),
    "regeneration_queue.csv": ("batch_id",),
    "archive_list.csv": ("batch_id",),
    "orders.csv": ("order_id",),
    "rejected_cancellations.csv": (),  # the whole row is the key
    SUMMARY: ("entry",),
}
OCCURRENCE = "__occurrence"


class DiffTrouble(ReconcileError):
    """A folder is missing or a file cannot be read: ``diff`` exits 2."""

    exit_code = 2


@dataclass(frozen=True)
class FileDiff:
    name: str
    key: tuple[str, ...]
    only_in: str | None = None  # "old" or "new" when the file exists on one side only
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    added: pl.DataFrame = field(default_factory=pl.DataFrame)
    removed: pl.DataFrame = field(default_factory=pl.DataFrame)
    changes: pl.DataFrame = field(default_factory=pl.DataFrame)  # key..., column, old, new
    changed_rows: int = 0

    @property
    def identical(self) -> bool:
        return (
            self.only_in is None
            and not self.columns_added
            and not self.columns_removed
            and self.added.height == 0
            and self.removed.height == 0
            and self.changed_rows == 0
        )


def compare_folders(old: Path, new: Path, only: str | None = None) -> list[FileDiff]:
    """Compare every output file of ``old`` and ``new`` (or just ``only``)."""
    for folder in (old, new):
        if not folder.is_dir():
            raise DiffTrouble(f"{folder}: no such folder")
    names = [only] if only else list(KEYS)
    if only and only not in KEYS:
        raise DiffTrouble(f"--file {only}: not an output file; one of {', '.join(KEYS)}")
    diffs = []
    for name in names:
        old_path, new_path = old / name, new / name
        if not old_path.exists() and not new_path.exists():
            continue
        if not old_path.exists() or not new_path.exists():
            diffs.append(FileDiff(name, KEYS[name], only_in="new" if new_path.exists() else "old"))
            continue
        diffs.append(compare_tables(name, _load(old_path, name), _load(new_path, name)))
    return diffs


def _load(path: Path, name: str) -> pl.DataFrame:
    if name == SUMMARY:
        return _summary_entries(path)
    result = csvio.read_csv_table(path, str(path))
    if result.table is None:
        first = result.problems.row(0, named=True)
        where = f" row {first['row']}" if first["row"] is not None else ""
        raise DiffTrouble(f"cannot read {path}{where}: {first['problem']}")
    return result.table.frame


def _summary_entries(path: Path) -> pl.DataFrame:
    try:
        content = csvio.read_json(path)
    except (OSError, ValueError) as error:
        raise DiffTrouble(f"cannot read {path}: {error}") from None
    entries: dict[str, str] = {}

    def flatten(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            entries[prefix] = json.dumps(value, ensure_ascii=False)

    flatten("", content)
    return pl.DataFrame(
        {"entry": list(entries), "value": list(entries.values())},
        schema={"entry": pl.String, "value": pl.String},
    )


def compare_tables(name: str, old: pl.DataFrame, new: pl.DataFrame) -> FileDiff:
    """Rows added, removed and changed between two versions of one file."""
    common = [column for column in old.columns if column in new.columns]
    key = list(KEYS.get(name) or common)
    if any(column not in common for column in key):
        key = common  # a key column is missing on one side: fall back to whole rows
    # Repeated keys (never in the job's own outputs) are told apart by occurrence.
    old_keyed, new_keyed = _occurrence(old, key), _occurrence(new, key)
    join_on = [*key, OCCURRENCE]
    # an empty value (null) is a value like any other here
    added = new_keyed.join(
        old_keyed.select(join_on), on=join_on, how="anti", nulls_equal=True
    ).drop(OCCURRENCE)
    removed = old_keyed.join(
        new_keyed.select(join_on), on=join_on, how="anti", nulls_equal=True
    ).drop(OCCURRENCE)
    compared = [column for column in common if column not in key]
    both = old_keyed.select(*join_on, *compared).join(
        new_keyed.select(*join_on, *compared),
        on=join_on,
        how="inner",
        suffix="__new",
        nulls_equal=True,
    )
    differs = [pl.col(column).ne_missing(pl.col(f"{column}__new")) for column in compared]
    changed = both.filter(pl.any_horizontal(differs)) if differs else both.clear()
    changes = _changed_values(changed, key, compared)
    return FileDiff(
        name=name,
        key=tuple(key),
        columns_added=tuple(column for column in new.columns if column not in old.columns),
        columns_removed=tuple(column for column in old.columns if column not in new.columns),
        added=added.sort(key),
        removed=removed.sort(key),
        changes=changes,
        changed_rows=changed.height,
    )


def _occurrence(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """``frame`` with each row's occurrence number among rows of its key (0 when unique).

    The job's outputs never repeat a key, and numbering groups is costly at millions
    of rows, so it is done only when a 64-bit hash of the key repeats.
    """
    key_hash = pl.struct(key).hash() if len(key) > 1 else pl.col(key[0]).hash()
    if frame.select(key_hash.n_unique()).item() == frame.height:
        return frame.with_columns(pl.lit(0, pl.Int64).alias(OCCURRENCE))
    return frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(key).alias(OCCURRENCE))


def _changed_values(changed: pl.DataFrame, key: list[str], compared: list[str]) -> pl.DataFrame:
    """One row per changed value: the key, the column, old and new, in column order."""
    empty = pl.DataFrame(
        schema={
            **dict.fromkeys(key, pl.String),
            "column": pl.String,
            "old": pl.String,
            "new": pl.String,
        }
    )
    per_column = [
        changed.filter(pl.col(column).ne_missing(pl.col(f"{column}__new"))).select(
            *key, column=pl.lit(column), old=pl.col(column), new=pl.col(f"{column}__new")
        )
        for column in compared
    ]
    # concat keeps the column order within each key after a stable sort on the key
    return pl.concat([empty, *per_column]).sort(key, maintain_order=True)


def any_difference(diffs: list[FileDiff]) -> bool:
    return any(not diff.identical for diff in diffs)


# ---- reports -----------------------------------------------------------------

SHOWN_ROWS = 20


def _key_text(row: Mapping[str, Any], key: tuple[str, ...]) -> str:
    return " / ".join(str(row[column]) for column in key)


def _row_text(row: Mapping[str, Any]) -> str:
    return ", ".join(f"{column}={value}" for column, value in row.items())


def text_report(diffs: list[FileDiff]) -> str:
    lines: list[str] = []
    for diff in diffs:
        if diff.identical:
            lines.append(f"{diff.name}: identical")
            continue
        if diff.only_in:
            lines.append(f"{diff.name}: only in the {diff.only_in} folder")
            continue
        lines.append(
            f"{diff.name}: {diff.added.height} added, {diff.removed.height} removed, "
            f"{diff.changed_rows} changed (key: {', '.join(diff.key)})"
        )
        if diff.columns_added:
            lines.append(f"  columns only in new: {', '.join(diff.columns_added)}")
        if diff.columns_removed:
            lines.append(f"  columns only in old: {', '.join(diff.columns_removed)}")
        for label, rows, sign in (("added", diff.added, "+"), ("removed", diff.removed, "-")):
            if rows.height:
                lines.append(f"  {label}:")
                lines += [
                    f"    {sign} {_row_text(row)}"
                    for row in rows.head(SHOWN_ROWS).iter_rows(named=True)
                ]
                if rows.height > SHOWN_ROWS:
                    lines.append(f"    ... and {rows.height - SHOWN_ROWS} more")
        if diff.changed_rows:
            lines.append("  changed:")
            shown = diff.changes.head(SHOWN_ROWS)
            # summary.json has one compared column, "value": naming it says nothing
            named = diff.name != SUMMARY
            lines += [
                f"    ~ {_key_text(row, diff.key)}: "
                + (f"{row['column']} " if named else "")
                + f"{row['old']} -> {row['new']}"
                for row in shown.iter_rows(named=True)
            ]
            if diff.changes.height > SHOWN_ROWS:
                lines.append(f"    ... and {diff.changes.height - SHOWN_ROWS} more changed values")
    return "\n".join(lines) + "\n"


def _md_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", "\\n").replace("\r", "\\r")


def _md_table(frame: pl.DataFrame) -> list[str]:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_md_cell(value) for value in row) + " |" for row in frame.iter_rows()]
    return [header, rule, *body]


def markdown_report(diffs: list[FileDiff]) -> str:
    lines = ["| file | added | removed | changed |", "|---|---:|---:|---:|"]
    for diff in diffs:
        if diff.only_in:
            lines.append(f"| `{diff.name}` | only in {diff.only_in} | | |")
        else:
            lines.append(
                f"| `{diff.name}` | {diff.added.height} | {diff.removed.height} | {diff.changed_rows} |"
            )
    for diff in diffs:
        if diff.identical or diff.only_in:
            continue
        lines += ["", f"### `{diff.name}`"]
        if diff.columns_added or diff.columns_removed:
            lines += [
                "",
                f"Columns only in new: {', '.join(diff.columns_added) or 'none'}; only in old: {', '.join(diff.columns_removed) or 'none'}.",
            ]
        for label, rows in (("Added", diff.added), ("Removed", diff.removed)):
            if rows.height:
                lines += ["", f"{label} ({rows.height}):", "", *_md_table(rows.head(SHOWN_ROWS))]
                if rows.height > SHOWN_ROWS:
                    lines.append(f"\n... and {rows.height - SHOWN_ROWS} more")
        if diff.changed_rows:
            changes = diff.changes.head(SHOWN_ROWS)
            lines += ["", f"Changed ({diff.changed_rows} row(s)):", "", *_md_table(changes)]
            if diff.changes.height > SHOWN_ROWS:
                lines.append(f"\n... and {diff.changes.height - SHOWN_ROWS} more changed values")
    return "\n".join(lines) + "\n"


def json_report(diffs: list[FileDiff]) -> str:
    content = {
        "identical": not any_difference(diffs),
        "files": [
            {
                "file": diff.name,
                "key": list(diff.key),
                "only_in": diff.only_in,
                "columns_added": list(diff.columns_added),
                "columns_removed": list(diff.columns_removed),
                "added": diff.added.to_dicts(),
                "removed": diff.removed.to_dicts(),
                "changed": diff.changes.to_dicts(),
                "counts": {
                    "added": diff.added.height,
                    "removed": diff.removed.height,
                    "changed": diff.changed_rows,
                },
            }
            for diff in diffs
        ],
    }
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
