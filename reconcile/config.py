"""``reconcile.toml``: path resolution, globs, and precedence over defaults.

The file's schema lives in ``config_file`` (pydantic models), imported only when a
file is given. ``resolve`` combines the command line, the file and the defaults (in
that order of precedence) into one ``Settings``: the input files, the column names,
the policy and values, the output options.

Paths in the file are relative to the file's own folder (cron starts in $HOME),
input patterns to ``[inputs] folder``; paths on the command line are relative to
the working folder.
"""

from __future__ import annotations

import glob
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconcile.contract import (
    BATCH_ITEMS,
    BATCHES,
    CANCELLATIONS,
    INPUTS,
    ORDERS,
    InputFile,
    trim,
)
from reconcile.errors import MissingInputError, UsageError
from reconcile.file_settings import FileSettings
from reconcile.guards import LIMITS, Limit, parse_duration, parse_limit
from reconcile.policy import (
    ARCHIVED,
    CANCELLED,
    Policy,
    load_policy,
    with_actions,
    with_values,
)

if TYPE_CHECKING:
    import polars as pl

ENVIRONMENT_VARIABLE = "RECONCILE_CONFIG"
DEFAULT_KEEP = 3


@dataclass(frozen=True)
class Headers:
    """For each input file (by contract name): contract column -> the export's header,
    for the columns a configuration maps. Unmapped columns keep the contract's names."""

    by_file: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, file: InputFile) -> Mapping[str, str]:
        return self.by_file.get(file.name, {})

    def to_json(self) -> dict[str, dict[str, str]]:
        """Every contract column of every input under the header in force."""
        return {
            file.name: {column: self.of(file).get(column, column) for column in file.columns}
            for file in INPUTS
        }


@dataclass(frozen=True)
class Sources:
    """The input files chosen for a run: one path per file, any number of cancellation files.

    ``picked`` names, for each file ``pick = "last"`` chose among several matches, how many
    matched; ``ready_file`` is the marker that must be newer than every input, if any.
    """

    paths: Mapping[str, tuple[Path, ...]]
    picked: Mapping[str, int] = field(default_factory=dict)
    ready_file: Path | None = None
    # An input modified longer ago than this many seconds is stale (None: no limit), and
    # where that was set, for the message.
    max_age: float | None = None
    max_age_source: str = ""
    # The paths typed on the command line (relative to the working folder), for messages.
    typed: frozenset[Path] = frozenset()

    def of(self, file: InputFile) -> tuple[Path, ...]:
        return self.paths[file.name]


@dataclass(frozen=True)
class Settings:
    sources: Sources
    headers: Headers
    policy: Policy
    out: Path | None
    keep: int
    wait: float
    # What the output folder must never take or lie in (see ``publish.check_target``): the
    # input folder, if one was given or configured, and the files the settings came from.
    input_folder: Path | None = None
    config_file: Path | None = None
    policy_file: Path | None = None
    # The guard rails in force ([limits] and their options).
    limits: tuple[Limit, ...] = ()


@dataclass(frozen=True)
class Options:
    """What the command line gave (None: not given)."""

    input_dir: Path | None = None
    files: Mapping[str, Path | None] = field(default_factory=dict)
    cancellations: Sequence[Path] = ()
    extra_cancellations: Sequence[Path] = ()
    policy_file: Path | None = None
    ready_file: str | None = None
    config_file: Path | None = None
    out: Path | None = None
    keep: int | None = None
    wait: float | None = None
    max_age: str | None = None
    # [limits] key -> the option's value as typed
    limits: Mapping[str, str] = field(default_factory=dict)


def config_path(option: Path | None, environ: Mapping[str, str] = os.environ) -> Path | None:
    """--config wins over RECONCILE_CONFIG; an empty variable counts as unset."""
    if option is not None:
        return option
    named = environ.get(ENVIRONMENT_VARIABLE)
    return Path(named) if named else None


