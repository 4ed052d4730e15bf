"""``reconcile explain``: what a run did to one order, one line or one batch.

The answer is spread over the run's files: the lines kept, removed and held (with the
cancellation that did it), the batches and their queue and archive lists, the orders, and
the cancellations that did not apply. Each file is scanned with a filter on the ids asked
for, side by side, so that a 5M-line run is never loaded whole to answer for one id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from reconcile import contract
from reconcile.contract import WHITE_SPACE, trim
from reconcile.errors import DiffError, UsageError
from reconcile.publish import Run
from reconcile.runs import held, no_current_run

# How much of Polars' message about a run's file is shown, and the file its plan names.
SAID_AT_MOST = 200
SCANNED = re.compile(r"^Csv SCAN \[(.+)\]$", re.MULTILINE)
# An id of each kind, as the example night holds them, for the advice.
EXAMPLES = {"order": "O-0009", "item": "000101", "batch": "B-1001"}


@dataclass(frozen=True)
class Asked:
    """The ids asked for, trimmed like a cancellation's (people type them)."""

    orders: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    batches: tuple[str, ...] = ()

    @classmethod
    def of(cls, orders: Sequence[str], items: Sequence[str], batches: Sequence[str]) -> Asked:
        """The ids trimmed, each once; ``UsageError`` (2) for one that is empty once trimmed
        (asked for nothing, it was dropped and the answer was silently empty)."""

        def cleaned(option: str, ids: Sequence[str]) -> tuple[str, ...]:
            empty = next((value for value in ids if not trim(value)), None)
            if empty is not None:
                raise UsageError(
                    f"--{option} {json.dumps(empty)}: an id that is empty once trimmed; give "
                    f"the id as the run's files hold it (e.g. --{option} {EXAMPLES[option]})"
                )
            return tuple(dict.fromkeys(trim(value) for value in ids))

        return cls(cleaned("order", orders), cleaned("item", items), cleaned("batch", batches))

    def __bool__(self) -> bool:
        return bool(self.orders or self.items or self.batches)


@dataclass
class RunStory:
    """What one run did to the ids asked for (plain rows, for text and JSON alike)."""

    name: str
    current: bool
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Explanation:
    runs: list[RunStory]
    looked_in: list[str]
    not_found: list[str]

    @property
    def found(self) -> bool:
        return not self.not_found


def explain(out: Path, asked: Asked, every_run: bool = False) -> Explanation:
    """What the current run of ``out`` (with ``every_run``, every kept run, newest first)
    did to the ids ``asked``. Each run is held against pruning while it is read."""
    with _held(out, every_run) as runs:
        if not runs:
            raise no_current_run(out)
        stories = [_story(run, asked) for run in runs]
    found = {
        ("order", row["order_id"]) for story in stories for row in story.orders if row["found"]
    }
    found |= {("item", row["item_id"]) for story in stories for row in story.items if row["found"]}
    found |= {
        ("batch", row["batch_id"]) for story in stories for row in story.batches if row["found"]
    }
    wanted = [
        *(("order", value) for value in asked.orders),
        *(("item", value) for value in asked.items),
        *(("batch", value) for value in asked.batches),
    ]
    return Explanation(
        stories,
        [run.name for run in runs],
        [f"{kind} {value}" for kind, value in wanted if (kind, value) not in found],
    )


def _held(out: Path, every_run: bool) -> AbstractContextManager[list[Run]]:
    def chosen(runs: list[Run]) -> list[Run]:
        return runs if every_run else [run for run in runs if run.current]

    return held(out, chosen)


# ---- one run -------------------------------------------------------------------------

LINE_FILES = (
    ("kept", contract.KEPT_ITEMS.name),
    ("removed", contract.REMOVED_ITEMS.name),
    ("held", contract.HELD_ITEMS.name),
)


def _headers(run: Path) -> dict[str, dict[str, str]]:
    """Contract column -> the header the run wrote, per input file (from its summary)."""
    try:
        columns = json.loads((run / contract.SUMMARY).read_bytes()).get("columns") or {}
    except (OSError, ValueError):
        columns = {}
    return {
        file.name: {name: columns.get(file.name, {}).get(name, name) for name in file.columns}
        for file in contract.INPUTS
    }


def _scan(path: Path, named: Mapping[str, str], keep: pl.Expr) -> pl.LazyFrame:
    """``path``'s rows where ``keep`` holds, its headers renamed to contract names."""
    return (
        pl.scan_csv(path, infer_schema=False)
        .rename({header: name for name, header in named.items()}, strict=False)
        .filter(keep)
    )


