"""The platform's headers at the edges: renamed to the contract's after reading, back before writing.

``rules`` and ``schemas`` only ever see contract names. A configuration maps
contract columns to the export's headers (``config.Headers``); this module checks
that each file has what it needs, says what is missing in the user's words (the
headers the file does have, the closest one, the ``[columns.*]`` line to add),
and renames.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import replace

import polars as pl

from reconcile.contract import CANCELLATIONS, InputFile
from reconcile.csvio import CsvTable
from reconcile.problems import empty_problems, problem_rows


def to_contract(
    file: InputFile, table: CsvTable, mapping: Mapping[str, str]
) -> tuple[CsvTable, dict[str, str], pl.DataFrame]:
    """``table`` with its mapped headers renamed to contract names, the renames made
    (contract name -> header), and the problems: missing required columns, and a header
    that would collide with a mapped column's contract name."""
    header = table.header
    renames: dict[str, str] = {}
    problems = []
    for column in file.columns:
        exported = mapping.get(column, column)
        if exported in header:
            if exported != column:
                renames[column] = exported
        elif file is CANCELLATIONS and column in header:
            pass  # a list typed by hand uses the contract's name: its values go in the mapped column
        elif column in file.required:
            problems.append(_missing(file, table, column, exported))
    for column, exported in renames.items():
        if column in header:
            problems.append(
                {
                    "file": table.label,
                    "row": 1,
                    "column": column,
                    "value": column,
                    "kind": "repeated_column",
                    "problem": f'the file has a column "{column}" besides "{exported}", which '
                    f"[columns.{file.role}] maps to {column}; rename or remove one of them",
                }
            )
    to_names = {exported: column for column, exported in renames.items()}
    frame = table.frame.rename(to_names)
    as_written = frozenset(to_names.get(name, name) for name in table.as_written)
    renamed = replace(table, frame=frame, header=tuple(frame.columns), as_written=as_written)
    return renamed, renames, problem_rows(problems) if problems else empty_problems()


def _missing(file: InputFile, table: CsvTable, column: str, exported: str) -> dict[str, object]:
    found = ", ".join(f'"{name}"' for name in table.header)
    named = f"required column {exported}" + (
        f" (the contract's {column})" if exported != column else ""
    )
    text = f"{named} is missing; the file's headers are {found}"
    separated = _looks_separated_by(table.header)
    if separated:
        text += (
            f"; the header looks {separated}-separated: "
            "export the file comma-separated (the job never guesses the separator)"
        )
    elif exported != column:
        # the configuration names a header this file lacks: the line to change is known
        closest = closest_header(exported, table.header)
        text += (
            f'; the configuration\'s [columns.{file.role}] {column} = "{exported}" names a '
            "header this file does not have: "
            + (
                f'if "{closest}" is it, change that line to {column} = "{closest}"'
                if closest is not None
                else "change that line to the file's own header"
            )
        )
    else:
        closest = closest_header(exported, table.header)
        if closest is not None:
            text += (
                f'; the closest is "{closest}": if that is it, add to the configuration '
                f'[columns.{file.role}] {column} = "{closest}"'
            )
    return {
        "file": table.label,
        "row": 1,
        "column": exported,
        "value": "",
        "kind": "missing_column",
        "problem": text,
    }


def normalized(name: str) -> str:
    """A header as compared for suggestions: case, spaces, dots and underscores ignored."""
    return re.sub(r"[\s._\-]+", "", name).lower()


def closest_header(wanted: str, header: tuple[str, ...]) -> str | None:
    by_normal = {normalized(name): name for name in header}
    found = difflib.get_close_matches(normalized(wanted), list(by_normal), n=1, cutoff=0.5)
    return by_normal[found[0]] if found else None


def _looks_separated_by(header: tuple[str, ...]) -> str | None:
    if len(header) != 1:
        return None
    if header[0].count(";") >= 1:
        return "semicolon"
    if header[0].count("\t") >= 1:
        return "tab"
    return None


def to_export(frame: pl.DataFrame, mapping: Mapping[str, str]) -> pl.DataFrame:
    """``frame``'s contract columns renamed to the export's headers (a rename, not a copy)."""
    renames = {column: header for column, header in mapping.items() if column in frame.columns}
    return frame.rename(renames) if renames else frame


def problems_in_export_names(
    problems: pl.DataFrame, renames: Mapping[str, Mapping[str, str]]
) -> pl.DataFrame:
    """Problem rows naming each column as its file spells it (``renames``: label -> contract
    column -> header)."""
    pairs = [
        (label, column, header)
        for label, mapping in renames.items()
        for column, header in mapping.items()
    ]
    if not pairs or problems.height == 0:
        return problems
    spelled = pl.DataFrame(
        {
            "file": [label for label, _, _ in pairs],
            "column": [column for _, column, _ in pairs],
            "__header": [header for _, _, header in pairs],
        },
        schema={"file": pl.String, "column": pl.String, "__header": pl.String},
    )
    return (
        problems.join(spelled, on=["file", "column"], how="left", maintain_order="left")
        .with_columns(pl.coalesce("__header", "column").alias("column"))
        .drop("__header")
    )
