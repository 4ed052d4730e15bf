"""What a run tells people: ``summary.json``, the human summary and the validation report
(the listing of an output folder's kept runs is ``runs``', which needs no Polars)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from reconcile import __version__
from reconcile.contract import CANCELLATIONS
from reconcile.problems import KINDS, PROBLEM_SCHEMA
from reconcile.rules import Outputs

if TYPE_CHECKING:
    from reconcile.config import Settings

SHOWN_PER_KIND = 20
SHOWN_VALUE_CHARS = 60
REPORT_COLUMNS = ("file", "row", "column", "value", "problem")


def summary(
    outputs: Outputs, files: Mapping[str, list[dict[str, Any]]], settings: Settings
) -> dict[str, Any]:
    """The run summary: the inputs read (file names and digests, what ``pick`` chose), the
    column names, values and policy in force, and the counts per output and per action.

    No wall-clock time and no paths: the same inputs give the same summary.
    """
    counts = outputs.counts
    policy = settings.policy
    return {
        "reconcile_version": __version__,
        "inputs": files,
        "picked": dict(settings.sources.picked),
        "columns": settings.headers.to_json(),
        "values": {"order_cancelled": policy.cancelled, "batch_archived": policy.archived},
        "policy": policy.to_json(),
        "outputs": {name: frame.height for name, frame in outputs.files().items()},
        "cancellations": {
            **counts["cancellations"],  # type: ignore[dict-item]
            "ids_trimmed": sum(entry.get("ids_trimmed", 0) for entry in files[CANCELLATIONS.name]),
        },
        "orders_cancelled": counts["orders_cancelled"],
        "actions": counts["actions"],
        "statuses": counts["statuses"],
    }


def summary_json(content: Mapping[str, Any]) -> str:
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def human_summary(content: Mapping[str, Any], *, where: str | None) -> str:
    """What a run did (or, for a dry run, would do), for the person or the cron mail: the
    cancellations, per batch status and action what happened to lines and batches, the policy
    when it is not the default, and the rows of each output."""
    cancellations = content["cancellations"]
    rejected = cancellations["rejected"]
    reasons = ", ".join(f"{count} {reason}" for reason, count in rejected.items() if count)
    trimmed = cancellations.get("ids_trimmed", 0)
    lines = [
        *files_read(content),
        f"reconcile: {cancellations['distinct']} distinct cancellation(s): "
        f"{cancellations['applied']} applied ({cancellations['whole_order']} whole-order, "
        f"{cancellations['line']} line), {sum(rejected.values())} rejected"
        + (f" ({reasons})" if reasons else "")
        + f", {cancellations['unmatched']} unmatched"
        + (f"; {trimmed} typed id(s) trimmed of spaces" if trimmed else ""),
    ]
    statuses: Mapping[str, Mapping[str, Any]] = content["statuses"]
    width = max((len(status) for status in statuses), default=0) + 2
    # "batches": those of the status this run touched (removed or held a line of)
    heading = ("action", "batches", "removed", "held", "queued", "archived")
    lines.append(
        f"  {'batch status':<{width}}{heading[0]:<12}" + "".join(f"{h:>10}" for h in heading[1:])
    )
    keys = ("batches_touched", "lines_removed", "lines_held", "batches_queued", "batches_archived")
    for status, facts in statuses.items():
        numbers = "".join(f"{facts[key]:>10}" for key in keys)
        lines.append(f"  {status:<{width}}{facts['action']:<12}{numbers}")
    actions: Mapping[str, Mapping[str, int]] = content["actions"]
    totals = "".join(f"{sum(facts[key] for facts in actions.values()):>10}" for key in keys)
    lines.append(f"  {'all':<{width}}{'':<12}{totals}")
    overrides: Mapping[str, str] = content["policy"]["overrides"]
    if overrides:
        source = content["policy"]["source"]
        named = f" ({source['file']})" if source else ""
        changes = ", ".join(f"{status} -> {action}" for status, action in overrides.items())
        lines.append(f"  policy{named}: the default, with {changes}")
    outputs: Mapping[str, int] = content["outputs"]
    width = max(len(name) for name in outputs)
    lines += [f"  {name:<{width}}  {rows:>9} row(s)" for name, rows in outputs.items()]
    left_out = sum(rejected.values()) + cancellations["unmatched"]
    if left_out:
        lines.append(
            f"  {left_out} cancellation(s) did not apply: see rejected_cancellations.csv and "
            "unmatched_cancellations.csv, each row with its hint"
            + ("" if where else " (listed below)")
        )
    lines.append(
        f"outputs written to {where}"
        if where
        else "dry run: nothing was written; a run would write the rows above"
    )
    return "\n".join(lines)


def files_read(content: Mapping[str, Any]) -> list[str]:
    """Each input file read, with its rows, what ``pick`` chose of how many matches, and the
    ids trimmed in each cancellation file: so a wrong file is seen, not guessed."""
    inputs: Mapping[str, list[Mapping[str, Any]]] = content["inputs"]
    picked: Mapping[str, int] = content.get("picked", {})
    read = []
    for name, listed in inputs.items():
        for entry in listed:
            notes = [f"{entry['rows']} rows"]
            if name in picked:
                notes.append(f'pick = "last" chose it of {picked[name]} matches')
            if entry.get("ids_trimmed"):
                notes.append(f"{entry['ids_trimmed']} ids trimmed")
            read.append(f"{entry['file']} ({'; '.join(notes)})")
    return [f"reconcile: read {', '.join(read)}"]


NOT_APPLIED_SHOWN = 20


def not_applied(
    rejected: pl.DataFrame, unmatched: pl.DataFrame, limit: int = NOT_APPLIED_SHOWN
) -> str:
    """The cancellations that did not apply, rejected then unmatched, each with its reason and
    hint: the first ``limit`` of each (0: all), for a person to act on before applying."""
    lines = []
    for title, rows, why in (
        ("rejected", rejected, "reason"),
        ("unmatched (no batch holds the item)", unmatched, None),
    ):
        if rows.height == 0:
            continue
        lines.append(f"{title} ({rows.height}):")
        shown = rows if limit == 0 else rows.head(limit)
        ids = [name for name in rows.columns if name not in ("reason", "hint")][:2]
        for row in shown.iter_rows(named=True):
            named = ", ".join(f"{name}={_short(row[name] or '')}" for name in ids)
            reason = f"  {row[why]}" if why else ""
            hint = f"  hint: {_short(row['hint'])}" if row.get("hint") else ""
            lines.append(f"  {named}{reason}{hint}")
        if shown.height < rows.height:
            lines.append(f"  ... and {rows.height - shown.height} more (--limit 0 shows all)")
    return "\n".join(lines)


def report_frame(problems: pl.DataFrame) -> pl.DataFrame:
    """The ``--report`` CSV: every problem, one row each."""
    return problems.select(*(pl.col(name).cast(pl.String) for name in REPORT_COLUMNS))


def human_report(
    problems: pl.DataFrame,
    fixes: Mapping[str, str] | None = None,
    advice: Sequence[str] = (),
) -> str:
    """Problems grouped by file and kind: the first few of each, a total, and how to fix it
    (``fixes`` by kind where the run's settings say more), then ``advice`` on the whole."""
    if problems.height == 0:
        return "no problems found"
    fixes = fixes or {}
    files = problems.get_column("file").unique(maintain_order=True).to_list()
    total = problems.height
    blocks = [f"{total} problem(s) in the input; nothing was written."]
    for file in files:
        in_file = problems.filter(pl.col("file") == file)
        blocks.append(f"\n{file}:")
        for kind in in_file.get_column("kind").unique(maintain_order=True).to_list():
            of_kind = in_file.filter(pl.col("kind") == kind)
            what, fix = KINDS.get(kind, (kind, ""))
            fix = fixes.get(kind, fix)
            blocks.append(f"  {what} ({of_kind.height}):")
            blocks.extend(f"    {line}" for line in _kind_lines(kind, of_kind))
            if fix:
                blocks.append(f"    fix: {fix}")
    blocks.extend(f"\n{line}" for line in advice)
    return "\n".join(blocks)


def _kind_lines(kind: str, rows: pl.DataFrame) -> list[str]:
    if kind == "unknown_status":
        # a misspelt status repeats on many rows: show each value once, with its count
        counted = (
            rows.group_by("value")
            .agg(pl.len().alias("rows"), pl.col("row").min())
            .sort("rows", "value", descending=[True, False])
        )
        shown = [
            f'"{_short(value)}" on {count} row(s), first at row {first}'
            for value, count, first in counted.head(SHOWN_PER_KIND).iter_rows()
        ]
        more = counted.height - len(shown)
    else:
        shown = [_problem_line(row) for row in rows.head(SHOWN_PER_KIND).iter_rows(named=True)]
        more = rows.height - len(shown)
    if more > 0:
        shown.append(f"... and {more} more (--report FILE lists them all)")
    return shown


def _problem_line(row: Mapping[str, Any]) -> str:
    parts = []
    if row["row"] is not None:
        parts.append(f"row {row['row']}")
    if row["column"]:
        parts.append(f"column {row['column']}")
    if row["value"] is not None and row["kind"] not in ("missing_column",):
        parts.append(f'value "{_short(row["value"])}"')
    where = ", ".join(parts)
    what = row["problem"]
    if what == KINDS.get(row["kind"], ("",))[0] and where:
        return where  # the kind's heading already says it
    return f"{where}: {what}" if where else what


def _short(value: str) -> str:
    shown = shown_value(value)
    if len(shown) > SHOWN_VALUE_CHARS:
        return shown[:SHOWN_VALUE_CHARS] + f"... ({len(value)} characters)"
    return shown


# Characters a reader cannot see or tell apart in a terminal: controls, format characters
# (zero-width, BOM), and every separator but the plain space.
_INVISIBLE = re.compile(r"[^\S ]|[\x00-\x1f\x7f-\x9f\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0"}


def shown_value(value: str) -> str:
    """``value`` with every invisible character escaped (``\\u001c``), so that a status padded
    with U+001C is not shown as the status it looks like."""
    return _INVISIBLE.sub(
        lambda found: _NAMED.get(found.group(), f"\\u{ord(found.group()):04x}"), value
    )


def report_json(problems: pl.DataFrame, run_summary: Mapping[str, Any] | None) -> str:
    """The validation report for tooling: every problem, and the summary a run would give."""
    content = {
        "valid": problems.height == 0,
        "problem_count": problems.height,
        "problems": problems.select(list(PROBLEM_SCHEMA)).to_dicts(),
        "summary": run_summary,
    }
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
