"""Keyed comparison of two output folders: which rows were added, removed or changed.

Rows are matched by each file's contract key (``batch_id`` + ``item_id`` for the
line files, ``batch_id`` for batch files, ``order_id`` for orders, the whole row
for rejected and unmatched cancellations), under each side's own headers as its
summary records them; ``summary.json`` is compared entry by entry, its entries
about the inputs (names, digests) apart, as they never make a difference by
themselves. Only columns present on both sides are compared value by value; a
column on one side only is reported once for the file. ``runs`` finds the runs to
compare and which of their files hold the same bytes.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import reduce
from pathlib import Path
from typing import Any

import polars as pl

from reconcile import csvio
from reconcile.contract import CSV_OUTPUTS, SUMMARY
from reconcile.errors import DiffError
from reconcile.lookup import HASH
from reconcile.runs import Identical, identical_beside

# Each output's key (empty: the whole row); summary.json is compared entry by entry.
KEYS: Mapping[str, tuple[str, ...]] = {
    **{file.name: file.key for file in CSV_OUTPUTS},
    SUMMARY: ("entry",),
}
OCCURRENCE = "__occurrence"
# The summary's entries naming the inputs read (file names, digests, what pick chose):
# shown apart, and never a difference by themselves (the same rows re-exported with
# CRLF and a BOM have other digests).
INPUTS_SECTION = "inputs"
INPUT_ENTRIES = ("inputs.", "picked.")


@dataclass(frozen=True)
class FileDiff:
    name: str
    key: tuple[str, ...]
    only_in: str | None = None  # "old" or "new" when the file exists on one side only
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    added: pl.DataFrame = field(default_factory=pl.DataFrame)
    removed: pl.DataFrame = field(default_factory=pl.DataFrame)
    changes: pl.DataFrame = field(default_factory=pl.DataFrame)  # key..., column, old, new
    changed_rows: int = 0

    @property
    def identical(self) -> bool:
        return (
            self.only_in is None
            and not self.columns_added
            and not self.columns_removed
            and self.added.height == 0
            and self.removed.height == 0
            and self.changed_rows == 0
        )


def compare_folders(
    old: Path, new: Path, only: str | None = None, identical: Identical | None = None
) -> list[FileDiff]:
    """Compare every output file of ``old`` and ``new`` (or just ``only``); ``identical`` is
    ``runs.identical_beside``'s finding of which hold the same bytes, when it was started
    beside the caller's other work (else it is started here)."""
    for folder in (old, new):
        if not folder.is_dir():
            raise DiffError(f"{folder}: no such folder")
    if only and only not in KEYS:
        raise DiffError(f"--file {only}: not an output file; one of {', '.join(KEYS)}")
    names = [only] if only else list(KEYS)
    if identical is None:
        with identical_beside(old, new, only) as found:
            return compare_folders(old, new, only, found)
    headers = _headers_of(old), _headers_of(new)
    # The files the byte comparison does not look at, and summary.json (which it compares
    # first), are compared while it goes through the large ones.
    first = sorted(names, key=lambda name: name in identical and name != SUMMARY)
    diffs = {name: _compare_file(old, new, name, identical.get(name), headers) for name in first}
    return [diff for name in names for diff in diffs[name]]


