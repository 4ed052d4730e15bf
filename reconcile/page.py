"""``reconcile report``: one self-contained HTML page of an output folder's current run.

Gathers the run's summary, the lists people act on, what changed against the previous run
(as ``diff OUT`` finds it) and the history of published runs, and renders them with a
Jinja2 template that escapes every value. The charts are plain SVG drawn by the template:
a few dozen bars need no library, and a page that must open from disk and request nothing
cannot load one from a CDN (the chart libraries that draw offline, matplotlib or plotly,
weigh 30-50 MB installed and 0.5-1 s to import, for bars). Imported only by ``report``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from reconcile import __version__, contract
from reconcile.compare import Comparison, compare_folders, held, previous_and_current
from reconcile.contract import SUMMARY
from reconcile.errors import DiffError
from reconcile.publish import Run, history

if TYPE_CHECKING:
    from jinja2 import Template

LISTS = (
    (contract.REGENERATION_QUEUE.name, "Regeneration queue", "batches to regenerate now"),
    (contract.ARCHIVE_LIST.name, "Archive list", "batches this run emptied"),
    (
        contract.REJECTED_CANCELLATIONS.name,
        "Rejected cancellations",
        "send back to whoever sent them, with the hint",
    ),
    (
        contract.UNMATCHED_CANCELLATIONS.name,
        "Unmatched cancellations",
        "lines no batch holds: check the hint",
    ),
)
# What the history charts, per run: (summary's per-action key, label).
HISTORY_FIGURES = (
    ("lines_removed", "lines removed"),
    ("lines_held", "lines held"),
    ("batches_queued", "batches queued"),
    ("batches_archived", "batches archived"),
)


@dataclass
class Listed:
    name: str
    title: str
    purpose: str
    columns: list[str]
    rows: list[list[str]]
    total: int


@dataclass
class Page:
    out: str
    run: Run
    summary: Mapping[str, Any]
    lists: list[Listed]
    comparison: Comparison | None
    previous: str | None
    history: list[dict[str, Any]]
    limit: int
    version: str = __version__
    statuses: list[dict[str, Any]] = field(default_factory=list)


def gather(out: Path, limit: int = 20) -> Page:
    """Everything the page shows of ``out``'s current run, read while the runs it reads
    (the current one and the one before) are held against pruning."""

    def current_and_previous(runs: list[Run]) -> list[Run]:
        index = next((at for at, run in enumerate(runs) if run.current), None)
        return [] if index is None else runs[index : index + 2]

    with held(out, current_and_previous) as runs:
        if not runs:
            raise DiffError(f"{out} has no current run")
        run = runs[0]
        summary = json.loads((run.folder / SUMMARY).read_bytes())
        lists = [
            _listed(run.folder / name, title, purpose, summary, limit)
            for name, title, purpose in LISTS
        ]
        comparison = None
        previous = None
        if len(runs) == 2:
            before, now = previous_and_current(runs, out)
            previous = before.name
            comparison = Comparison(
                before.name, now.name, compare_folders(before.folder, now.folder, None)
            )
    return Page(
        out=str(out),
        run=run,
        summary=summary,
        lists=lists,
        comparison=comparison,
        previous=previous,
        history=_history(out, run.name, summary),
        limit=limit,
        statuses=_statuses(summary),
    )


def _listed(path: Path, title: str, purpose: str, summary: Mapping[str, Any], limit: int) -> Listed:
    frame = pl.read_csv(path, infer_schema=False, n_rows=limit or None)
    rows = [["" if value is None else str(value) for value in row] for row in frame.rows()]
    return Listed(
        path.name, title, purpose, frame.columns, rows, int(summary["outputs"][path.name])
    )


def _statuses(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per batch status: its action and figures, and each figure's share of the largest (for
    the bars)."""
    statuses = [{"status": name, **facts} for name, facts in summary["statuses"].items()]
    widest = max((max(row["lines_removed"], row["lines_held"]) for row in statuses), default=0) or 1
    for row in statuses:
        row["removed_share"] = row["lines_removed"] / widest
        row["held_share"] = row["lines_held"] / widest
    return statuses


def _history(out: Path, current: str, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each published run, oldest first, with its figures and each figure's share of its
    largest (for the chart); the current run marked (and counted even before the history
    has its entry)."""
    entries = {name: json.loads(data) for name, data in history(out)}
    entries.setdefault(current, dict(summary))
    runs: list[dict[str, Any]] = []
    for name in sorted(entries):
        actions = entries[name].get("actions", {})
        figures = {
            key: sum(int(facts.get(key, 0)) for facts in actions.values())
            for key, _ in HISTORY_FIGURES
        }
        runs.append({"name": name, "when": _when(name), "current": name == current, **figures})
    for key, _ in HISTORY_FIGURES:
        widest = max((int(run[key]) for run in runs), default=0) or 1
        for run in runs:
            run[f"{key}_share"] = int(run[key]) / widest
    return runs


def _when(name: str) -> str:
    try:
        return datetime.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%S.%fZ").strftime(
            "%Y-%m-%d %H:%M"
        )
    except ValueError:
        return name


def template() -> Template:
    """The page's template, escaping every value by default."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("reconcile", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report.html.j2")


def render(page: Page, page_template: Template | None = None) -> str:
    chosen = page_template or template()
    return chosen.render(page=page, figures=HISTORY_FIGURES, shown=_shown_rows)


def _shown_rows(frame: pl.DataFrame, limit: int) -> tuple[list[str], list[list[str]]]:
    """A diff's frame as header and rows of text, the first ``limit``."""
    shown = frame if limit == 0 else frame.head(limit)
    rows = [["" if value is None else str(value) for value in row] for row in shown.rows()]
    return shown.columns, rows


def report(out: Path, limit: int = 20) -> str:
    """The HTML page of ``out``'s current run. The template is loaded (Jinja2 imported and
    the template compiled, 0.05 s) beside the reading and comparing, which is mostly Polars
    work without the GIL: so the page costs what ``diff OUT`` costs."""
    with ThreadPoolExecutor(max_workers=1) as beside:
        loading = beside.submit(template)
        page = gather(out, limit)
        return render(page, loading.result())
