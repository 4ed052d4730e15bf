"""The job's stages, in order: read, validate inputs, sort, rules, validate outputs, write, publish.

Each stage is one call; this module only sequences them, times them and decides
what is written where. ``run`` and ``check`` share ``load`` (read + validate).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import polars as pl

from reconcile import contract, csvio, frames, guards, publish, rules, summary
from reconcile import headers as headers_module
from reconcile.config import Headers, Settings, Sources, display_names
from reconcile.contract import (
    BATCH_ITEMS,
    BATCHES,
    CANCELLATIONS,
    INPUTS,
    ITEM_ID,
    ORDER_ID,
    ORDERS,
    InputFile,
)
from reconcile.errors import (
    EXIT_NOINPUT,
    InputChangedError,
    InputDataError,
    OutputError,
    OverLimitError,
    UsageError,
)
from reconcile.policy import Policy
from reconcile.problems import concat_problems, empty_problems

# The stages of a run, in order (a dry run stops after "validate outputs").
STAGES = ("read", "validate inputs", "sort", "rules", "validate outputs", "write", "publish")


@dataclass
class Timings:
    """Wall time and CPU time (user + system, all threads) per stage, in the order the stages
    ran; ``progress`` (if given) is told each stage as it starts, with its place among
    ``STAGES``."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    progress: Callable[[int, str], None] | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress is not None and name not in self.seconds:
            self.progress(STAGES.index(name) + 1, name)
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + cpu


@dataclass(frozen=True)
class Loaded:
    inputs: rules.Inputs
    files: dict[str, list[dict[str, Any]]]
    links: rules.BatchLinks | None
    keys: rules.KeyFacts
    # By input file, the columns whose cells are as written (``csvio.CsvTable.as_written``).
    as_written: Mapping[InputFile, frozenset[str]] = field(default_factory=dict)


# Called between reading the inputs and checking they did not change meanwhile; a test
# uses it to append to a file at exactly that moment.
AfterRead = Callable[[], None]