def _compare_file(
    old: Path,
    new: Path,
    name: str,
    same: Future[bool] | None,
    headers: tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]],
) -> list[FileDiff]:
    """One output file's differences (summary.json's entries about the inputs apart)."""
    old_path, new_path = old / name, new / name
    if not old_path.exists() and not new_path.exists():
        return []
    if not old_path.exists() or not new_path.exists():
        return [FileDiff(name, KEYS[name], only_in="new" if new_path.exists() else "old")]
    if same is not None and same.result():
        # The same bytes hold the same rows: a file a re-run left as it was (often all
        # but summary.json) is not parsed at all.
        if name == SUMMARY:
            return [FileDiff(name, KEYS[name]), FileDiff(INPUTS_SECTION, KEYS[name])]
        return [FileDiff(name, KEYS[name])]
    carried = CARRIED.get(name)
    mappings = [side.get(carried, {}) if carried else {} for side in headers]
    paths = old_path, new_path
    # the two sides are read and parsed side by side: Polars parses without the GIL
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = None
        if name != SUMMARY and mappings[0] == mappings[1]:
            differing = _differing_lines(paths, pool)
            if differing is not None:
                loaded = _load_both(pool, paths, differing, name)
            del differing
        if loaded is None:
            # (a file whose lines cannot be read on their own is parsed whole, which also
            # names the row of any problem)
            whole = tuple(pool.map(_read_bytes, paths))
            loaded = _load_both(pool, paths, (whole[0], whole[1]), name, True)
            del whole
    assert loaded is not None
    (old_frame, old_encoded), (new_frame, new_encoded) = loaded
    if name == SUMMARY:
        about_inputs = pl.col("entry").str.starts_with(INPUT_ENTRIES[0]) | pl.col(
            "entry"
        ).str.starts_with(INPUT_ENTRIES[1])
        inputs = compare_tables(
            name, old_frame.filter(about_inputs), new_frame.filter(about_inputs)
        )
        return [
            compare_tables(name, old_frame.filter(~about_inputs), new_frame.filter(~about_inputs)),
            replace(inputs, name=INPUTS_SECTION),
        ]
    # Rows pair by the contract's keys under each side's own headers (each run's summary
    # says which); the result is shown under the new side's headers.
    old_names, new_names = (_inverse(mapping) for mapping in mappings)
    old_frame, new_frame = _renamed(old_frame, old_names), _renamed(new_frame, new_names)
    old_encoded = frozenset(old_names.get(column, column) for column in old_encoded)
    new_encoded = frozenset(new_names.get(column, column) for column in new_encoded)
    # A column whose cells stay as written on both sides is compared as written (the
    # minimal quoting of a value is one text, so equal texts are equal values), and only
    # the cells shown are decoded; one decoded on a side only is decoded on the other.
    old_frame = csvio.decoded(old_frame, old_encoded - new_encoded)
    new_frame = csvio.decoded(new_frame, new_encoded - old_encoded)
    compared = _decoded_diff(compare_tables(name, old_frame, new_frame), old_encoded & new_encoded)
    return [_in_headers(compared, mappings[1])]


def _decoded_diff(diff: FileDiff, encoded: frozenset[str]) -> FileDiff:
    """``diff`` with the cells of ``encoded`` columns, compared as written, made values."""
    if not encoded:
        return diff
    changes = diff.changes
    if changes.height:
        key = [column for column in diff.key if column in encoded]
        in_encoded = pl.col("column").is_in(list(encoded))
        changes = changes.with_columns(
            *(csvio.unquoted(pl.col(column)) for column in key),
            *(
                pl.when(in_encoded).then(csvio.unquoted(pl.col(side))).otherwise(pl.col(side))
                for side in ("old", "new")
            ),
        )
    return replace(
        diff,
        added=csvio.decoded(diff.added, encoded & set(diff.added.columns)),
        removed=csvio.decoded(diff.removed, encoded & set(diff.removed.columns)),
        changes=changes,
    )


# output file -> the input file whose columns (and headers) it carries
CARRIED: Mapping[str, str] = {
    file.name: file.carries.name for file in CSV_OUTPUTS if file.carries is not None
}


def _headers_of(folder: Path) -> dict[str, dict[str, str]]:
    """Input file -> contract column -> header, as the run's summary records them; a summary
    without them (an older run, or none) means the contract's names."""
    try:
        content = json.loads((folder / SUMMARY).read_bytes())
    except (OSError, ValueError):
        return {}
    columns = content.get("columns") if isinstance(content, dict) else None
    if not isinstance(columns, dict):
        return {}
    return {
        file: {str(column): str(header) for column, header in mapping.items()}
        for file, mapping in columns.items()
        if isinstance(mapping, dict)
    }


def _inverse(mapping: Mapping[str, str]) -> dict[str, str]:
    return {header: column for column, header in mapping.items()}


def _renamed(frame: pl.DataFrame, names: Mapping[str, str]) -> pl.DataFrame:
    renames = {old: new for old, new in names.items() if old in frame.columns and old != new}
    return frame.rename(renames) if renames else frame


