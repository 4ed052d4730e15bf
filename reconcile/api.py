"""The library face: what the command line does, as functions an orchestrator calls.

Each takes paths and a configuration as the command line does (command-line options as
keyword arguments, winning over the configuration file), returns a typed result, and
raises one of ``reconcile.errors``' classes, each carrying its ``exit_code`` and its
message as ``str(error)``. The command line calls exactly these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from reconcile.compare import Comparison
    from reconcile.config import Settings
    from reconcile.explanation import Explanation
    from reconcile.guards import Figure
    from reconcile.pipeline import Timings

PathLike = str | Path


@dataclass(frozen=True)
class RunSummary:
    """What a run did (or, for a dry run, would do): the counts people ask for first, and
    the whole ``summary.json`` content as ``content``."""

    content: Mapping[str, Any]
    out: Path | None
    # What went wrong after the new run was published (it is published all the same).
    notes: tuple[str, ...] = ()
    # The cancellations that did not apply, under the export's headers, with reason and hint.
    rejected: pl.DataFrame | None = None
    unmatched: pl.DataFrame | None = None
    # Each [limits] guard rail in force beside the night's figure.
    figures: Sequence[Figure] = field(default_factory=tuple)

    def _total(self, key: str) -> int:
        return sum(int(facts[key]) for facts in self.content["actions"].values())

    @property
    def applied(self) -> int:
        return int(self.content["cancellations"]["applied"])

    @property
    def rejected_count(self) -> int:
        return sum(int(count) for count in self.content["cancellations"]["rejected"].values())

    @property
    def unmatched_count(self) -> int:
        return int(self.content["cancellations"]["unmatched"])

    @property
    def lines_removed(self) -> int:
        return self._total("lines_removed")

    @property
    def lines_held(self) -> int:
        return self._total("lines_held")

    @property
    def batches_queued(self) -> int:
        return self._total("batches_queued")

    @property
    def batches_archived(self) -> int:
        return self._total("batches_archived")


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: every problem (one table: file, row, column, value, problem,
    kind), the summary a run would produce when there is none, and the exit status."""

    problems: pl.DataFrame
    summary: RunSummary | None
    exit_code: int
    error: Exception | None = None

    @property
    def valid(self) -> bool:
        return self.exit_code == 0


def settings(
    input_dir: PathLike | None = None,
    *,
    config: PathLike | None = None,
    orders: PathLike | None = None,
    batches: PathLike | None = None,
    batch_items: PathLike | None = None,
    cancellations: Sequence[PathLike] = (),
    extra_cancellations: Sequence[PathLike] = (),
    policy: PathLike | None = None,
    ready_file: str | None = None,
    max_age: str | None = None,
    out: PathLike | None = None,
    keep: int | None = None,
    wait: float | None = None,
    limits: Mapping[str, str | float | int] | None = None,
) -> Settings:
    """The options over the configuration file (``config``, else ``$RECONCILE_CONFIG``)
    over the defaults, as ``reconcile run`` resolves them."""
    from reconcile.config import Options, config_path, resolve

    def path(value: PathLike | None) -> Path | None:
        return Path(value) if value is not None else None

    return resolve(
        Options(
            input_dir=path(input_dir),
            files={
                "orders": path(orders),
                "batches": path(batches),
                "batch_items": path(batch_items),
            },
            cancellations=tuple(Path(item) for item in cancellations),
            extra_cancellations=tuple(Path(item) for item in extra_cancellations),
            policy_file=path(policy),
            ready_file=ready_file,
            config_file=config_path(path(config)),
            out=path(out),
            keep=keep,
            wait=wait,
            max_age=max_age,
            limits={key: str(value) for key, value in (limits or {}).items()},
        )
    )