def _story(run: Run, asked: Asked) -> RunStory:
    headers = _headers(run.folder)
    lines = headers[contract.BATCH_ITEMS.name]
    batches = headers[contract.BATCHES.name]
    orders = headers[contract.ORDERS.name]
    typed = headers[contract.CANCELLATIONS.name]

    def one_of(column: str, ids: Sequence[str], trimmed: bool = False) -> pl.Expr:
        value = pl.col(column).str.strip_chars(WHITE_SPACE) if trimmed else pl.col(column)
        return value.is_in(list(ids))

    line_wanted = (
        one_of("order_id", asked.orders)
        | one_of("item_id", asked.items)
        | one_of("batch_id", asked.batches)
    )
    typed_wanted = one_of("order_id", asked.orders, True)
    if asked.items:
        typed_wanted = typed_wanted | one_of("item_id", asked.items, True)
    scans = {outcome: _scan(run.folder / name, lines, line_wanted) for outcome, name in LINE_FILES}
    scans["rejected"] = _scan(
        run.folder / contract.REJECTED_CANCELLATIONS.name, typed, typed_wanted
    )
    scans["unmatched"] = _scan(
        run.folder / contract.UNMATCHED_CANCELLATIONS.name, typed, typed_wanted
    )
    scans["orders"] = _scan(
        run.folder / contract.UPDATED_ORDERS.name, orders, one_of("order_id", asked.orders)
    )
    for name in ("regeneration_queue", "archive_list"):
        scans[name] = _scan(
            run.folder / f"{name}.csv",
            {"batch_id": batches["batch_id"]},
            one_of("batch_id", asked.batches),
        )
    frames = _collected(run, scans)
    # the batches asked for, and those of the lines found: their status now
    needed = {
        *asked.batches,
        *(
            batch
            for outcome, _ in LINE_FILES
            for batch in frames[outcome].get_column("batch_id").to_list()
        ),
    }
    frames |= _collected(
        run,
        {
            "batches": _scan(
                run.folder / contract.UPDATED_BATCHES.name,
                batches,
                one_of("batch_id", sorted(needed)),
            )
        },
    )
    return _told(run, asked, frames)


def _collected(run: Run, scans: Mapping[str, pl.LazyFrame]) -> dict[str, pl.DataFrame]:
    """The scans' rows, read side by side, streaming (a file is never held whole)."""
    try:
        found = pl.collect_all(list(scans.values()), engine="streaming")
    except OSError as error:
        raise DiffError.unreadable(run.folder, error) from None
    except pl.exceptions.PolarsError as error:
        # Polars' first line says what; the rest is its plan, and a damaged file's header
        # can be a kilobyte of noise.
        text = str(error).strip()
        said = text.splitlines()[0] if text else type(error).__name__
        shown = said if len(said) <= SAID_AT_MOST else said[:SAID_AT_MOST] + "..."
        scanned = SCANNED.search(text)
        where = scanned.group(1) if scanned else run.folder
        raise DiffError(
            f"cannot read {where}: {shown} (a run's files are not as a run writes them: "
            "damaged, or edited by hand?)"
        ) from None
    return dict(zip(scans, found, strict=True))


def _told(run: Run, asked: Asked, frames: dict[str, pl.DataFrame]) -> RunStory:
    """The rows found, arranged per id asked."""
    story = RunStory(run.name, run.current)
    touched = {outcome: frames[outcome] for outcome, _ in LINE_FILES}
    status_now = dict(frames["batches"].select("batch_id", "status").iter_rows())
    line_rows = [
        {
            "item_id": row["item_id"],
            "order_id": row["order_id"],
            "batch_id": row["batch_id"],
            "batch_status": row.get("batch_status") or status_now.get(row["batch_id"]),
            "action": row.get("action") or ("hold" if outcome == "held" else None),
            "outcome": outcome,
            "cancelled_by": row.get("cancelled_by"),
        }
        for outcome, frame in touched.items()
        for row in frame.iter_rows(named=True)
    ]
    line_rows.sort(key=lambda row: (row["batch_id"] or "", row["item_id"] or ""))
    typed = {
        "rejected": list(frames["rejected"].iter_rows(named=True)),
        "unmatched": list(frames["unmatched"].iter_rows(named=True)),
    }

    def typed_rows(column: str, value: str) -> dict[str, list[dict[str, Any]]]:
        return {
            kind: [row for row in rows if trim(row.get(column) or "") == value]
            for kind, rows in typed.items()
        }

    statuses = dict(frames["orders"].select("order_id", "status").iter_rows())
    for order_id in asked.orders:
        of_order = [row for row in line_rows if row["order_id"] == order_id]
        cancellations = typed_rows("order_id", order_id)
        story.orders.append(
            {
                "order_id": order_id,
                "found": order_id in statuses or bool(of_order) or any(cancellations.values()),
                "status": statuses.get(order_id),
                "lines": of_order,
                **cancellations,
            }
        )
    for item_id in asked.items:
        of_item = [row for row in line_rows if row["item_id"] == item_id]
        cancellations = typed_rows("item_id", item_id)
        story.items.append(
            {
                "item_id": item_id,
                "found": bool(of_item) or any(cancellations.values()),
                "lines": of_item,
                **cancellations,
            }
        )
    batch_rows = {row["batch_id"]: row for row in frames["batches"].iter_rows(named=True)}
    queued = set(frames["regeneration_queue"].get_column("batch_id").to_list())
    archived = dict(frames["archive_list"].select("batch_id", "previous_status").iter_rows())
    for batch_id in asked.batches:
        row = batch_rows.get(batch_id)
        of_batch = [line for line in line_rows if line["batch_id"] == batch_id]
        changed = [line for line in of_batch if line["outcome"] != "kept"]
        before = archived.get(batch_id) or next(
            (line["batch_status"] for line in changed), row["status"] if row else None
        )
        story.batches.append(
            {
                "batch_id": batch_id,
                "found": row is not None,
                "status_before": before,
                "status_after": row["status"] if row else None,
                "queued": batch_id in queued,
                "archived": batch_id in archived,
                "item_count": row.get("item_count") if row else None,
                "open_slots": row.get("open_slots") if row else None,
                "removed": [line for line in changed if line["outcome"] == "removed"],
                "held": [line for line in changed if line["outcome"] == "held"],
            }
        )
    return story