def resolve(options: Options) -> Settings:
    """The command line over the configuration file over the defaults."""
    path = options.config_file
    if path is not None:
        from reconcile.config_file import load_config

        loaded = load_config(path)
    else:
        loaded = FileSettings()
    base = path.parent if path is not None else Path()
    where = f"configuration file {path}"

    if options.policy_file is not None:
        policy = load_policy(options.policy_file)
    elif loaded.actions is not None:
        policy = with_actions(loaded.actions, f"{where}: [actions]")
    else:
        policy = load_policy(None)
    policy = with_values(
        policy, loaded.order_cancelled, loaded.batch_archived, f"{where}: [values]"
    )

    folder = options.input_dir or (_in(base, loaded.folder) if loaded.folder else None)
    if folder is not None and not folder.is_dir():
        raise MissingInputError(f"the input folder {folder} does not exist (or is not a folder)")
    paths: dict[str, tuple[Path, ...]] = {}
    picked: dict[str, int] = {}
    for file in (ORDERS, BATCHES, BATCH_ITEMS):
        given = options.files.get(file.role)
        pattern = loaded.patterns.get(file.role)
        if given is not None:
            paths[file.name] = (given,)
        elif pattern is not None:
            matches = _matches(folder or base, pattern)
            paths[file.name] = (_one_of(file, pattern, matches, loaded.pick, folder or base),)
            if len(matches) > 1:
                picked[file.name] = len(matches)
        elif folder is not None:
            paths[file.name] = (folder / file.name,)
        else:
            raise UsageError(
                f"no input folder given and no {file.option} FILE: give INPUT_DIR or {file.option}"
            )
    paths[CANCELLATIONS.name] = _cancellation_paths(options, loaded, folder or base, folder)

    ready_name = options.ready_file or loaded.ready_file
    ready_file = None
    if ready_name is not None:
        ready_file = (folder or base) / ready_name
    max_age, max_age_source = _max_age(options.max_age, loaded.max_age, f"{where}: [inputs]")

    out_folder = options.out or (_in(base, loaded.out_folder) if loaded.out_folder else None)
    headers = Headers(
        {file.name: loaded.columns[file.role] for file in INPUTS if file.role in loaded.columns}
    )
    return Settings(
        sources=Sources(
            paths,
            picked,
            ready_file,
            max_age,
            max_age_source,
            typed=frozenset(
                [
                    *(path for path in options.files.values() if path is not None),
                    *options.cancellations,
                    *options.extra_cancellations,
                ]
            ),
        ),
        headers=headers,
        policy=policy,
        out=out_folder,
        keep=_first(options.keep, loaded.keep, DEFAULT_KEEP),
        wait=_first(options.wait, loaded.wait, 0.0),
        input_folder=folder,
        config_file=path,
        policy_file=options.policy_file,
        limits=_limits(options.limits, loaded.limits, f"{where}: [limits]"),
    )


def _max_age(option: str | None, configured: str | None, where: str) -> tuple[float | None, str]:
    """--max-age over [inputs] max_age: seconds, and where it was set; ``off`` on the command
    line lifts a configured one."""
    if option is not None:
        if trim(option).lower() == "off":
            return None, ""
        try:
            return parse_duration(option), "--max-age"
        except ValueError as error:
            raise UsageError(f"--max-age: {error}") from None
    if configured is None:
        return None, ""
    try:
        return parse_duration(configured), f"{where} max_age"
    except ValueError as error:
        raise UsageError(f"{where} max_age = {error}") from None


def _limits(
    options: Mapping[str, str], configured: Mapping[str, object], where: str
) -> tuple[Limit, ...]:
    """The limits in force: each option over the same key of [limits]."""
    limits = []
    for kind in LIMITS:
        if kind.key in options:
            value: object = options[kind.key]
            source, label = kind.option, kind.option
        elif kind.key in configured:
            value, source, label = configured[kind.key], f"{where} {kind.key}", where
        else:
            continue
        try:
            limits.append(Limit(kind, parse_limit(kind, value), source))
        except ValueError as error:
            raise UsageError(f"{label}: {error}") from None
    return tuple(limits)