def load(
    sources: Sources,
    headers: Headers,
    policy: Policy,
    timings: Timings,
    after_read: AfterRead | None = None,
) -> Loaded:
    """Read and validate every input; raise ``InputDataError`` with every problem found,
    ``InputChangedError`` if an input changed while it was read or is newer than the
    ready file."""
    jobs = [(file, path) for file in INPUTS for path in sources.of(file)]
    names = display_names(sources)
    before = {path: _stamp(path) for _, path in jobs}
    if sources.max_age is not None:
        _check_fresh(before, names, sources.max_age, sources.max_age_source)
    if sources.ready_file is not None:
        _check_ready(sources.ready_file, before)
    # Polars parses without the GIL: reading the files side by side uses both cores, and
    # leaves time for importing Pandera (0.15 s, a tenth of a 1M-line run) meanwhile.
    with timings.stage("read"), ThreadPoolExecutor(max_workers=min(len(jobs), 4) + 1) as pool:
        importing = pool.submit(_import_schemas)
        results = list(
            pool.map(
                lambda job: csvio.read_csv_table(
                    job[1], names[job[1]], keep_encoded=_carried_only(job[0], headers)
                ),
                jobs,
            )
        )
        importing.result()
    if after_read is not None:
        after_read()
    for path, stamp in before.items():
        if _stamp(path) != stamp:
            raise InputChangedError(
                f"input changed while being read: {path}; nothing was written, try again "
                "once the export is complete"
            )
    problems = [
        _typed_path_named(result.problems, path)
        if result.missing and path in sources.typed
        else result.problems
        for (_, path), result in zip(jobs, results, strict=True)
    ]
    tables: list[tuple[InputFile, csvio.CsvTable]] = []
    renames: dict[str, dict[str, str]] = {}
    read: dict[Path, dict[str, Any]] = {}  # what the summary says of each file read
    for (file, path), result in zip(jobs, results, strict=True):
        if result.table is None:
            continue
        table, renamed, missing = headers_module.to_contract(file, result.table, headers.of(file))
        tables.append((file, table))
        renames[table.label] = renamed
        problems.append(missing)
        read[path] = {"file": names[path], "sha256": table.digest, "rows": table.frame.height}
        if file is CANCELLATIONS:
            read[path]["ids_trimmed"] = rules.ids_trimmed(table.frame)
    single = {file.name: table for file, table in tables if file is not CANCELLATIONS}
    from reconcile import schemas  # imported by now (see above)

    # Beside the per-file checks, two cross-file ones, and the keys' order, which answers
    # whether each key is unique and which the sort needs next: all mostly Polars, without
    # the GIL.
    with timings.stage("validate inputs"), ThreadPoolExecutor(max_workers=4) as pool:
        linking = pool.submit(_link, single)
        ordering = pool.submit(_keyed, single, ORDERS, ORDER_ID, rules.key_order)
        numbering = pool.submit(_keyed, single, BATCH_ITEMS, ITEM_ID, rules.item_numbers)
        orphan_orders = pool.submit(schemas.unknown_order_problems, single)
        # A missing column is reported, in the user's words, by headers.to_contract.
        within_files = schemas.schema_problems(tables, policy).filter(
            pl.col("kind") != "missing_column"
        )
        links = linking.result()
        (orders_by_key, orders_unique), (items_by_number, items_unique) = (
            ordering.result(),
            numbering.result(),
        )
        keys = rules.KeyFacts(orders_by_key, items_by_number)
        batch_order = links.batch_order if links is not None else None
        unique = {
            ORDERS.name: orders_unique,
            BATCHES.name: batch_order.unique if batch_order is not None else None,
            BATCH_ITEMS.name: items_unique,
        }
        line_batch = links.line_batch if links is not None else None
        problems += [
            within_files,
            schemas.repeated_key_problems(tables, unique),
            schemas.unknown_batch_problems(single, line_batch),
            orphan_orders.result(),
        ]
    found = headers_module.problems_in_export_names(concat_problems(problems), renames)
    if found.height:
        missing_files = any(result.missing for result in results)
        advice: tuple[str, ...] = ()
        folder = sources.of(ORDERS)[0].parent
        if not any(set(file.columns) & set(table.header) for file, table in tables) and (
            tables or any(folder.glob("*.csv"))
        ):
            # nothing of the contract here: likely a platform's own exports, unmapped
            lacking = "files has the contract's columns" if tables else "contract's files is here"
            advice = (
                f"None of the {lacking}: if these are your platform's own exports, `reconcile "
                f"init {folder}` proposes a configuration that maps their names (then run "
                "with --config reconcile.toml).",
            )
        raise InputDataError(found, missing_files=missing_files, advice=advice)
    # each row with its file and line, for the removed and held lines' cancelled_by
    cancellations = [
        table.frame.with_columns(
            pl.lit(table.label).alias(rules.SOURCE_FILE),
            table.line_of(pl.Series(range(table.frame.height), dtype=pl.Int64)).alias(
                rules.SOURCE_LINE
            ),
        )
        for file, table in tables
        if file is CANCELLATIONS
    ]
    inputs = rules.Inputs(
        orders=single[ORDERS.name].frame,
        batches=single[BATCHES.name].frame,
        batch_items=single[BATCH_ITEMS.name].frame,
        # one table: the union of the files' columns in order of first appearance
        cancellations=pl.concat(cancellations, how="diagonal")
        if len(cancellations) > 1
        else cancellations[0],
    )
    files: dict[str, list[dict[str, Any]]] = {file.name: [] for file in INPUTS}
    for file, path in jobs:
        files[file.name].append(read[path])
    as_written = {file: single[file.name].as_written for file in (ORDERS, BATCH_ITEMS)}
    return Loaded(inputs, files, links, keys, as_written)


def _typed_path_named(problems: pl.DataFrame, path: Path) -> pl.DataFrame:
    """A missing or unreadable file typed on the command line, said to be looked for from
    the working folder (cron's is $HOME, not the configuration's folder)."""
    where = f" (paths on the command line are relative to the working folder, {Path.cwd()})"
    missing = pl.col("kind") == "missing_file"
    return problems.with_columns(
        pl.when(missing).then(pl.col("problem") + pl.lit(where)).otherwise(pl.col("problem"))
    )


