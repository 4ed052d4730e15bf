"""``reconcile report``: one self-contained HTML page of an output folder's current run.

Gathers the run's summary, the lists people act on, what changed against the previous run
(as ``diff OUT`` finds it) and the history of published runs, and renders them with a
Jinja2 template that escapes every value. The charts are plain SVG drawn by the template:
a few dozen bars need no library, and a page that must open from disk and request nothing
cannot load one from a CDN (the chart libraries that draw offline, matplotlib or plotly,
weigh 30-50 MB installed and 0.5-1 s to import, for bars). Imported only by ``report``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconcile import __version__, contract
from reconcile.contract import SUMMARY
from reconcile.errors import DiffError
from reconcile.publish import Run, history, started_at
from reconcile.runs import (
    Identical,
    current_and_previous,
    held,
    identical_beside,
    no_current_run,
    summary_of,
)

if TYPE_CHECKING:
    import polars as pl
    from jinja2 import Environment, Template

    from reconcile.compare import Comparison

# A field may be longer than the csv module's default limit (128 KB), as in csvio.
csv.field_size_limit(sys.maxsize)

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
    with _reading(out) as (runs, identical):
        return _gathered(out, runs, identical, limit)


@contextmanager
def _reading(out: Path) -> Iterator[tuple[list[Run], Identical | None]]:
    """The current run of ``out`` and the one before (if kept), held, with the finding of
    which of their files hold the same bytes under way."""
    with held(out, current_and_previous) as runs:
        if not runs:
            raise no_current_run(out)
        if len(runs) < 2:
            yield runs, None
            return
        with identical_beside(runs[1].folder, runs[0].folder) as identical:
            yield runs, identical


def _gathered(out: Path, runs: list[Run], identical: Identical | None, limit: int) -> Page:
    """The page: first what needs no Polars (the summary, the lists, the history), read
    while the threads still compare the two runs' bytes; then the comparison, whose import
    of Polars waits for their answers anyway."""
    own = _own(out, runs[0], limit)
    if len(runs) < 2:
        return own
    from reconcile.compare import Comparison, compare_folders

    before, now = runs[1], runs[0]
    comparison = compare_folders(before.folder, now.folder, None, identical)
    return replace(
        own, comparison=Comparison(before.name, now.name, comparison), previous=before.name
    )


def _own(out: Path, run: Run, limit: int) -> Page:
    """The page but for the comparison with the run before."""
    path = run.folder / SUMMARY
    try:
        summary = summary_of(path.read_bytes())
    except OSError as error:
        raise DiffError.unreadable(path, error) from None
    if summary is None:
        raise _damaged(path, "not a JSON object")
    try:
        return Page(
            out=str(out),
            run=run,
            summary=summary,
            lists=[
                _listed(run.folder / name, title, purpose, summary, limit)
                for name, title, purpose in LISTS
            ],
            comparison=None,
            previous=None,
            history=_history(out, run.name, summary),
            limit=limit,
            statuses=_statuses(summary),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise _damaged(path, f"{type(error).__name__}: {error}") from None


def _damaged(path: Path, what: str) -> DiffError:
    """The error for a run's summary.json that is not as a run writes it (exit 2, as
    ``diff`` gives for it): runs are records, so it was damaged or edited by hand."""
    return DiffError(
        f"cannot read {path}: {what}; it is not a run's summary as reconcile writes it "
        "(damaged, or edited by hand)"
    )


def _listed(path: Path, title: str, purpose: str, summary: Mapping[str, Any], limit: int) -> Listed:
    """The first ``limit`` rows (0: all) of an output list; the total is the summary's. Read
    with the csv module, which stops after them (Polars read the whole 1 MB queue of a 5M
    night for 20 rows)."""
    with path.open(newline="", encoding="utf-8") as file:
        records = csv.reader(file)
        columns = next(records, [])
        rows = list(islice(records, limit or None))
    return Listed(path.name, title, purpose, columns, rows, int(summary["outputs"][path.name]))


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
    entries = {name: summary_of(data) for name, data in history(out)}
    entries[current] = dict(summary)
    runs: list[dict[str, Any]] = []
    for name in sorted(entries):
        figures = _figures(entries[name])
        if figures is None:
            continue  # (an entry that is not a summary: ``runs --all`` lists it as such)
        runs.append({"name": name, "when": _when(name), "current": name == current, **figures})
    for key, _ in HISTORY_FIGURES:
        widest = max((int(run[key]) for run in runs), default=0) or 1
        for run in runs:
            run[f"{key}_share"] = int(run[key]) / widest
    return runs


def _figures(summary: Mapping[str, Any] | None) -> dict[str, int] | None:
    """A summary's figures for the history chart, summed over its actions; None when it has
    none to give (a history entry damaged on disk, or edited by hand, is not drawn rather
    than failing the page)."""
    actions = summary.get("actions") if summary is not None else None
    if not isinstance(actions, dict) or not all(
        isinstance(facts, dict) for facts in actions.values()
    ):
        return None
    try:
        return {
            key: sum(int(facts.get(key, 0)) for facts in actions.values())
            for key, _ in HISTORY_FIGURES
        }
    except (TypeError, ValueError):
        return None


def _when(name: str) -> str:
    stamp = started_at(name)
    return name if stamp is None else stamp.strftime("%Y-%m-%d %H:%M")


TEMPLATES = Path(__file__).parent / "templates"
# The templates compiled to Python ahead of time (``make goldens`` writes them, a test holds
# them to the sources): compiling report.html.j2 at each run took 0.02 s of the page's time.
COMPILED = TEMPLATES / "compiled"
PAGE_TEMPLATE = "report.html.j2"


def environment(precompiled: bool = True) -> Environment:
    """The pages' Jinja2 environment, escaping every value by default; templates come from
    their precompiled modules where those exist, else from their sources."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, ModuleLoader, select_autoescape

    source = FileSystemLoader(TEMPLATES)
    return Environment(
        loader=ChoiceLoader([ModuleLoader(COMPILED), source]) if precompiled else source,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template() -> Template:
    """The page's template."""
    return environment().get_template(PAGE_TEMPLATE)


def compile_templates(target: Path) -> None:
    """Write the templates, compiled to Python modules, into ``target`` (what ``COMPILED``
    ships)."""
    environment(precompiled=False).compile_templates(
        str(target), zip=None, ignore_errors=False, filter_func=lambda name: name.endswith(".j2")
    )


def render(page: Page, page_template: Template | None = None) -> str:
    chosen = page_template or template()
    return chosen.render(page=page, figures=HISTORY_FIGURES, shown=_shown_rows)


def _shown_rows(frame: pl.DataFrame, limit: int) -> tuple[list[str], list[list[str]]]:
    """A diff's frame as header and rows of text, the first ``limit``."""
    shown = frame if limit == 0 else frame.head(limit)
    rows = [["" if value is None else str(value) for value in row] for row in shown.rows()]
    return shown.columns, rows


def report(out: Path, limit: int = 20) -> str:
    """The HTML page of ``out``'s current run. Jinja2 and Polars load while two threads
    compare the two runs' bytes (reads need no GIL)."""
    with _reading(out) as (runs, identical):
        page_template = template()
        page = _gathered(out, runs, identical, limit)
    from jinja2 import UndefinedError

    try:
        return render(page, page_template)
    except (AttributeError, KeyError, TypeError, ValueError, UndefinedError) as error:
        raise _damaged(page.run.folder / SUMMARY, f"{type(error).__name__}: {error}") from None