def run(
    input_dir: PathLike | None = None,
    *,
    dry_run: bool = False,
    allow_over_limits: bool = False,
    report: PathLike | None = None,
    timings: Timings | None = None,
    **options: Any,
) -> RunSummary:
    """Reconcile a night and publish its outputs to ``out`` (``reconcile run``); the options
    are ``settings``'. Raises ``reconcile.errors.ReconcileError`` subclasses: ``UsageError``
    (2), ``InputDataError`` (65, or 66; ``.problems`` holds every problem), ``OverLimitError``
    (65), ``MissingInputError`` (66), ``OutputError`` (73), ``LockedError`` and
    ``InputChangedError`` (75), ``InternalError`` (70). Whatever it raises, ``out`` still
    shows the previous run; once it returns, ``out`` shows the new one."""
    from reconcile import pipeline
    from reconcile.errors import InputDataError, OutputError

    resolved = settings(input_dir, **options)
    report_file = Path(report) if report is not None else None
    try:
        result = pipeline.run(
            resolved,
            dry_run=dry_run,
            timings=timings,
            report_file=report_file,
            allow_over_limits=allow_over_limits,
        )
    except InputDataError as error:
        if report_file is not None:
            try:
                pipeline.write_report(error.problems, report_file)
            except OutputError as unwritten:  # the problems stay the error; say this too
                error.advice = (*error.advice, f"reconcile: {unwritten}")
        raise
    return RunSummary(
        result.summary,
        None if dry_run else resolved.out,
        result.notes,
        result.rejected,
        result.unmatched,
        tuple(result.figures),
    )


def check(
    input_dir: PathLike | None = None, *, report: PathLike | None = None, **options: Any
) -> CheckReport:
    """Validate a night without writing (``reconcile check``); invalid input is a result,
    not an error (``exit_code`` 65 or 66); a bad command line or configuration still raises
    ``UsageError``."""
    from reconcile import pipeline
    from reconcile.errors import EXIT_DATAERR, EXIT_NOINPUT

    resolved = settings(input_dir, **options)
    report_file = Path(report) if report is not None else None
    result = pipeline.check(resolved, report_file)
    if report_file is not None:
        pipeline.write_report(result.problems, report_file)
    if result.problems.height:
        status = EXIT_NOINPUT if result.missing_files else EXIT_DATAERR
        return CheckReport(result.problems, None, status, result.error)
    summary = RunSummary(result.summary or {}, None, (), result.rejected, result.unmatched)
    return CheckReport(result.problems, summary, 0)


def diff(old: PathLike, new: PathLike | None = None, *, only: str | None = None) -> Comparison:
    """Compare two output folders, or the run before the current one of ``old`` with the
    current one (``reconcile diff``); ``DiffError`` (2) when they cannot be compared.
    ``reconcile.compare.any_difference(result.diffs)`` tells whether they differ."""
    if new is None:
        return _compare_out(Path(old), only)
    return _compare_paths(Path(old), Path(new), only)


def _compare_out(out: Path, only: str | None = None) -> Comparison:
    """The run before the current one of output folder ``out`` against the current one, each
    named by its run's name; both are held against pruning while they are read."""
    from reconcile.runs import held, identical_beside, previous_and_current

    with (
        held(out, lambda runs: list(previous_and_current(runs, out))) as (previous, current),
        identical_beside(previous.folder, current.folder, only) as identical,
    ):
        # Polars loads here, while the threads compare the bytes.
        from reconcile.compare import Comparison, compare_folders

        return Comparison(
            previous.name,
            current.name,
            compare_folders(previous.folder, current.folder, only, identical),
        )


def _compare_paths(old: Path, new: Path, only: str | None = None) -> Comparison:
    """Two output folders, named by the paths given. Each side's link, if it is one, is
    resolved once (a publish meanwhile cannot mix two runs into one side), and a run folder
    is held against pruning while it is read."""
    import os
    from contextlib import ExitStack

    from reconcile.publish import hold
    from reconcile.runs import identical_beside

    old_folder, new_folder = (Path(os.path.realpath(folder)) for folder in (old, new))
    with ExitStack() as holds:
        for folder in (old_folder, new_folder):
            hold(folder, holds)
        identical = holds.enter_context(identical_beside(old_folder, new_folder, only))
        from reconcile.compare import Comparison, compare_folders

        return Comparison(
            str(old), str(new), compare_folders(old_folder, new_folder, only, identical)
        )


def explain(
    out: PathLike,
    *,
    orders: Sequence[str] = (),
    items: Sequence[str] = (),
    batches: Sequence[str] = (),
    every_run: bool = False,
) -> Explanation:
    """What the current run of ``out`` (every kept run with ``every_run``) did to these
    orders, lines and batches (``reconcile explain``); ``result.not_found`` lists the ids
    found nowhere."""
    from reconcile import explanation as explainer

    return explainer.explain(Path(out), explainer.Asked.of(orders, items, batches), every_run)


def report(out: PathLike, *, limit: int = 20) -> str:
    """The self-contained HTML page of ``out``'s current run (``reconcile report``);
    ``DiffError`` (2) when ``out`` is not an output folder written by run."""
    from reconcile import page

    return page.report(Path(out), limit)
