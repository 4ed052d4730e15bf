"""Reconcile print-on-demand production batches after order cancellations.

The library face, for orchestrators (Airflow, Dagster, Prefect) that call Python:

    import reconcile

    summary = reconcile.run("exports/tonight", out="out/night", config="reconcile.toml")
    print(summary.lines_removed, summary.batches_queued)

``run``, ``check``, ``diff`` and ``explain`` take what the command line takes and raise
the error classes below, each carrying its ``exit_code``; the command line (``reconcile.cli``)
calls exactly these. They are imported on first use, so that ``import reconcile`` (and
``reconcile --help``) stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconcile.errors import (
    DiffError,
    InputChangedError,
    InputDataError,
    InternalError,
    LockedError,
    MissingInputError,
    OutputError,
    OverLimitError,
    ReconcileError,
    UsageError,
)

if TYPE_CHECKING:
    from reconcile.api import CheckReport, RunSummary, check, diff, explain, report, run

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "DiffError",
    "InputChangedError",
    "InputDataError",
    "InternalError",
    "LockedError",
    "MissingInputError",
    "OutputError",
    "OverLimitError",
    "ReconcileError",
    "RunSummary",
    "UsageError",
    "__version__",
    "check",
    "diff",
    "explain",
    "report",
    "run",
]

_FROM_API = ("run", "check", "diff", "explain", "report", "RunSummary", "CheckReport")


def __getattr__(name: str) -> Any:
    if name in _FROM_API:
        from reconcile import api

        return getattr(api, name)
    raise AttributeError(f"module 'reconcile' has no attribute {name!r}")