# ---- rendering -----------------------------------------------------------------------


def text_report(explanation: Explanation) -> str:
    lines: list[str] = []
    for story in explanation.runs:
        lines.append(f"run {story.name}" + ("  (current)" if story.current else ""))
        for order in story.orders:
            if not order["found"]:
                continue
            status = order["status"]
            lines.append(
                f"  order {order['order_id']}: "
                + (f"status {status} after the run" if status else "not in orders.csv")
            )
            lines += [f"    {_line(line, with_order=False)}" for line in order["lines"]]
            if not order["lines"]:
                lines.append("    no batched line")
            lines += _not_applied(order)
        for item in story.items:
            if not item["found"]:
                continue
            lines += [
                f"  item {item['item_id']} of {_line(line, with_item=False)}"
                for line in item["lines"]
            ]
            if not item["lines"]:
                lines.append(f"  item {item['item_id']}: in no batch of this run")
            lines += _not_applied(item)
        for batch in story.batches:
            if not batch["found"]:
                continue
            before, after = batch["status_before"], batch["status_after"]
            change = f"{before} -> {after}" if before != after else f"{after} (unchanged)"
            fate = "queued for regeneration" if batch["queued"] else ""
            fate = "archived" if batch["archived"] else fate
            lines.append(
                f"  batch {batch['batch_id']}: status {change}; {len(batch['removed'])} line(s) "
                f"removed, {len(batch['held'])} held; {batch['item_count']} line(s) left, "
                f"{batch['open_slots']} open slot(s)" + (f"; {fate}" if fate else "")
            )
            lines += [
                f"    {_line(line, with_batch=False)}" for line in batch["removed"] + batch["held"]
            ]
    for missing in explanation.not_found:
        lines.append(
            f"{missing}: found nowhere in the kept lines, removed and held lines, batches, "
            f"orders or cancellations not applied of run(s) {', '.join(explanation.looked_in)}"
        )
    return "\n".join(lines) + "\n"


def _line(
    line: Mapping[str, Any],
    with_order: bool = True,
    with_item: bool = True,
    with_batch: bool = True,
) -> str:
    parts = []
    if with_item:
        parts.append(f"item {line['item_id']}")
    if with_order:
        parts.append(f"order {line['order_id']}")
    if with_batch:
        action = f", {line['action']}" if line["action"] else ""
        parts.append(f"batch {line['batch_id']} ({line['batch_status']}{action})")
    told = ", ".join(parts) + f": {line['outcome']}"
    if line["cancelled_by"]:
        told += f" by {line['cancelled_by']}"
    return told


def _not_applied(entity: Mapping[str, Any]) -> list[str]:
    told = []
    for kind in ("rejected", "unmatched"):
        for row in entity[kind]:
            reason = f" ({row['reason']})" if row.get("reason") else ""
            hint = f"; hint: {row['hint']}" if row.get("hint") else ""
            item = f" item {row['item_id']}" if row.get("item_id") else ""
            told.append(f"    a cancellation of order {row['order_id']}{item} {kind}{reason}{hint}")
    return told


def json_report(explanation: Explanation) -> str:
    content = {
        "runs": [
            {
                "name": story.name,
                "current": story.current,
                "orders": story.orders,
                "items": story.items,
                "batches": story.batches,
            }
            for story in explanation.runs
        ],
        "looked_in": explanation.looked_in,
        "not_found": explanation.not_found,
    }
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
