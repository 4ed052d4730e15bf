"""The job's stages, in order: read, validate inputs, sort, rules, validate outputs, write, publish.

Each stage is one call; this module only sequences them, times them and decides
what is written where. ``run`` and ``check`` share ``load`` (read + validate).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from reconcile import contract, csvio, publish, report, rules, schemas
from reconcile.contract import BATCH_ITEMS, BATCHES, CANCELLATIONS, INPUTS, ORDERS
from reconcile.errors import EXIT_NOINPUT, InputDataError, OutputError, UsageError
from reconcile.policy import Policy
from reconcile.problems import concat_problems


def input_paths(input_dir: Path | None, files: Mapping[str, Path | None]) -> dict[str, Path]:
    """File name -> path: each given file option (by role), else that file in ``input_dir``."""
    paths: dict[str, Path] = {}
    for file in INPUTS:
        given = files.get(file.role)
        if given is not None:
            paths[file.name] = given
        elif input_dir is not None:
            paths[file.name] = input_dir / file.name
        else:
            raise UsageError(
                f"no input folder given and no {file.option} FILE: give INPUT_DIR or {file.option}"
            )
    return paths


@dataclass
class Timings:
    """Wall time per stage, in the order the stages ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@dataclass(frozen=True)
class Loaded:
    inputs: rules.Inputs
    digests: dict[str, str]
    links: rules.BatchLinks | None


def load(paths: Mapping[str, Path], policy: Policy, timings: Timings) -> Loaded:
    """Read and validate the four inputs; raise ``InputDataError`` with every problem found."""
    # Polars parses without the GIL: reading the files side by side uses both cores.
    with timings.stage("read"), ThreadPoolExecutor(max_workers=len(paths)) as pool:
        read = pool.map(lambda item: csvio.read_csv_table(item[1], item[0]), paths.items())
        results = dict(zip(paths, read, strict=True))
    # Beside the per-file checks, two cross-file ones: all mostly Polars, without the GIL.
    with timings.stage("validate inputs"), ThreadPoolExecutor(max_workers=2) as pool:
        tables = {
            name: result.table for name, result in results.items() if result.table is not None
        }
        linking = pool.submit(_link, tables)
        orphan_orders = pool.submit(schemas.unknown_order_problems, tables)
        within_files = schemas.validate_files(tables, policy)
        links = linking.result()
        line_batch = links.line_batch if links is not None else None
        problems = concat_problems(
            [result.problems for result in results.values()]
            + [
                within_files,
                schemas.unknown_batch_problems(tables, line_batch),
                orphan_orders.result(),
            ]
        )
    if problems.height:
        missing = any(result.missing for result in results.values())
        raise InputDataError(problems, missing_files=missing)
    frames = {name: table.frame for name, table in tables.items()}
    inputs = rules.Inputs(
        orders=frames[ORDERS.name],
        batches=frames[BATCHES.name],
        batch_items=frames[BATCH_ITEMS.name],
        cancellations=frames[CANCELLATIONS.name],
    )
    return Loaded(inputs, {name: tables[name].digest for name in paths}, links)


def _link(tables: Mapping[str, csvio.CsvTable]) -> rules.BatchLinks | None:
    """Each batch line's batch, when both files were read with their batch_id columns."""
    batches, items = tables.get(BATCHES.name), tables.get(BATCH_ITEMS.name)
    if batches is None or items is None:
        return None
    if "batch_id" not in batches.frame.columns or "batch_id" not in items.frame.columns:
        return None
    return rules.link_batches(batches.frame, items.frame)


def sort(loaded: Loaded, timings: Timings) -> rules.SortedInputs:
    """The inputs in their outputs' order (the caller drops ``loaded``: a copy less in memory)."""
    with timings.stage("sort"):
        return rules.sort_inputs(loaded.inputs, loaded.links)


def decide(ordered: rules.SortedInputs, policy: Policy, timings: Timings) -> rules.Outputs:
    """Apply the rules and check the outputs against the contract."""
    with timings.stage("rules"):
        outputs = rules.apply_rules(ordered, policy)
    with timings.stage("validate outputs"):
        schemas.validate_outputs(ordered.inputs, outputs, policy)
    return outputs


@dataclass(frozen=True)
class RunResult:
    summary: dict[str, Any]


def run(
    paths: Mapping[str, Path],
    policy: Policy,
    out: Path,
    *,
    dry_run: bool = False,
    keep: int = publish.DEFAULT_KEEP,
    wait_seconds: float = 0.0,
    timings: Timings | None = None,
) -> RunResult:
    """The whole job. With ``dry_run`` nothing is written, not even the lock."""
    timings = timings or Timings()
    store = publish.store_for(out)
    guard = nullcontext() if dry_run else publish.locked(store, wait_seconds)
    with guard:
        loaded = load(paths, policy, timings)
        digests = loaded.digests
        ordered = sort(loaded, timings)
        del loaded
        outputs = decide(ordered, policy, timings)
        del ordered
        content = report.summary(outputs, digests, policy)
        if dry_run:
            return RunResult(content)
        publish.recover(store)
        with timings.stage("write"):
            folder = publish.new_run_folder(store)
            try:
                write_outputs(folder, outputs, content)
            except OSError as error:
                publish.discard(folder)
                raise OutputError(f"cannot write the outputs into {out}: {error}") from None
            except BaseException:
                publish.discard(folder)
                raise
        with timings.stage("publish"):
            try:
                publish.publish(store, folder, keep)
            except BaseException:
                publish.discard(folder)
                raise
    return RunResult(content)


def write_outputs(folder: Path, outputs: rules.Outputs, content: Mapping[str, Any]) -> None:
    """Every output file into ``folder``; the big ones are written side by side."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        writes = [
            pool.submit(csvio.write_csv, frame, folder / name)
            for name, frame in outputs.files().items()
        ]
        writes.append(
            pool.submit(csvio.write_text, report.summary_json(content), folder / contract.SUMMARY)
        )
        for write in writes:
            write.result()  # re-raises the first failure; the caller discards the folder


@dataclass(frozen=True)
class CheckResult:
    problems: pl.DataFrame
    summary: dict[str, Any] | None
    missing_files: bool


def check(paths: Mapping[str, Path], policy: Policy) -> CheckResult:
    """Validate only; when the input is valid, also the summary a run would produce."""
    timings = Timings()
    try:
        loaded = load(paths, policy, timings)
    except InputDataError as error:
        return CheckResult(error.problems, None, error.exit_code == EXIT_NOINPUT)
    outputs = decide(sort(loaded, timings), policy, timings)
    return CheckResult(concat_problems([]), report.summary(outputs, loaded.digests, policy), False)


def write_report(problems: pl.DataFrame, path: Path) -> None:
    """The ``--report`` CSV: file,row,column,value,problem for every problem."""
    try:
        csvio.write_csv(report.report_frame(problems), path)
    except OSError as error:
        raise OutputError(f"cannot write the report {path}: {error.strerror or error}") from None