def _in_headers(diff: FileDiff, headers: Mapping[str, str]) -> FileDiff:
    """``diff`` with contract column names spelled as ``headers`` (contract -> header) say."""
    if all(column == header for column, header in headers.items()):
        return diff
    spelled = {column: headers.get(column, column) for column in diff.changes.columns}
    changes = _renamed(diff.changes, spelled)
    if "column" in changes.columns and changes.height:
        changes = changes.with_columns(
            pl.col("column").replace_strict(dict(headers), default=pl.col("column"))
        )
    return replace(
        diff,
        key=tuple(headers.get(column, column) for column in diff.key),
        columns_added=tuple(headers.get(column, column) for column in diff.columns_added),
        columns_removed=tuple(headers.get(column, column) for column in diff.columns_removed),
        added=_renamed(diff.added, headers),
        removed=_renamed(diff.removed, headers),
        changes=changes,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DiffError.unreadable(path, error) from None


# One side of a file as parsed: its rows, and the columns whose cells are as written.
ParsedSide = tuple[pl.DataFrame, frozenset[str]]


def _load_both(
    pool: ThreadPoolExecutor,
    paths: tuple[Path, Path],
    data: tuple[bytes, bytes],
    name: str,
    whole: bool = False,
) -> tuple[ParsedSide, ParsedSide] | None:
    """Both sides' ``_load``, side by side; None when either cannot be read and ``data`` is
    not the ``whole`` files (which then name the problem)."""
    old, new = pool.map(_load, paths, data, (name, name), (whole, whole))
    return None if old is None or new is None else (old, new)


def _load(path: Path, data: bytes, name: str, whole: bool = True) -> ParsedSide | None:
    """The file's rows, and the columns whose cells are as written (quoted cells still
    quoted: ``csvio.CsvTable.as_written``), left so when they are (decoding 1.5M quoted
    descriptions of a 5M night took a third of its read). A file that cannot be read is a
    ``DiffError`` naming its first problem when ``data`` is the ``whole`` file, else None."""
    if name == SUMMARY:
        return _summary_entries(path, data), frozenset()
    result = csvio.read_csv_bytes(
        data, str(path), digest=False, keep_encoded=csvio.every_column, one_chunk=False
    )
    if result.table is None:
        if not whole:
            return None
        first = result.problems.row(0, named=True)
        where = f" row {first['row']}" if first["row"] is not None else ""
        raise DiffError(f"cannot read {path}{where}: {first['problem']}")
    return result.table.frame, result.table.as_written


LINE = "line"
# A line that is whole records' worth of fields, read as the contract reads them: each field
# one whole quoted field (nothing but a separator after its closing quote) or one that does
# not start with a quote (a quote anywhere else is an ordinary character). A line that ends
# inside a quoted field, or holds a field with text after its closing quote, does not match.
WHOLE_RECORD = r'^(?:"(?:[^"]|"")*"|[^",][^,]*|)(?:,(?:"(?:[^"]|"")*"|[^",][^,]*|))*$'
# Below this share of lines paired, the whole files are parsed (cutting them saves little).
FEWEST_PAIRED = 0.5


def _differing_lines(
    paths: tuple[Path, Path], pool: ThreadPoolExecutor
) -> tuple[bytes, bytes] | None:
    """Each file cut down to its header and the lines the other file lacks, when each of
    their lines is one whole record and their headers are the same bytes; else None.

    A line both files hold is then a row both hold: the same key and the same values,
    nothing to show. Rows therefore pair by their bytes first, and only the rest are parsed
    and paired by key: two 5M-line batch-line files 25,000 lines apart compared in
    1.15-1.19 s, against 2.24-2.27 s parsed whole. Where keys are unique on each side (every
    file the job writes) that is the pairing by key itself; where a hand-edited file
    repeats a key, rows the same byte for byte pair with each other before the others pair
    by occurrence. Polars reads the lines from the files itself: no copy of their bytes is
    made (at 20M lines, fresh memory for two 1 GB copies cost more than the rest).
    """
    old_header, new_header = pool.map(_first_line, paths)
    if old_header != new_header or not old_header.strip(csvio.BOM + b"\r\n"):
        return None  # (an empty first line: the header is a later one)
    # The old file's lines are all proven whole records; the new file's only where the old
    # file lacks them (the others are the old file's bytes).
    old_lines, new_lines = pool.map(_lines, paths, (True, False))
    if old_lines is None or new_lines is None:
        return None
    unpaired = _unpaired_lines(old_lines, new_lines, pool)
    if unpaired is None:
        return None  # a line more often on one side than on the other, or a hash collision
    only_old, only_new = unpaired
    if old_lines.height - only_old.len() < FEWEST_PAIRED * max(old_lines.height, new_lines.height):
        return None
    cut = [
        lines.select(pl.col(LINE).gather(rows))
        for lines, rows in ((old_lines, only_old), (new_lines, only_new))
    ]
    # Polars' lines lack the carriage return of a CRLF line end: a line that still ends in one
    # had two, which the cut file would read as one.
    if any(lines.select(pl.col(LINE).str.ends_with("\r").any()).item() for lines in cut):
        return None
    if not _whole_records(cut[1]):
        return None
    return _cut(old_header, cut[0]), _cut(old_header, cut[1])


def _first_line(path: Path) -> bytes:
    """The file's first line, with its line end."""
    try:
        with open(path, "rb") as file:
            return file.readline()
    except OSError as error:
        raise DiffError.unreadable(path, error) from None


def _lines(path: Path, proven: bool) -> pl.DataFrame | None:
    """The non-empty lines of the file after its header, with their hashes, when ``proven``
    only if every line (the header's too) is whole records; else None (also when the file
    cannot be read: reading it whole then says why)."""
    try:
        lines = pl.read_lines(path, name=LINE, glob=False)
    except (OSError, pl.exceptions.PolarsError):
        return None
    if proven and not _whole_records(lines):
        return None
    return lines.slice(1).filter(pl.col(LINE) != "").with_columns(pl.col(LINE).hash().alias(HASH))


def _whole_records(lines: pl.DataFrame) -> bool:
    """Whether every line of ``lines`` is whole records (only one that starts a quoted field
    may not be)."""
    text = pl.col(LINE)
    starts_a_quoted_field = text.str.starts_with('"') | text.str.contains(',"', literal=True)
    return bool(
        lines.lazy()
        .filter(starts_a_quoted_field)
        .select(text.str.contains(WHOLE_RECORD).all())
        .collect()
        .item()
    )


def _unpaired_lines(
    old: pl.DataFrame, new: pl.DataFrame, pool: ThreadPoolExecutor
) -> tuple[pl.Series, pl.Series] | None:
    """The rows of the lines each side lacks, pairing every other line with the same line on
    the other side; None when that cannot be done one to one (a line more often on one side
    than on the other, or a hash collision).

    Files in the same order (both sorted by their key, as the job writes them) list the
    lines they share in the same order: marking on each side the lines whose hash the other
    holds, two hash lookups side by side, and finding the marked lines equal in turn, proves
    it (0.5 s for 5M lines against 0.7 s for a join). Other files pair by a join."""
    old_hashes, new_hashes = old.get_column(HASH), new.get_column(HASH)
    old_shared, new_shared = pool.map(
        lambda hashes, others: hashes.is_in(others.implode()),
        (old_hashes, new_hashes),
        (new_hashes, old_hashes),
    )
    text = old.get_column(LINE)
    if text.filter(old_shared).equals(new.get_column(LINE).filter(new_shared)):
        return (~old_shared).arg_true(), (~new_shared).arg_true()
    pairs = _pair_rows(old.select(LINE), new.select(LINE), [LINE])
    return None if pairs is None else _unpaired(pairs)


def _cut(header: bytes, lines: pl.DataFrame) -> bytes:
    """A CSV file of ``header`` and ``lines``."""
    if lines.height == 0:
        return header
    kept: str = lines.get_column(LINE).str.join("\n").item()
    return header + kept.encode() + b"\n"


def _summary_entries(path: Path, data: bytes) -> pl.DataFrame:
    try:
        content = json.loads(data.decode("utf-8"))
    except ValueError as error:
        raise DiffError(f"cannot read {path}: {error}") from None
    entries: dict[str, str] = {}

    def flatten(prefix: str, value: Any) -> None:
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, inner in items:
                flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            entries[prefix] = json.dumps(value, ensure_ascii=False)

    flatten("", content)
    return pl.DataFrame(
        {"entry": list(entries), "value": list(entries.values())},
        schema={"entry": pl.String, "value": pl.String},
    )


def compare_tables(name: str, old: pl.DataFrame, new: pl.DataFrame) -> FileDiff:
    """Rows added, removed and changed between two versions of one file."""
    common = [column for column in old.columns if column in new.columns]
    key = list(KEYS.get(name) or common)
    if any(column not in common for column in key):
        key = common  # a key column is missing on one side: fall back to whole rows
    compared = [column for column in common if column not in key]
    if not key:
        return _without_common_columns(name, old, new)
    pairs = _pair_rows(old, new, key)
    if pairs is not None:
        only_old, only_new = _unpaired(pairs)
        added, removed = new[only_new].sort(key), old[only_old].sort(key)
        changes, changed_rows = _changes_of_pairs(old, new, pairs.drop_nulls(), key, compared)
        if changed_rows and _repeated_among(old, changes.select(key).unique(), key):
            pairs = None  # a repeated key's rows, paired by position: its equals pair first
    if pairs is None:
        added, removed, changes, changed_rows = _compare_by_joins(old, new, key, compared)
    return FileDiff(
        name=name,
        key=tuple(key),
        columns_added=tuple(column for column in new.columns if column not in old.columns),
        columns_removed=tuple(column for column in old.columns if column not in new.columns),
        added=added,
        removed=removed,
        changes=changes,
        changed_rows=changed_rows,
    )


def _without_common_columns(name: str, old: pl.DataFrame, new: pl.DataFrame) -> FileDiff:
    """Two versions of a file that share no column: no value to compare or to pair rows by,
    so rows pair by their places, and the rows past the shorter side's are added or
    removed."""
    shared = min(old.height, new.height)
    return FileDiff(
        name=name,
        key=(),
        columns_added=tuple(new.columns),
        columns_removed=tuple(old.columns),
        added=new.slice(shared),
        removed=old.slice(shared),
        changes=pl.DataFrame(schema=dict.fromkeys(("column", "old", "new"), pl.String)),
    )


def _pair_rows(old: pl.DataFrame, new: pl.DataFrame, key: list[str]) -> pl.DataFrame | None:
    """(old_row, new_row) for every key, null on the side that lacks it; exact.

    The same keys in the same order (a re-run that changed values) pair by
    position. Otherwise keys are matched on a 64-bit hash and every matched pair
    is confirmed on the key values: when both sides list the matched rows in the
    same order (files sorted by their key, as the job's outputs are) by comparing
    the two filtered key columns, which reads memory in order, else pair by pair.
    None (the value joins decide) when a key or a hash repeats, or a hash collides.
    """
    if old.height == new.height and old.select(key).equals(new.select(key), null_equal=True):
        rows = pl.int_range(old.height, dtype=pl.UInt32, eager=True)
        return pl.DataFrame({"old_row": rows, "new_row": rows})
    # one seed per column, so that swapped values hash apart
    key_hash = reduce(
        operator.xor, (pl.col(column).hash(seed=seed) for seed, column in enumerate(key))
    ).alias(HASH)
    matched = (
        old.select(key_hash)
        .with_row_index("old_row")
        .join(
            new.select(key_hash).with_row_index("new_row"),
            on=HASH,
            how="inner",
            maintain_order="left",
        )
        .select("old_row", "new_row")
    )
    old_rows, new_rows = matched.get_column("old_row"), matched.get_column("new_row")
    old_matched, new_matched = _mask(old_rows, old.height), _mask(new_rows, new.height)
    if _strictly_ascending(old_rows) and _strictly_ascending(new_rows):
        same_keys = (
            old.select(key)
            .filter(old_matched)
            .equals(new.select(key).filter(new_matched), null_equal=True)
        )
    elif old_rows.n_unique() == matched.height and new_rows.n_unique() == matched.height:
        same_keys = all(
            old.get_column(column)
            .gather(old_rows)
            .eq_missing(new.get_column(column).gather(new_rows))
            .all()
            for column in key
        )
    else:
        return None  # a repeated key or hash: the value joins decide
    if not same_keys:
        return None  # a hash collision: the value joins decide
    no_row = pl.lit(None, pl.UInt32)
    return pl.concat(
        [
            matched,
            (~old_matched).arg_true().alias("old_row").to_frame().with_columns(new_row=no_row),
            (~new_matched)
            .arg_true()
            .alias("new_row")
            .to_frame()
            .select(old_row=no_row, new_row="new_row"),
        ]
    )


def _unpaired(pairs: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Of ``_pair_rows``' pairs, the old rows without a new one and the new rows without an
    old one."""
    return (
        pairs.filter(pl.col("new_row").is_null()).get_column("old_row"),
        pairs.filter(pl.col("old_row").is_null()).get_column("new_row"),
    )


def _repeated_among(frame: pl.DataFrame, keys: pl.DataFrame, key: list[str]) -> bool:
    """Whether a key of ``keys`` (distinct) is on more than one row of ``frame``."""
    held = frame.select(key).join(keys, on=key, how="semi", nulls_equal=True)
    return held.height > keys.height


def _mask(rows: pl.Series, height: int) -> pl.Series:
    """True at ``rows``, False elsewhere."""
    return pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(rows, True)


def _strictly_ascending(rows: pl.Series) -> bool:
    return bool(rows.len() < 2 or (rows.cast(pl.Int64).diff().drop_nulls() > 0).all())


def _changes_of_pairs(
    old: pl.DataFrame, new: pl.DataFrame, matched: pl.DataFrame, key: list[str], compared: list[str]
) -> tuple[pl.DataFrame, int]:
    """The changed values of matched rows, one row per value, sorted by key then column."""
    old_rows, new_rows = matched.get_column("old_row"), matched.get_column("new_row")
    old_column, new_column = _column_taker(old, old_rows), _column_taker(new, new_rows)
    # Column by column, so that only the changed rows' keys are ever taken.
    differs = pl.repeat(False, matched.height, dtype=pl.Boolean, eager=True)
    for column in compared:
        differs = differs | old_column(column).ne_missing(new_column(column))
    changed = differs.arg_true()
    old_changed, new_changed = old_rows.gather(changed), new_rows.gather(changed)
    side_by_side = pl.DataFrame(
        [new.get_column(column).gather(new_changed) for column in key]
        + [old.get_column(column).gather(old_changed) for column in compared]
        + [
            new.get_column(column).gather(new_changed).alias(f"{column}__new")
            for column in compared
        ]
    )
    return _changed_values(side_by_side, key, compared), side_by_side.height


def _column_taker(frame: pl.DataFrame, rows: pl.Series) -> Callable[[str], pl.Series]:
    """A function giving a column of ``frame`` at ``rows`` (distinct rows): the column itself
    when that is every row in order, a filter when ``rows`` ascend (rows paired by position or
    in key order do), else a gather. Filtering reads memory in order; a gather of millions of
    text values does not."""
    if rows.len() == frame.height and rows.is_sorted():
        return frame.get_column
    if rows.is_sorted():
        keep = _mask(rows, frame.height)
        return lambda column: frame.get_column(column).filter(keep)
    return lambda column: frame.get_column(column).gather(rows)


def _compare_by_joins(
    old: pl.DataFrame, new: pl.DataFrame, key: list[str], compared: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """Added, removed, changes and changed rows, by joins on the key values themselves.

    Repeated keys (never in the job's own outputs) are told apart: rows the same in every
    column pair first, then the others of a key the nth with the nth. (So a file's rows
    pair alike whether its lines the same byte for byte were set aside first or not.)
    """
    old, new = _without_equal_rows(old, new, [*key, *compared])
    old_keyed, new_keyed = _occurrence(old, key), _occurrence(new, key)
    join_on = [*key, OCCURRENCE]
    # an empty value (null) is a value like any other here; the left side's order kept, so
    # that rows of a repeated key come out as they are in the file
    added = new_keyed.join(
        old_keyed.select(join_on), on=join_on, how="anti", nulls_equal=True, maintain_order="left"
    ).drop(OCCURRENCE)
    removed = old_keyed.join(
        new_keyed.select(join_on), on=join_on, how="anti", nulls_equal=True, maintain_order="left"
    ).drop(OCCURRENCE)
    both = old_keyed.select(*join_on, *compared).join(
        new_keyed.select(*join_on, *compared),
        on=join_on,
        how="inner",
        suffix="__new",
        nulls_equal=True,
        maintain_order="left",
    )
    differs = [pl.col(column).ne_missing(pl.col(f"{column}__new")) for column in compared]
    changed = both.filter(pl.any_horizontal(differs)) if differs else both.clear()
    return (
        added.sort(key, maintain_order=True),
        removed.sort(key, maintain_order=True),
        _changed_values(changed, key, compared),
        changed.height,
    )


def _without_equal_rows(
    old: pl.DataFrame, new: pl.DataFrame, columns: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``old`` and ``new`` without the rows the other side holds too (the same in every one
    of ``columns``): as many of each as both sides hold."""
    old_counted, new_counted = _occurrence(old, columns), _occurrence(new, columns)
    on = [*columns, OCCURRENCE]

    def lacking(frame: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
        return frame.join(
            other.select(on), on=on, how="anti", nulls_equal=True, maintain_order="left"
        ).drop(OCCURRENCE)

    return lacking(old_counted, new_counted), lacking(new_counted, old_counted)


def _occurrence(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """``frame`` with each row's occurrence number among the rows of its key."""
    return frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(key).alias(OCCURRENCE))


def _changed_values(changed: pl.DataFrame, key: list[str], compared: list[str]) -> pl.DataFrame:
    """One row per changed value: the key, the column, old and new, in column order."""
    empty = pl.DataFrame(
        schema={
            **dict.fromkeys(key, pl.String),
            "column": pl.String,
            "old": pl.String,
            "new": pl.String,
        }
    )
    per_column = [
        changed.filter(pl.col(column).ne_missing(pl.col(f"{column}__new"))).select(
            *key, column=pl.lit(column), old=pl.col(column), new=pl.col(f"{column}__new")
        )
        for column in compared
    ]
    # concat keeps the column order within each key after a stable sort on the key
    return pl.concat([empty, *per_column]).sort(key, maintain_order=True)


def any_difference(diffs: list[FileDiff]) -> bool:
    """Whether the outputs differ: the inputs' names and digests alone never count."""
    return any(not diff.identical for diff in diffs if diff.name != INPUTS_SECTION)


# ---- reports -----------------------------------------------------------------

SHOWN_ROWS = 20


@dataclass(frozen=True)
class Comparison:
    """Two sides, named (by their run names, or their paths), and what differs between them."""

    old: str
    new: str
    diffs: list[FileDiff]


def _text(value: Any) -> str:
    """A value as shown to a person: an empty value is empty (never ``None``)."""
    return "" if value is None else str(value)


def _key_text(row: Mapping[str, Any], key: tuple[str, ...]) -> str:
    return " / ".join(_text(row[column]) for column in key)


def _row_text(row: Mapping[str, Any]) -> str:
    return ", ".join(f"{column}={_text(value)}" for column, value in row.items())


def _shown(frame: pl.DataFrame, limit: int) -> tuple[pl.DataFrame, int]:
    """The first ``limit`` rows (0: all) and how many were left out."""
    if limit == 0 or frame.height <= limit:
        return frame, 0
    return frame.head(limit), frame.height - limit


def _title(diff: FileDiff) -> str:
    if diff.name == INPUTS_SECTION:
        return "inputs (file names and digests; never a difference by themselves)"
    return diff.name


def text_report(comparison: Comparison, limit: int = SHOWN_ROWS) -> str:
    lines = [f"old: {comparison.old}", f"new: {comparison.new}"]
    for diff in comparison.diffs:
        title = _title(diff)
        if diff.identical:
            lines.append(f"{title}: identical")
            continue
        if diff.only_in:
            lines.append(f"{title}: only in the {diff.only_in} folder")
            continue
        paired_by = f"key: {', '.join(diff.key)}" if diff.key else "no column in common"
        lines.append(
            f"{title}: {diff.added.height} added, {diff.removed.height} removed, "
            f"{diff.changed_rows} changed ({paired_by})"
        )
        if diff.columns_added:
            lines.append(f"  columns only in new: {', '.join(diff.columns_added)}")
        if diff.columns_removed:
            lines.append(f"  columns only in old: {', '.join(diff.columns_removed)}")
        for label, rows, sign in (("added", diff.added, "+"), ("removed", diff.removed, "-")):
            if rows.height:
                shown, left = _shown(rows, limit)
                lines.append(f"  {label}:")
                lines += [f"    {sign} {_row_text(row)}" for row in shown.iter_rows(named=True)]
                if left:
                    lines.append(f"    ... and {left} more (--limit 0 shows all)")
        if diff.changed_rows:
            shown, left = _shown(diff.changes, limit)
            # summary.json has one compared column, "value": naming it says nothing
            named = diff.name not in (SUMMARY, INPUTS_SECTION)
            lines.append("  changed:")
            lines += [
                f"    ~ {_key_text(row, diff.key)}: "
                + (f"{row['column']} " if named else "")
                + f"{_text(row['old'])} -> {_text(row['new'])}"
                for row in shown.iter_rows(named=True)
            ]
            if left:
                lines.append(f"    ... and {left} more changed values (--limit 0 shows all)")
    return "\n".join(lines) + "\n"


def _md_cell(value: Any) -> str:
    return _text(value).replace("|", "\\|").replace("\n", "\\n").replace("\r", "\\r")


def _md_table(frame: pl.DataFrame) -> list[str]:
    header = "| " + " | ".join(_md_cell(name) for name in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_md_cell(value) for value in row) + " |" for row in frame.iter_rows()]
    return [header, rule, *body]


def markdown_report(comparison: Comparison, limit: int = SHOWN_ROWS) -> str:
    lines = [
        f"Comparing old `{comparison.old}` with new `{comparison.new}`.",
        "",
        "| file | added | removed | changed |",
        "|---|---:|---:|---:|",
    ]
    for diff in comparison.diffs:
        name = f"`{diff.name}`" if diff.name != INPUTS_SECTION else "inputs (names and digests)"
        if diff.only_in:
            lines.append(f"| {name} | only in {diff.only_in} | | |")
        else:
            lines.append(
                f"| {name} | {diff.added.height} | {diff.removed.height} | {diff.changed_rows} |"
            )
    for diff in comparison.diffs:
        if diff.identical or diff.only_in:
            continue
        lines += ["", f"### {_title(diff) if diff.name == INPUTS_SECTION else f'`{diff.name}`'}"]
        if diff.columns_added or diff.columns_removed:
            lines += [
                "",
                f"Columns only in new: {', '.join(map(_md_cell, diff.columns_added)) or 'none'}; "
                f"only in old: {', '.join(map(_md_cell, diff.columns_removed)) or 'none'}.",
            ]
        for label, rows in (("Added", diff.added), ("Removed", diff.removed)):
            if rows.height:
                shown, left = _shown(rows, limit)
                lines += ["", f"{label} ({rows.height}):", "", *_md_table(shown)]
                if left:
                    lines.append(f"\n... and {left} more")
        if diff.changed_rows:
            shown, left = _shown(diff.changes, limit)
            lines += ["", f"Changed ({diff.changed_rows} row(s)):", "", *_md_table(shown)]
            if left:
                lines.append(f"\n... and {left} more changed values")
    return "\n".join(lines) + "\n"


def json_report(comparison: Comparison, limit: int = 0) -> str:
    """Everything, for tooling (``limit`` is accepted for a uniform call, and ignored)."""
    diffs = comparison.diffs
    content = {
        "old": comparison.old,
        "new": comparison.new,
        "identical": not any_difference(diffs),
        "files": [
            {
                "file": diff.name,
                "key": list(diff.key),
                "only_in": diff.only_in,
                "columns_added": list(diff.columns_added),
                "columns_removed": list(diff.columns_removed),
                "added": diff.added.to_dicts(),
                "removed": diff.removed.to_dicts(),
                "changed": diff.changes.to_dicts(),
                "counts": {
                    "added": diff.added.height,
                    "removed": diff.removed.height,
                    "changed": diff.changed_rows,
                },
            }
            for diff in diffs
        ],
    }
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
