"""The ``reconcile`` command line: parse options, call one function, map errors to exit statuses.

Polars and Pandera are imported inside the commands that need them, so that
``reconcile --help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from reconcile import __version__
from reconcile.contract import BATCH_ITEMS, BATCHES, ORDERS
from reconcile.errors import (
    EXIT_DIFFERENT,
    EXIT_INTERRUPTED,
    EXIT_SAME,
    EXIT_SOFTWARE,
    EXIT_USAGE,
    InputDataError,
    OutputError,
    ReconcileError,
)

if TYPE_CHECKING:
    from reconcile.api import RunSummary

F = TypeVar("F", bound=Callable[..., Any])


class NonEmpty(click.ParamType[str]):
    """Text that is not empty: an empty value is most often an unset variable in a cron line
    (``--ready-file "$MARKER"``), and as a path it names the working folder, or as a name it
    was taken for no value at all (the ready file's check was silently off)."""

    name = "text"

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":
            self.fail(f"empty text (an unset variable?); give {self.wanted}", param, ctx)
        return value


class NonEmptyPath(click.Path):
    """A path that is not empty text (see ``NonEmpty``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(NonEmpty("a path").convert(value, param, ctx), param, ctx)


PATH = NonEmptyPath(path_type=Path)
# Inputs are not checked by Click: an unreadable one is the reader's to report, with exit
# 66 as for the same file found in the input folder (Click's check exits 2).
INPUT_PATH = NonEmptyPath(path_type=Path, readable=False)
# --out "" is refused by the output folder's guard, in the words it uses for [output] folder.
OUT_PATH = click.Path(path_type=Path)


class Seconds(click.ParamType[float]):
    """A number of seconds: finite and at least 0 (``nan`` and ``inf`` are no wait)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from reconcile.config import seconds

        try:
            return seconds(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


# The options run and check share that say where the night is and how to read it, by
# their parameter names -> the names ``reconcile.api.settings`` takes them under. The
# command receives them folded into one ``inputs`` mapping, passed on as it is.
SETTINGS_OPTIONS = {
    "config_file": "config",
    "orders": "orders",
    "batches": "batches",
    "batch_items": "batch_items",
    "cancellations": "cancellations",
    "extra_cancellations": "extra_cancellations",
    "policy_file": "policy",
    "ready_file": "ready_file",
    "max_age": "max_age",
}


def input_options(command: F) -> F:
    """What run and check share: INPUT_DIR, --config, one option per input file, the
    cancellation lists, --policy, --ready-file, --max-age (these folded into ``inputs``,
    see ``SETTINGS_OPTIONS``), --report and --debug."""

    @functools.wraps(command)
    def folded(**given: Any) -> Any:
        inputs = {name: given.pop(option) for option, name in SETTINGS_OPTIONS.items()}
        return command(inputs=inputs, **given)

    decorators = [
        click.argument("input_dir", required=False, type=INPUT_PATH),
        click.option(
            "--config",
            "config_file",
            type=PATH,
            help="reconcile.toml with the exports' file and column names "
            "(default: $RECONCILE_CONFIG). Options win over the file.",
        ),
        *(
            click.option(file.option, type=INPUT_PATH, help=f"{file.name}, if not in INPUT_DIR.")
            for file in (ORDERS, BATCHES, BATCH_ITEMS)
        ),
        click.option(
            "--cancellations",
            type=INPUT_PATH,
            multiple=True,
            help="A cancellations file; repeat for several. Replaces the configured list.",
        ),
        click.option(
            "--extra-cancellations",
            type=INPUT_PATH,
            multiple=True,
            help="A cancellations file read after the others (a bulk list); repeatable.",
        ),
        click.option(
            "--policy",
            "policy_file",
            type=PATH,
            help="TOML file whose [actions] table maps batch statuses to refill, regenerate or hold.",
        ),
        click.option(
            "--ready-file",
            type=NonEmpty("the ready file's name"),
            metavar="NAME",
            help="Exit 75 unless this file in the input folder is newer than every input.",
        ),
        click.option(
            "--max-age",
            metavar="DURATION",
            help="Exit 75 if an input is older than this (20h, 90m, 2d); off lifts "
            "[inputs] max_age.",
        ),
        click.option(
            "--report",
            "report_file",
            type=PATH,
            help="Write every input problem to this CSV (file,row,column,value,problem).",
        ),
        click.option("--debug", is_flag=True, help="Show a traceback for internal errors."),
    ]
    wrapped: Callable[..., Any] = folded
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return cast(F, wrapped)


def guard_rail_options(command: F) -> F:
    """``run``'s guard rails: one option per ``[limits]`` key, and --allow-over-limits."""
    from reconcile.guards import LIMITS

    decorators = [
        *(
            click.option(
                kind.option,
                kind.key,
                metavar="SHARE" if kind.share else "N",
                help=f"Write nothing (exit 65) if more {kind.counts} than this"
                + (f" (of {kind.of}: 0.05 or 5%)." if kind.share else "."),
            )
            for kind in LIMITS
        ),
        click.option(
            "--allow-over-limits",
            is_flag=True,
            help="Apply and publish a night over its limits (after checking it).",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _polars_version() -> str:
    """Polars' version, read from its metadata without importing it (0.3 s)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("polars")
    except PackageNotFoundError:
        return "not installed"


def format_option(formats: list[str], help: str) -> Callable[[F], F]:
    """``--format``: text (the default, for a person) or another of ``formats``."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(formats),
        default="text",
        show_default=True,
        help=help,
    )


def limit_option(help: str) -> Callable[[F], F]:
    """``--limit N``: how many rows of each kind a command shows (0: all)."""
    return click.option(
        "--limit", type=click.IntRange(min=0), default=20, show_default=True, help=help
    )


def _print_version(context: click.Context, _parameter: click.Parameter, value: bool) -> None:
    """``--version``: this program's version, and Polars' (the outputs' bytes depend on it
    too, synth's above all), read only when asked: reading Polars' metadata took 11-20 ms
    of every command's start."""
    if value and not context.resilient_parsing:
        click.echo(f"reconcile {__version__} (Polars {_polars_version()})")
        context.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """Keep print-on-demand production batches right after orders are cancelled.

    Reads orders.csv, batches.csv, batch_items.csv and cancellations.csv, applies
    the batch-status rules, and writes the updated batches, the regeneration
    queue, the archive list and the other outputs as CSV.

    Example:

    \b
        reconcile run fixtures/example --out out/example
    """


@cli.command()
@input_options
@click.option("--out", "out", type=OUT_PATH, help="The output folder (a link to the newest run).")
@click.option("--dry-run", is_flag=True, help="Read, validate and apply the rules; write nothing.")
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    help="How many previous runs to keep beside the output folder (default 3).",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=Seconds(),
    help="Wait up to this many seconds for another run's lock instead of exiting 75.",
)
@click.option(
    "--timings", is_flag=True, help="Print the wall and CPU time of each stage on stderr."
)
@format_option(["text", "json"], "json prints the run summary (as summary.json) on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success (for cron).")
@limit_option("With --dry-run: the rejected and unmatched rows shown, each kind; 0 shows all.")
@guard_rail_options
def run(
    input_dir: Path | None,
    inputs: dict[str, Any],
    report_file: Path | None,
    debug: bool,
    out: Path | None,
    dry_run: bool,
    keep: int | None,
    wait_seconds: float | None,
    timings: bool,
    output_format: str,
    quiet: bool,
    limit: int,
    allow_over_limits: bool,
    **limits: str | None,
) -> None:
    """Reconcile batches with cancellations and write the outputs to --out.

    Outputs appear all at once: OUT is a link switched atomically to the new
    run's folder, kept beside it with the previous runs. Exit status: 0 done,
    2 bad command line, policy, configuration or output folder, 65 invalid input
    or a night over its [limits] (nothing written), 66 an input file is missing,
    unreadable or not a regular file, 73 the output folder cannot be written,
    75 try again later (another run holds the lock, an input changed while being
    read, the ready file is missing, or an input is older than --max-age), 130
    interrupted (Ctrl-C). Any status but 0 means OUT still shows the previous run.

    Example:

    \b
        reconcile run fixtures/example --out out/example --policy fixtures/policy.example.toml
        reconcile run --config fixtures/kornit-x/reconcile.toml --quiet
    """
    with _errors_to_exit(debug):
        from reconcile import api, pipeline

        stage_times = pipeline.Timings(
            progress=_show_stage if not quiet and _stderr_is_terminal() else None
        )
        try:
            summary = api.run(
                input_dir,
                dry_run=dry_run,
                allow_over_limits=allow_over_limits,
                report=report_file,
                timings=stage_times,
                out=out,
                keep=keep,
                wait=wait_seconds,
                limits={key: value for key, value in limits.items() if value is not None},
                **inputs,
            )
        except KeyboardInterrupt:
            # api.run raises it only while OUT still shows the previous run (once OUT shows
            # the new run, it returns, with a note).
            click.echo(
                "reconcile: interrupted"
                + ("" if dry_run else "; nothing was published: OUT still shows the previous run"),
                err=True,
            )
            sys.exit(EXIT_INTERRUPTED)
        finally:
            if timings:
                _print_timings(stage_times.seconds, stage_times.cpu_seconds)
        # OUT shows the new run from here on: nothing below may turn that into a failure.
        try:
            _tell(summary, output_format, quiet, dry_run, limit)
        except KeyboardInterrupt:
            with suppress(OSError):
                click.echo(
                    "reconcile: interrupted while printing"
                    + ("" if dry_run else "; the run is published: OUT shows it"),
                    err=True,
                )


def _tell(summary: RunSummary, output_format: str, quiet: bool, dry_run: bool, limit: int) -> None:
    """A run's notes and summary, as asked."""
    from reconcile import summary as texts

    for note in summary.notes:
        _say_after_publishing(f"reconcile: warning: {note}", err=True)
    if output_format == "json":
        _say_after_publishing(texts.summary_json(summary.content), nl=False)
    elif not quiet:
        where = str(summary.out) if summary.out is not None else None
        text = texts.human_summary(summary.content, where=where)
        if dry_run and summary.figures:
            text += "\nlimits:\n" + "\n".join(f"  {f.line()}" for f in summary.figures)
        if dry_run:
            text += _not_applied(summary, limit)
        _say_after_publishing(text)


def _not_applied(summary: RunSummary, limit: int) -> str:
    """The cancellations that did not apply, after a blank-less newline; "" when none."""
    from reconcile import summary as texts

    rejected, unmatched = summary.rejected, summary.unmatched
    if rejected is None or unmatched is None or not (rejected.height or unmatched.height):
        return ""
    return "\n" + texts.not_applied(rejected, unmatched, limit)


def _say_after_publishing(text: str, *, nl: bool = True, err: bool = False) -> None:
    """Print once the run is published (or was a dry run): a failure to print (a full disk,
    a closed pipe) is noted on stderr and changes nothing else, the exit status included."""
    try:
        click.echo(text, nl=nl, err=err)
        (sys.stderr if err else sys.stdout).flush()
    except OSError as error:
        # What could not be printed is dropped, so that exiting does not try it again.
        nowhere = open(os.devnull, "w")  # noqa: SIM115 (open until the process ends)
        if err:
            sys.stderr = nowhere
            return
        sys.stdout = nowhere
        with suppress(OSError):
            click.echo(
                "reconcile: the run is published, but its summary could not be printed "
                f"({error.strerror or type(error).__name__})",
                err=True,
            )


@cli.command()
@input_options
@format_option(
    ["text", "json"], "json prints the report, and the summary a run would produce, for tooling."
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when the input is valid.")
@limit_option("The cancellations a run would reject or leave unmatched shown, each kind; 0: all.")
def check(
    input_dir: Path | None,
    inputs: dict[str, Any],
    report_file: Path | None,
    debug: bool,
    output_format: str,
    quiet: bool,
    limit: int,
) -> None:
    """Validate the inputs only: print every problem, write nothing.

    Exits 0 when the input is valid, 65 when it is not, 66 when a file is
    missing or unreadable. With --config it reads the configuration's inputs,
    columns, values and policy, and ignores its [output].

    Example:

    \b
        reconcile check fixtures/example
        reconcile check --config fixtures/kornit-x/reconcile.toml --format json
    """
    with _errors_to_exit(debug):
        from reconcile import api
        from reconcile import summary as texts

        checked = api.check(input_dir, report=report_file, **inputs)
        summary = checked.summary
        if output_format == "json":
            content = summary.content if summary is not None else None
            click.echo(texts.report_json(checked.problems, content), nl=False)
        elif not checked.valid:
            error = checked.error
            fixes = getattr(error, "fixes", None)
            advice = getattr(error, "advice", ())
            click.echo(texts.human_report(checked.problems, fixes, advice))
        elif not quiet:
            click.echo("the input is valid")
            if summary is not None and (not_applied := _not_applied(summary, limit)):
                click.echo("but a run would not apply these cancellations:" + not_applied)
        sys.exit(checked.exit_code)


@cli.command()
@click.argument("old_dir", type=PATH)
@click.argument("new_dir", type=PATH, required=False)
@format_option(
    ["text", "markdown", "json"],
    "text (for a terminal), markdown (tables for a review), json (everything).",
)
@click.option("--file", "only", metavar="NAME", help="Compare only this output, e.g. batches.csv.")
@limit_option("Rows shown per section in text and markdown; 0 shows all.")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
def diff(
    old_dir: Path,
    new_dir: Path | None,
    output_format: str,
    only: str | None,
    limit: int,
    debug: bool,
) -> None:
    """Compare two output folders row by row, matching rows by each file's key.

    Given one output folder OUT written by run, it compares the run before the
    current one with the current one, each named by its run name (as `reconcile
    runs OUT` lists them). Shows rows added, removed and changed (changed columns
    as old -> new) per output file; the inputs' names and digests are shown apart
    and never count as a difference. Exit status like diff(1): 0 identical,
    1 different, 2 trouble (a missing folder, a file that cannot be read, no
    earlier run); 70 internal error.

    Example:

    \b
        reconcile run fixtures/example --out out/example -q
        reconcile run fixtures/example --out out/example -q --policy fixtures/policy.example.toml
        reconcile diff out/example --file batches.csv
    """
    with _errors_to_exit(debug):
        from reconcile import api

        comparison = api.diff(old_dir, new_dir, only=only)
        from reconcile import compare as differ

        render = {
            "text": differ.text_report,
            "markdown": differ.markdown_report,
            "json": differ.json_report,
        }
        click.echo(render[output_format](comparison, limit), nl=False)
        sys.exit(EXIT_DIFFERENT if differ.any_difference(comparison.diffs) else EXIT_SAME)


@cli.command()
@click.argument("out", type=PATH)
@click.option(
    "--output",
    "output_file",
    type=NonEmpty("a file, or - for stdout"),
    metavar="FILE",
    required=True,
    help="The HTML file to write (- for stdout); written whole or not at all, never over an "
    "output folder or into a run (exit 73).",
)
@limit_option("Rows shown per list and per change; 0 shows all.")
def report(out: Path, output_file: str, limit: int) -> None:
    """Write one self-contained HTML page of the current run of OUT.

    The night at a glance (per batch status and action, drawn), the cancellations and
    the files read, the changes against the previous run, the lists people act on
    (regeneration queue, archive list, rejected and unmatched cancellations with their
    hints), and the nights before as charts, the current one marked. The page requests
    nothing from any network and opens from disk. Exit status 2 when OUT is not an
    output folder written by run; 73 when FILE cannot be written, or is an output
    folder or lies in a run (a run's files are its record).

    Example:

    \b
        reconcile run fixtures/example --out out/example -q
        reconcile report out/example --output out/example-report.html
    """
    with _errors_to_exit():
        from reconcile import api

        if output_file != "-":
            from reconcile.publish import check_new_file

            check_new_file(Path(output_file), ".html")
        html = api.report(out, limit=limit)
        if output_file == "-":
            click.echo(html, nl=False)
        else:
            from reconcile.csvio import write_text_whole

            try:
                write_text_whole(html, Path(output_file))
            except OSError as error:
                raise OutputError(
                    f"cannot write {output_file}: {error.strerror or error}"
                ) from None


@cli.command()
@click.argument("out", type=PATH)
@click.option("--order", "orders", metavar="ID", multiple=True, help="An order; repeatable.")
@click.option("--item", "items", metavar="ID", multiple=True, help="A line (item_id); repeatable.")
@click.option("--batch", "batches", metavar="ID", multiple=True, help="A batch; repeatable.")
@click.option(
    "--all", "every_run", is_flag=True, help="Every kept run, newest first, not only the current."
)
@format_option(["text", "json"], "text for a person, json for tools.")
def explain(
    out: Path,
    orders: tuple[str, ...],
    items: tuple[str, ...],
    batches: tuple[str, ...],
    every_run: bool,
    output_format: str,
) -> None:
    """What a run did to an order, a line or a batch.

    For an order: its status after the run, each of its lines with batch, batch
    status, action and outcome (kept, removed, held) and the cancellation that
    did it (cancelled_by), and its cancellations that did not apply, with
    reason and hint. For a batch: its status before and after, the lines removed
    and held, whether queued or archived, its open slots. For a line: its story
    as above. Ids are trimmed, as a cancellation's are. Exit status like diff:
    0 every id found, 1 some id found nowhere (saying where it looked), 2
    trouble (an id empty once trimmed, a folder not written by run).

    Example:

    \b
        reconcile run fixtures/example --out out/example -q
        reconcile explain out/example --order O-0009 --batch B-1003
    """
    with _errors_to_exit():
        from reconcile import api
        from reconcile import explanation as explainer

        if not (orders or items or batches):
            raise click.UsageError("give at least one --order, --item or --batch ID")
        explanation = api.explain(
            out, orders=orders, items=items, batches=batches, every_run=every_run
        )
        render = explainer.json_report if output_format == "json" else explainer.text_report
        click.echo(render(explanation), nl=False)
        sys.exit(EXIT_SAME if explanation.found else EXIT_DIFFERENT)


@cli.command()
@click.argument("out", type=PATH)
@format_option(["text", "json"], 'json prints {"runs": [{"name", "current", "summary"}, ...]}.')
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Also the runs pruned since, whose summaries the history keeps.",
)
def runs(out: Path, output_format: str, every: bool) -> None:
    """List the kept runs of an output folder, newest first.

    For each run: its name, when it ran, the input files and their digests
    (short), and its counts: cancellations applied, rejected and unmatched; lines
    removed and held; batches queued and archived. Exit status 2 when OUT is not
    an output folder written by run.

    Example:

    \b
        reconcile run fixtures/example --out out/example -q
        reconcile runs out/example
    """
    with _errors_to_exit():
        from reconcile.runs import no_current_run, run_summaries, runs_json, runs_text

        listed = run_summaries(out, every)
        click.echo((runs_json if output_format == "json" else runs_text)(listed), nl=False)
        if not any(run.current for run, _ in listed):
            # what is kept is still listed (exit 0); the reading commands exit 2 on it
            click.echo(f"reconcile: warning: {no_current_run(out)}", err=True)


@cli.command()
@click.argument("input_dir", required=False, type=PATH)
@click.option(
    "--output",
    "output_file",
    type=PATH,
    default=Path("reconcile.toml"),
    show_default=True,
    help="Where to write the configuration; an existing file is never overwritten (exit 73).",
)
def init(input_dir: Path | None, output_file: Path) -> None:
    """Write a commented reconcile.toml to start from.

    Given the exports' folder, it proposes each file's pattern and each column's
    header from what it finds there (ignoring case, spaces, dots and
    underscores: batch.id is batch_id, Order ID is order_id), and names the
    columns it could not place.

    Example:

    \b
        reconcile init fixtures/plain-english --output out/plain-english.toml
    """
    with _errors_to_exit():
        from reconcile import config, csvio
        from reconcile.errors import MissingInputError
        from reconcile.publish import check_new_file

        if input_dir is not None and not input_dir.is_dir():
            raise MissingInputError(f"the input folder {input_dir} does not exist")
        check_new_file(output_file, ".toml")
        proposals = (
            config.propose(input_dir, csvio.read_header, csvio.read_values) if input_dir else []
        )
        text = config.starter(input_dir, output_file, proposals)
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            csvio.write_new_text(text, output_file)
        except FileExistsError:
            raise OutputError(
                f"{output_file} exists already; it is never overwritten (give --output FILE)"
            ) from None
        except OSError as error:
            raise OutputError(f"cannot write {output_file}: {error.strerror or error}") from None
        click.echo(f"wrote {output_file}")
        guessed = config.placed_by_values(proposals)
        if guessed:
            click.echo("placed by their values (check them): " + ", ".join(guessed))
        missing = config.unplaced(proposals)
        if missing:
            click.echo("could not place (edit [columns.*] by hand): " + ", ".join(missing))


@cli.command()
@click.argument("output_dir", type=PATH)
@click.option(
    "--lines",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Batch lines to generate.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed gives the same night."
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that is not empty (never through a run's link or into a run).",
)
def synth(output_dir: Path, lines: int, seed: int, force: bool) -> None:
    """Write a synthetic night of the given size, to try the job at scale.

    About 2 lines per order and 15 per batch, batches over all eleven statuses,
    about 5% of orders cancelled whole, some line cancellations, a few unknown
    orders and repeated rows.

    Example:

    \b
        reconcile synth out/night --lines 10000 --seed 7
        reconcile run out/night --out out/night-run
    """
    with _errors_to_exit():
        from reconcile.publish import check_new_folder
        from reconcile.synth import generate

        check_new_folder(output_dir, force=force)
        try:
            counts = generate(output_dir, lines, seed)
        except OSError as error:
            raise OutputError(f"cannot write {output_dir}: {error.strerror or error}") from None
        click.echo(
            f"wrote {counts.orders} orders, {counts.batches} batches, {counts.batch_items} batch lines "
            f"and {counts.cancellations} cancellations to {output_dir}"
        )


def _stderr_is_terminal() -> bool:
    """Whether a person watches stderr (cron and pipes get no progress lines)."""
    return sys.stderr.isatty()


def _show_stage(number: int, name: str) -> None:
    from reconcile.pipeline import STAGES

    click.echo(f"reconcile: [{number}/{len(STAGES)}] {name}...", err=True)


def _print_timings(seconds: dict[str, float], cpu_seconds: dict[str, float]) -> None:
    """Each stage's wall time, then its CPU time (all cores: above the wall time when the
    stage keeps more than one core busy)."""
    rows = [*((stage, elapsed, cpu_seconds[stage]) for stage, elapsed in seconds.items())]
    rows.append(("total", sum(seconds.values()), sum(cpu_seconds.values())))
    for stage, elapsed, cpu in rows:
        click.echo(f"timing: {stage:<16} {elapsed:8.3f} s  CPU {cpu:8.3f} s", err=True)


@contextmanager
def _errors_to_exit(debug: bool = False) -> Iterator[None]:
    """Turn every failure into one message on stderr and the contract's exit status."""
    try:
        yield
    except InputDataError as error:
        from reconcile import summary as texts

        click.echo(texts.human_report(error.problems, error.fixes, error.advice), err=True)
        sys.exit(error.exit_code)
    except ReconcileError as error:
        click.echo(f"reconcile: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("reconcile: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except ModuleNotFoundError as missing:  # a library the command imports lazily
        click.echo(
            f"reconcile: this Python ({sys.executable}) does not have {missing.name}, which "
            "reconcile needs; reinstall it into this environment: python -m pip install .",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    except Exception as error:
        if debug:
            traceback.print_exc()
        click.echo(
            f"reconcile: internal error: {type(error).__name__}: {error} "
            "(run again with --debug for the traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_SOFTWARE)


# Polars allocates through a jemalloc of its own, which reads this variable once, as Polars
# loads (after ``main`` starts: the command line imports Polars only in the commands that
# need it). Polars' own settings give each thread one of four arenas per core, and keep
# freed pages a second longer as "muzzy" (still resident); a run frees and takes hundreds of
# MB per stage, and with one arena per core a stage takes what the previous one freed
# instead of fresh pages, which the kernel charges dearly for, while purging at once gives
# back the rest sooner. Measured: about 0.1 s and 200-290 MB less at 5M lines, 0.27 s at 20M
# (docs/performance.md). Set for the command line only, never over the user's own.
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"


def allocator_settings() -> str:
    """One arena per core this process may run on (Polars runs a thread per core), and freed
    pages purged at once."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"narenas:{cores or 1},muzzy_decay_ms:0"


def main() -> None:
    """The ``reconcile`` program (``CliRunner`` calls ``cli`` instead, and keeps its process)."""
    os.environ.setdefault(ALLOCATOR_VARIABLE, allocator_settings())
    try:
        cli(prog_name="reconcile")
    except SystemExit as done:
        if done.code is not None and not isinstance(done.code, int):
            raise  # a message to print: Python prints it and exits with status 1
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            raise done from None  # let Python report it as it would
        # Every output is written, closed and published, every lock released, every
        # thread joined by now: ending the process at once skips only Python's own
        # teardown, 0.08-0.12 s after a 5M-line run, spent finalizing what is about
        # to vanish anyway.
        os._exit(done.code or 0)