def seconds(value: object) -> float:
    """A number of seconds as given on the command line: finite and at least 0;
    ``ValueError`` saying what is wrong otherwise."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{value!r} is not a number of seconds (a finite number, 0 or more)")
    return number


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)


def _in(base: Path, path: str) -> Path:
    """``path`` as written in the configuration: absolute as it is, else under ``base``."""
    expanded = os.path.expanduser(path)
    return Path(os.path.normpath(expanded if os.path.isabs(expanded) else base / expanded))


def _matches(folder: Path, pattern: str) -> list[Path]:
    """The files ``pattern`` names under ``folder``, sorted by path in code-point order."""
    full = _in(folder, pattern)
    if not glob.has_magic(str(full)):
        return [full]
    return sorted((Path(name) for name in glob.glob(str(full))), key=str)


def _one_of(file: InputFile, pattern: str, matches: list[Path], pick: str, folder: Path) -> Path:
    if len(matches) == 1:
        return matches[0]
    if matches and pick == "last":
        return matches[-1]
    found = ", ".join(str(path) for path in matches) if matches else f"nothing in {folder}"
    hint = ' (set [inputs] pick = "last" to take the one that sorts last)' if matches else ""
    raise MissingInputError(
        f'[inputs] {file.role} = "{pattern}" must match exactly one file; it matched {found}{hint}'
    )


def _cancellation_paths(
    options: Options, loaded: FileSettings, base: Path, folder: Path | None
) -> tuple[Path, ...]:
    """--cancellations (replacing the configured list), else the configured patterns, else
    cancellations.csv in the input folder; then --extra-cancellations."""
    if options.cancellations:
        chosen = list(options.cancellations)
    elif loaded.cancellations is not None:
        chosen = []
        for pattern in loaded.cancellations:
            matches = _matches(base, pattern)
            if not matches:
                raise MissingInputError(
                    f'[inputs] cancellations pattern "{pattern}" matches no file in {base}'
                )
            chosen += matches
    elif folder is not None:
        chosen = [folder / CANCELLATIONS.name]
    else:
        raise UsageError(
            f"no input folder given and no {CANCELLATIONS.option} FILE: "
            f"give INPUT_DIR or {CANCELLATIONS.option}"
        )
    return (*chosen, *options.extra_cancellations)


def display_names(sources: Sources) -> dict[Path, str]:
    """How problems and the summary name each input: its file name, or its path where two
    inputs share a file name."""
    every = [path for paths in sources.paths.values() for path in paths]
    names = [path.name for path in every]
    return {path: path.name if names.count(path.name) == 1 else str(path) for path in every}


# ---- reconcile init -----------------------------------------------------------------

# Words that name each input in export file names, tried in this order (a "job items"
# file is batch lines, not batches). Matched on the name with case, spaces, dots,
# dashes and underscores ignored.
FILE_WORDS: tuple[tuple[InputFile, tuple[str, ...]], ...] = (
    (CANCELLATIONS, ("cancel",)),
    (BATCH_ITEMS, ("batchitem", "batchline", "jobitem", "jobline", "item", "line")),
    (BATCHES, ("batch", "job")),
    (ORDERS, ("order",)),
)


def _normal(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


@dataclass(frozen=True)
class Proposal:
    """What ``init`` found for one input: the file pattern, and each contract column's header
    (None where no header could be placed); ``by_values`` names the columns placed by their
    values rather than their names."""

    file: InputFile
    pattern: str | None
    several: bool
    headers_found: tuple[str, ...]
    columns: Mapping[str, str | None]
    by_values: frozenset[str] = frozenset()
    path: Path | None = None  # the file the headers were read from

    @property
    def shown(self) -> str:
        """The file as messages name it: its pattern (``orders-*.csv``), else its name."""
        return self.pattern or self.file.name


def propose(folder: Path, read_header: Any, read_values: Any = None) -> list[Proposal]:
    """A mapping proposed from the CSV files in ``folder``: from their headers' names, then,
    where ``read_values`` (path -> all-text frame, or None) is given, from their values."""
    proposals = _propose_by_names(folder, read_header)
    if read_values is None:
        return proposals
    frames = {
        proposal.file.name: read_values(proposal.path)
        for proposal in proposals
        if proposal.path is not None
    }
    return place_by_values(proposals, {name: f for name, f in frames.items() if f is not None})


# How much of one column's values must be another's keys for the two to be taken as the
# same ids: the platform's own files agree wholly; a cancellation list names a few unknown
# orders.
EXPORT_SHARE = 0.95
LIST_SHARE = 0.5


def place_by_values(
    proposals: list[Proposal], frames: Mapping[str, pl.DataFrame]
) -> list[Proposal]:
    """``proposals`` with the required columns their names did not place placed by values:
    the digits-only column of batches is ``capacity``; the orders' and batches' keys are the
    unique columns whose values the batch lines' columns hold (which are ``order_id`` and
    ``batch_id`` there); a unique column of the batch lines is ``item_id``; a cancellation
    file's ``order_id`` and ``item_id`` are its columns holding mostly orders' and lines' ids.
    A column is placed only where exactly one fits."""

    placed = {p.file.name: dict(p.columns) for p in proposals}
    by_values: dict[str, set[str]] = {p.file.name: set() for p in proposals}

    def free(name: str) -> list[str]:
        frame = frames.get(name)
        taken = set(placed.get(name, {}).values())
        return (
            [column for column in frame.columns if column not in taken] if frame is not None else []
        )

    def put(name: str, column: str, header: str) -> None:
        placed[name][column] = header
        by_values[name].add(column)

    def values(name: str, header: str) -> pl.Series:
        return frames[name].get_column(header).drop_nulls()

    def share_in(name: str, header: str, keys: pl.Series) -> float:
        found = values(name, header)
        return int(found.is_in(keys.implode()).sum()) / found.len() if found.len() else 0.0

    def unique(name: str) -> list[str]:
        frame = frames[name]
        return [
            header
            for header in free(name)
            if frame.get_column(header).null_count() == 0
            and frame.get_column(header).is_unique().all()
        ]

    def one(candidates: list[str]) -> str | None:
        return candidates[0] if len(candidates) == 1 else None

    orders, batches, items, cancels = (
        f.name for f in (ORDERS, BATCHES, BATCH_ITEMS, CANCELLATIONS)
    )
    if batches in frames and placed[batches].get("capacity") is None:
        digits = [
            header
            for header in free(batches)
            if values(batches, header).len() == frames[batches].height
            and bool(values(batches, header).str.contains(r"^[0-9]+$").all())
        ]
        if (header := one(digits)) is not None:
            put(batches, "capacity", header)
    # A key of orders or batches and the batch lines' column that refers to it.
    for keyed, column in ((orders, "order_id"), (batches, "batch_id")):
        if keyed not in frames or items not in frames:
            continue
        key, refers = placed[keyed].get(column), placed[items].get(column)
        pairs = [
            (candidate, header)
            for candidate in ([key] if key is not None else unique(keyed))
            for header in ([refers] if refers is not None else free(items))
            if share_in(items, header, values(keyed, candidate)) >= EXPORT_SHARE
        ]
        if len(pairs) == 1:
            candidate, header = pairs[0]
            if key is None:
                put(keyed, column, candidate)
            if refers is None:
                put(items, column, header)
    if (
        items in frames
        and placed[items].get("item_id") is None
        and (header := one(unique(items))) is not None
    ):
        put(items, "item_id", header)
    if cancels in frames:
        for column, keyed in (("order_id", orders), ("item_id", items)):
            key = placed.get(keyed, {}).get(column)
            if placed[cancels].get(column) is not None or key is None or keyed not in frames:
                continue
            shares = {h: share_in(cancels, h, values(keyed, key)) for h in free(cancels)}
            best = [h for h, share in shares.items() if share >= LIST_SHARE]
            if (header := one(best)) is not None:
                put(cancels, column, header)
    return [
        replace(
            p,
            columns=placed[p.file.name],
            by_values=frozenset(by_values[p.file.name]),
        )
        for p in proposals
    ]


def _propose_by_names(folder: Path, read_header: Any) -> list[Proposal]:
    """A mapping proposed from the CSV files in ``folder`` and their headers."""
    files = sorted((path for path in folder.glob("*.csv") if path.is_file()), key=str)
    chosen: dict[str, list[Path]] = {file.name: [] for file in INPUTS}
    for path in files:
        normal = _normal(path.stem)
        for file, words in FILE_WORDS:
            if any(word in normal for word in words):
                chosen[file.name].append(path)
                break
    proposals = []
    for file in INPUTS:
        paths = chosen[file.name]
        headers: tuple[str, ...] = read_header(paths[-1]) if paths else ()
        proposals.append(
            Proposal(
                file,
                _pattern(paths, file),
                len(paths) > 1,
                headers,
                {column: _place(column, headers) for column in file.columns},
                path=paths[-1] if paths else None,
            )
        )
    return proposals


def _pattern(paths: list[Path], file: InputFile) -> str | None:
    if not paths:
        return None
    if len(paths) == 1 or file is CANCELLATIONS:
        return paths[0].name
    # dated exports: the runs of digits become one wildcard (orders-2026-11-26.csv -> orders-*.csv)
    return re.sub(r"\*(?:[-_.]*\*)+", "*", re.sub(r"[0-9]+", "*", paths[-1].name))


def _place(column: str, headers: tuple[str, ...]) -> str | None:
    """The header that stands for ``column``: equal ignoring case, spaces, dots and underscores,
    else the one header that ends so (``batch.status`` for status)."""
    wanted = _normal(column)
    exact = [header for header in headers if _normal(header) == wanted]
    if exact:
        return exact[0]
    ending = [header for header in headers if _normal(header).endswith(wanted)]
    return ending[0] if len(ending) == 1 else None


def starter(folder: Path | None, config_file: Path, proposals: list[Proposal]) -> str:
    """The text of a commented starting configuration, with ``propose``'s proposals for
    ``folder`` if given."""
    lines = [
        "# reconcile.toml: the platform's own file and column names, for `reconcile run --config`.",
        "# Paths are relative to this file's folder; input patterns to [inputs] folder.",
        "# Every key is optional; an unknown key is an error (exit 2), never ignored.",
        "",
        "[inputs]",
    ]
    if folder is not None:
        relative = os.path.relpath(folder.resolve(), config_file.resolve().parent)
        lines.append(f'folder = "{relative}"')
    else:
        lines.append('# folder = "exports/tonight"                # INPUT_DIR')
    several = False
    for proposal in proposals:
        role = proposal.file.role
        if proposal.file is CANCELLATIONS:
            continue
        if proposal.pattern is None:
            lines.append(f'# {role} = "{proposal.file.name}"   # no file found for it')
        elif proposal.pattern != proposal.file.name:
            lines.append(f'{role} = "{proposal.pattern}"')
        several = several or proposal.several
    cancellation = next((p for p in proposals if p.file is CANCELLATIONS), None)
    if cancellation is not None and cancellation.pattern not in (None, CANCELLATIONS.name):
        lines.append(f'cancellations = ["{cancellation.pattern}"]')
    else:
        lines.append(f'# cancellations = ["{CANCELLATIONS.name}", "bulk/*.csv"]   # one or several')
    lines.append(
        'pick = "last"'
        if several
        else '# pick = "last"   # of several matches, the one that sorts last'
    )
    lines += [
        '# ready_file = "_READY"   # run only once the export has written this marker',
        '# max_age = "20h"         # an input older than this is an earlier night\'s: exit 75',
        "",
        "[output]",
        'folder = "out"',
        "# keep = 3      # previous runs kept beside it",
        "# wait = 600    # seconds to wait for another run's lock",
        "",
        "# [actions]     # the policy: batch status -> refill, regenerate or hold",
        '# "Pending Production" = "regenerate"',
        "",
    ]
    for file in INPUTS:
        of_file = next((p for p in proposals if p.file is file), None)
        lines.append(f"[columns.{file.role}]   # contract column = the export's header")
        for column in file.columns:
            header = of_file.columns.get(column) if of_file else None
            if of_file is None or not of_file.headers_found:
                lines.append(f'# {column} = "{column}"')
            elif header is None:
                found = ", ".join(f'"{name}"' for name in of_file.headers_found)
                optional = " (optional)" if column in file.optional else ""
                lines.append(f'# {column} = ""   # not placed{optional}: the headers are {found}')
            elif header == column:
                lines.append(f'# {column} = "{column}"   # found under the contract name')
            elif column in of_file.by_values:
                lines.append(f'{column} = "{header}"   # placed by its values: check it')
            else:
                lines.append(f'{column} = "{header}"')
        lines.append("")
    lines += [
        "# Guard rails: a night over any limit writes nothing and exits 65, naming it;",
        "# --allow-over-limits publishes it once checked. Half of the lines or orders gone, or",
        "# half of the cancellations rejected, is never a normal night (even a small factory's",
        "# heavy one stays far below), while a whole export cancelled, a list pasted with every",
        "# order or yesterday's ids are near 100%. Counts depend on the factory's size: set",
        "# them from what `reconcile runs` shows of your nights.",
        "[limits]",
        'max_removed_share = "50%"            # of the batch lines',
        'max_cancelled_orders_share = "50%"   # of the orders',
        'max_rejected_share = "50%"           # of the distinct cancellations',
        "# max_removed_lines = 5000",
        "# max_cancelled_orders = 1000",
        "",
        "[values]",
        f'# order_cancelled = "{CANCELLED}"   # the status a whole-order cancellation writes',
        f'# batch_archived = "{ARCHIVED}"     # the status of a batch a run empties',
        "",
    ]
    return "\n".join(lines)


def unplaced(proposals: list[Proposal]) -> list[str]:
    """``file: column`` for every required column ``init`` could not place."""
    return [
        f"{proposal.shown}: {column}"
        for proposal in proposals
        for column, header in proposal.columns.items()
        if header is None and column in proposal.file.required
    ]


def placed_by_values(proposals: list[Proposal]) -> list[str]:
    """``file: column = "header"`` for every column placed by its values, to be checked."""
    return [
        f'{proposal.shown}: {column} = "{proposal.columns[column]}"'
        for proposal in proposals
        for column in sorted(proposal.by_values, key=proposal.file.columns.index)
    ]