def explained(error: InputDataError, settings: Settings) -> InputDataError:
    """``error`` with the fixes the settings tell more of: where the policy is written."""
    if settings.policy_file is not None:
        where = f"in the [actions] table of {settings.policy_file}"
    elif settings.config_file is not None:
        where = f"in [actions] of {settings.config_file}"
    else:
        return error  # the kind's own fix: --policy FILE
    error.fixes["unknown_status"] = (
        f'fix the spelling, or map the status to an action {where} (e.g. "Quality Check" = "hold")'
    )
    return error


def _carried_only(file: InputFile, headers: Headers) -> csvio.KeepEncoded:
    """The batch lines' columns the job only carries to its outputs, never reads: their
    quoted cells may stay as written (see ``csvio.read_csv_table``). The rules carry
    every batch-line column unchanged into the three batch-line outputs; other files'
    columns are sorted on or rewritten, so always decoded."""
    if file is not BATCH_ITEMS:
        return csvio.no_column
    read_by_job = {*file.columns, *headers.of(file).values()}
    return lambda name: name not in read_by_job


def _import_schemas() -> None:
    from reconcile import schemas

    schemas.warm_up()


def _stamp(path: Path) -> tuple[int, int] | None:
    """An input's size and modification time, as noted when it is opened and read."""
    try:
        status = path.stat()
    except OSError:
        return None  # the reader reports a missing or unreadable file
    return status.st_size, status.st_mtime_ns


def _check_fresh(
    stamps: Mapping[Path, tuple[int, int] | None],
    names: Mapping[Path, str],
    max_age: float,
    source: str,
) -> None:
    """Stale exports wait: an input modified longer ago than ``max_age`` seconds is likely an
    earlier night's (``pick = "last"`` takes yesterday's file when tonight's is missing)."""
    now = time.time()
    ages = {str(path): now - stamp[1] / 1e9 for path, stamp in stamps.items() if stamp}
    old = guards.stale(ages, max_age)
    if old:
        listed = ", ".join(f"{path} ({guards.shown_age(age)} old)" for path, age in old)
        raise InputChangedError(
            f"{listed}: older than max_age {guards.shown_age(max_age)} ({source}); it may be an "
            "earlier night's export. Nothing was written; try again once tonight's export is "
            "in (or give --max-age off to run on it anyway)"
        )


def _check_ready(ready_file: Path, inputs: Mapping[Path, tuple[int, int] | None]) -> None:
    """The export is complete only when its ready file is at least as new as every input."""
    stamp = _stamp(ready_file)
    if stamp is None:
        raise InputChangedError(
            f"the ready file {ready_file} is missing: the exports may still be being written; "
            "nothing was written, try again later"
        )
    newer = sorted(str(path) for path, seen in inputs.items() if seen and seen[1] > stamp[1])
    if newer:
        raise InputChangedError(
            f"the ready file {ready_file} is older than {', '.join(newer)}: it was left by an "
            "earlier export; nothing was written, try again when the export marks it ready"
        )


class _Unique(Protocol):
    @property
    def unique(self) -> bool: ...


Facts = TypeVar("Facts", bound=_Unique)


def _keyed(
    tables: Mapping[str, csvio.CsvTable],
    file: InputFile,
    column: str,
    find: Callable[[pl.Series], Facts | None],
) -> tuple[Facts | None, bool | None]:
    """What ``find`` learns of ``file``'s key ``column`` for the sort, and whether the key
    is unique: from what ``find`` learnt, else from hashes (None: no such column)."""
    from reconcile import schemas  # imported by now (see load)

    table = tables.get(file.name)
    if table is None or column not in table.frame.columns:
        return None, None
    ids = table.frame.get_column(column)
    facts = find(ids)
    return facts, facts.unique if facts is not None else schemas.hashes_unique(ids)


def _link(tables: Mapping[str, csvio.CsvTable]) -> rules.BatchLinks | None:
    """Each batch line's batch, when both files were read with their batch_id columns."""
    batches, items = tables.get(BATCHES.name), tables.get(BATCH_ITEMS.name)
    if batches is None or items is None:
        return None
    if "batch_id" not in batches.frame.columns or "batch_id" not in items.frame.columns:
        return None
    return rules.link_batches(batches.frame, items.frame)


def move_rows(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """``frame``'s rows at the positions ``rows``, moved rather than copied (see
    ``frames.moved``): at 20M batch lines that halved the sort's and the rules' peak
    memory. ``frame`` is left empty. The columns only carried to the outputs (no rule or
    check reads them) come as Categoricals where their values are long and few
    (``frames.few_values_encoded``): the outputs are written sooner, with the same bytes."""

    # Indexed, not ``gather``ed (see ``rules.take_rows``): 5M batch lines in 0.26 s instead
    # of 0.33 s (CPU 0.44 s instead of 0.55 s).
    return frames.moved(
        frame,
        lambda column: frames.taken(column, rows, as_text=column.name in BATCH_ITEMS.columns),
    )


def sort(loaded: Loaded, timings: Timings) -> rules.SortedInputs:
    """The inputs in their outputs' order (the batch lines' order found, not yet applied)."""
    with timings.stage("sort"):
        return rules.sort_inputs(loaded.inputs, loaded.links, loaded.keys)


def decide(ordered: rules.SortedInputs, policy: Policy, timings: Timings) -> rules.Outputs:
    """Apply the rules and check the outputs against the contract; ``ordered``'s batch lines
    are moved, in order, into the kept ones."""
    with timings.stage("rules"):
        outputs = rules.apply_rules(ordered, policy, take=move_rows)
    from reconcile import schemas

    with timings.stage("validate outputs"):
        schemas.validate_outputs(ordered.inputs, outputs, policy)
    return outputs


@dataclass(frozen=True)
class RunResult:
    summary: dict[str, Any]
    # What went wrong after the new run was published (it is published all the same).
    notes: tuple[str, ...] = ()
    # The cancellations that did not apply, as written (under the export's headers).
    rejected: pl.DataFrame = field(default_factory=pl.DataFrame)
    unmatched: pl.DataFrame = field(default_factory=pl.DataFrame)
    # Each limit in force beside the night's figure.
    figures: list[guards.Figure] = field(default_factory=list)


def not_applied(outputs: rules.Outputs, headers: Headers) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rejected and unmatched cancellations under the export's headers, for people."""
    mapping = headers.of(CANCELLATIONS)
    return (
        headers_module.to_export(outputs.rejected_cancellations, mapping),
        headers_module.to_export(outputs.unmatched_cancellations, mapping),
    )


def run(
    settings: Settings,
    *,
    dry_run: bool = False,
    timings: Timings | None = None,
    after_read: AfterRead | None = None,
    report_file: Path | None = None,
    allow_over_limits: bool = False,
) -> RunResult:
    """The whole job. With ``dry_run`` nothing is written, not even the lock (only the
    ``report_file``, if given). Once the new run is published nothing raises: what fails
    after that is in the result's notes."""
    timings = timings or Timings()
    out = settings.out
    if out is None:
        raise UsageError(
            "no output folder: give --out OUT, or [output] folder in the configuration"
        )
    own = own_paths(settings)
    publish.check_target(out, own, settings.input_folder)
    if report_file is not None:
        store_root = publish.store_for(out).root
        check_report_file(
            report_file,
            [*own, ("the output folder", out), ("the folder of the output's runs", store_root)],
        )
    store = publish.store_for(out)
    guard = nullcontext() if dry_run else publish.locked(store, settings.wait)
    with guard:
        try:
            loaded = load(settings.sources, settings.headers, settings.policy, timings, after_read)
        except InputDataError as error:
            raise explained(error, settings) from None
        files = loaded.files
        ordered = sort(loaded, timings)
        as_written = written_as_read(loaded.as_written, settings.policy)
        del loaded
        outputs = decide(ordered, settings.policy, timings)
        del ordered
        outputs = with_history_hints(outputs, store)
        content = summary.summary(outputs, files, settings)
        rejected, unmatched = not_applied(outputs, settings.headers)
        figures = guards.figures(content, settings.limits)
        if dry_run:
            if report_file is not None:
                write_report(empty_problems(), report_file)
            return RunResult(content, rejected=rejected, unmatched=unmatched, figures=figures)
        over = [figure for figure in figures if figure.over]
        if over and not allow_over_limits:
            raise OverLimitError(
                "the night is over its limits, so nothing was written:\n  "
                + "\n  ".join(figure.line() for figure in over)
                + "\nCheck the inputs (a whole export cancelled? a list pasted with every "
                "order?); if the night is right, run again with --allow-over-limits"
            )
        publish.recover(store)
        with timings.stage("write"):
            publish.shed_cache(store, settings.keep)
            folder = publish.new_run_folder(store)
            try:
                write_outputs(folder, outputs, content, settings.headers, as_written)
                if report_file is not None:  # before the switch: its failure leaves OUT as it was
                    write_report(empty_problems(), report_file)
            except OSError as error:
                publish.discard(folder)
                raise OutputError(f"cannot write the outputs into {out}: {error}") from None
            except BaseException:
                publish.discard(folder)
                raise
        with timings.stage("publish"):
            try:
                published = publish.publish(store, folder, settings.keep)
            except KeyboardInterrupt:
                # OUT shows the new run or the previous one, whatever the moment: the
                # result says which (the exit status must say what OUT shows).
                despite = publish.published_despite_interrupt(store, folder)
                if despite is None:
                    raise
                published = despite
            except BaseException:
                publish.discard(folder)
                raise
    return RunResult(content, published.notes, rejected, unmatched, figures)


def with_history_hints(outputs: rules.Outputs, store: publish.Store) -> rules.Outputs:
    """The outputs with "removed by run NAME" as the hint of each unmatched cancellation
    whose line a kept run of the output folder removed (read only when some is unmatched)."""
    if outputs.unmatched_cancellations.height == 0 or not store.runs.is_dir():
        return outputs
    removals = []
    try:
        with publish.held_runs(store.target) as runs:
            for run in runs:  # newest first
                removed = _removed_lines(run.folder)
                if removed is not None:
                    removals.append(removed.with_columns(run=pl.lit(run.name)))
    except OSError:
        return outputs  # no kept runs to read: the hints stay as the rules made them
    if not removals:
        return outputs
    hinted = rules.with_removal_hints(outputs.unmatched_cancellations, pl.concat(removals))
    return replace(outputs, unmatched_cancellations=hinted)


def _removed_lines(run: Path) -> pl.DataFrame | None:
    """order_id and item_id of the lines a kept run removed, under its own headers (its
    summary records them)."""
    try:
        columns = json.loads((run / contract.SUMMARY).read_bytes())["columns"][BATCH_ITEMS.name]
    except (OSError, ValueError, KeyError, TypeError):
        columns = {}
    wanted = {name: columns.get(name, name) for name in (ORDER_ID, ITEM_ID)}
    return csvio.read_columns(run / contract.REMOVED_ITEMS.name, wanted)


def own_paths(settings: Settings) -> list[tuple[str, Path]]:
    """What a run reads besides the outputs, each with what it is, for the output folder's
    and the report's guards."""
    named: list[tuple[str, Path]] = [
        ("the input file", path) for paths in settings.sources.paths.values() for path in paths
    ]
    if settings.input_folder is not None:
        named.append(("the input folder", settings.input_folder))
    for what, path in (
        ("the configuration file", settings.config_file),
        ("the policy file", settings.policy_file),
        ("the ready file", settings.sources.ready_file),
    ):
        if path is not None:
            named.append((what, path))
    return named


def check_report_file(report_file: Path, own: list[tuple[str, Path]]) -> None:
    """``UsageError`` (exit 2) unless ``--report`` names a file that can be written and is
    none of the run's own paths (an input, the configuration, the output folder...) and lies
    in no run of any output folder (a run's files are its record)."""
    for what, path in own:
        if publish.same_or_inside(report_file, path):
            raise UsageError(
                f"--report {report_file} would overwrite {what} {path}; "
                "give the report a file of its own"
            )
    store = publish.run_store_holding(report_file.parent)
    if store is not None:
        raise UsageError(
            f"--report {report_file} would lie in {store}, where a run's files are kept; "
            "give the report a file of its own"
        )
    problem = csvio.unwritable_file(report_file)
    if problem is not None:
        raise UsageError(f"--report {report_file}: {problem}")


def written_as_read(
    as_written: Mapping[InputFile, frozenset[str]], policy: Policy
) -> dict[InputFile, frozenset[str]]:
    """By input file, the columns whose cells the outputs carrying it write as read
    (``csvio.CsvTable.as_written``): the batch lines' columns as read, and the orders' when
    the rules' one change to them, the cancelled status, needs no quotes either. (Written
    with no quoting to work out, the synth 5M night's 2.5M orders took 0.30-0.36 s against
    0.46-0.49 s, and 0.41-0.50 s of CPU against 0.72 s.)"""
    orders = as_written.get(ORDERS, frozenset())
    if csvio.needs_quotes(policy.cancelled):
        orders = frozenset()  # (as read, the orders hold no quoted cell: nothing to keep)
    return {BATCH_ITEMS: as_written.get(BATCH_ITEMS, frozenset()), ORDERS: orders}


def write_outputs(
    folder: Path,
    outputs: rules.Outputs,
    content: Mapping[str, Any],
    headers: Headers,
    as_written: Mapping[InputFile, frozenset[str]] | None = None,
) -> None:
    """Every output file into ``folder``, its input columns under the export's headers; the
    big ones are written side by side. ``as_written`` names, by input file, the columns
    whose cells the outputs carrying it write as they are, quoted ones still quoted
    (``written_as_read``)."""
    as_written = as_written or {}

    def write_file(file: contract.OutputFile, frame: pl.DataFrame) -> None:
        mapping = headers.of(file.carries) if file.carries else {}
        carried = as_written.get(file.carries, frozenset()) if file.carries else frozenset()
        written = {mapping.get(name, name) for name in carried}
        csvio.write_csv(headers_module.to_export(frame, mapping), folder / file.name, written)

    with ThreadPoolExecutor(max_workers=2) as pool:
        writes = [pool.submit(write_file, file, frame) for file, frame in outputs.by_file().items()]
        writes.append(
            pool.submit(csvio.write_text, summary.summary_json(content), folder / contract.SUMMARY)
        )
        for write in writes:
            write.result()  # re-raises the first failure; the caller discards the folder


@dataclass(frozen=True)
class CheckResult:
    problems: pl.DataFrame
    summary: dict[str, Any] | None
    missing_files: bool
    # When the input is valid: the cancellations a run would not apply (see ``RunResult``).
    rejected: pl.DataFrame = field(default_factory=pl.DataFrame)
    unmatched: pl.DataFrame = field(default_factory=pl.DataFrame)
    # When it is not: the error, with its fixes and advice for the report.
    error: InputDataError | None = None


def check(settings: Settings, report_file: Path | None = None) -> CheckResult:
    """Validate only; when the input is valid, also the summary a run would produce.
    ``report_file`` (written by the caller) is refused first if it could not be written or
    would overwrite an input."""
    if report_file is not None:
        check_report_file(report_file, own_paths(settings))
    timings = Timings()
    try:
        loaded = load(settings.sources, settings.headers, settings.policy, timings)
    except InputDataError as error:
        return CheckResult(
            error.problems, None, error.exit_code == EXIT_NOINPUT, error=explained(error, settings)
        )
    outputs = decide(sort(loaded, timings), settings.policy, timings)
    content = summary.summary(outputs, loaded.files, settings)
    return CheckResult(concat_problems([]), content, False, *not_applied(outputs, settings.headers))


def write_report(problems: pl.DataFrame, path: Path) -> None:
    """The ``--report`` CSV: file,row,column,value,problem for every problem."""
    try:
        csvio.write_csv(summary.report_frame(problems), path)
    except OSError as error:
        raise OutputError(f"cannot write the report {path}: {error.strerror or error}") from None
