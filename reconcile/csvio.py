"""Strict, all-text CSV reading and deterministic CSV writing.

Reading follows the contract: UTF-8 with an optional BOM, LF or CRLF, a header
row, empty lines skipped, RFC 4180 quoting read leniently (a quote is special
only at the start of a field). Polars' reader alone does not do that: it pads
short rows silently, keeps empty lines as rows, renames repeated headers and
fails on values like ``12" x 18"``. So its result is used only where the bytes
prove it exact, and exact paths read everything else:

* fast, no quoted field holds a comma or a line break (the usual export, and
  the job's own outputs of such data): Polars with quoting off, kept when every
  line holds exactly as many commas as the header and every field that starts
  with a quote is one whole quoted field, which is then unquoted (or, in columns
  the caller only carries, kept as written when it is already minimally quoted);
* fast, minimally quoted: Polars' RFC 4180 reader, kept when writing its result
  back gives the file's bytes again (its empty strings, from quoted empty fields
  "", are then empty values, as every other path reads them);
* exact, no quoted field: a record is a line, a field what lies between commas
  (Polars splits the lines, vectorized);
* exact, quoted fields: Python's C ``csv`` module in strict mode, whose rules
  are the contract's (quote only at field start, ``""`` inside, nothing but a
  separator after the closing quote, an open quote at the end is an error).

The exact paths are also what report a file's problems, row by row.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal, cast

import polars as pl

from reconcile import regular
from reconcile.contract import trim
from reconcile.frames import moved
from reconcile.problems import empty_problems, problem_rows
from reconcile.regular import NotRegularFileError

BOM = b"\xef\xbb\xbf"
# How much of a line a problem keeps as its value (the report shortens it further).
KEPT_LINE_CHARS = 200

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class CsvTable:
    """One input file, read.

    ``frame`` holds every data row as text (an empty value is null), columns named
    by the trimmed header; ``lines`` is the file line each row starts on, the
    header's line being 1, or None when row ``i`` is simply on line ``i + 2``;
    ``digest`` is the SHA-256 of the file's bytes. ``as_written`` names the columns
    whose cells are exactly their fields in the file, each in the minimal quoting
    ``write_csv`` would give its value; those that are quoted stay quoted (see
    ``keep_encoded`` in ``read_csv_table``), and ``decoded`` makes them values.
    """

    label: str
    frame: pl.DataFrame
    lines: pl.Series | None
    header: tuple[str, ...]
    digest: str
    as_written: frozenset[str] = frozenset()

    def line_of(self, rows: pl.Series) -> pl.Series:
        """The file line of each row number in ``rows`` (for reporting problems)."""
        if self.lines is None:
            return (rows.cast(pl.Int64) + 2).alias("line")
        return self.lines.gather(rows).alias("line")


@dataclass(frozen=True)
class ReadResult:
    table: CsvTable | None
    problems: pl.DataFrame
    missing: bool = False


# Which columns may keep their quoted cells as written, by trimmed header name.
KeepEncoded = Callable[[str], bool]


def no_column(name: str) -> bool:
    """``KeepEncoded`` for callers that read every column."""
    return False


def read_csv_table(
    path: Path, label: str, *, digest: bool = True, keep_encoded: KeepEncoded = no_column
) -> ReadResult:
    """Read ``path`` as the contract's CSV; ``label`` names it in problems.

    ``digest=False`` skips the SHA-256 (the table's ``digest`` is then empty).
    ``keep_encoded`` names columns the caller only carries to its outputs, never
    reads: where every quoted field of such a column is already the minimal quoting
    of its value (the usual export, and the job's own outputs), its cells stay as
    written and are listed in ``as_written``. Decoding them and encoding them again
    when writing is most of the cost of a quoted column (0.7 s of the read and
    0.3 s of the write at 5M lines with a quarter of them quoted).
    """
    try:
        data = regular.read_bytes(path)
    except FileNotFoundError:
        return _missing(label, "missing_file", f"no file at {path}")
    except NotRegularFileError as error:
        return _missing(label, "unreadable_file", str(error))
    except OSError as error:
        return _missing(label, "unreadable_file", f"{path}: {error.strerror}")
    result = _read_csv(data, label, digest, keep_encoded)
    # The bytes go before the frame is copied into one chunk: at tens of millions of
    # rows, memory just given back is far cheaper to take again than fresh memory.
    del data
    return _in_one_chunk(result)


def read_csv_bytes(
    data: bytes,
    label: str,
    *,
    digest: bool = True,
    keep_encoded: KeepEncoded = no_column,
    one_chunk: bool = True,
) -> ReadResult:
    """``read_csv_table`` of a file's bytes already read (the caller holds them);
    ``one_chunk=False`` leaves the frame in the reader's chunks (for a caller that only
    filters and compares, which chunks do not slow)."""
    result = _read_csv(data, label, digest, keep_encoded)
    return _in_one_chunk(result) if one_chunk else result


def every_column(name: str) -> bool:
    """``KeepEncoded`` for callers that compare cells and decode only those they show."""
    return True


def _in_one_chunk(result: ReadResult) -> ReadResult:
    """Polars' reader hands back about a hundred chunks per column at millions of rows;
    gathers, joins and sorts on one chunk are several times faster (a gather in a random
    order, ten times), and rechunking costs a fraction of one of them."""
    if result.table is None:
        return result
    # Column by column, each leaving the chunked frame as it is copied: at most two
    # columns exist twice, not the whole frame (the read's peak memory at 20M lines).
    in_one_chunk = moved(result.table.frame, pl.Series.rechunk)
    table = replace(result.table, frame=in_one_chunk)
    return ReadResult(table, result.problems, result.missing)


def _read_csv(data: bytes, label: str, digest: bool, keep_encoded: KeepEncoded) -> ReadResult:
    # Polars parses and hashlib hashes without the GIL, so the digest and the byte counts
    # (carriage returns; quotes, for columns that may stay as written) are computed while
    # Polars parses; bytes.count holds the GIL, which the parse does not need (at 5M lines
    # that saved 0.3-0.5 s of the read stage, measured against doing them in turn).
    text = data[len(BOM) :] if data.startswith(BOM) else data
    if b"\n" not in text and b"\r" in text.rstrip(b"\r"):
        # Lines ended by CR alone (classic Mac OS) read as one header row of every value.
        return ReadResult(None, problem_rows([{"file": label, "row": 1, "kind": "cr_line_ends"}]))
    with ThreadPoolExecutor(max_workers=2) as executor:
        sha256 = executor.submit(lambda: hashlib.sha256(data).hexdigest() if digest else "")
        counts = executor.submit(_byte_counts, text, keep_encoded is not no_column)
        # Polars refuses bytes that are not UTF-8, so a file read fast is UTF-8;
        # only a file the fast paths refused is checked here, to name the bad bytes.
        result = _read_fast(label, text, counts, keep_encoded)
        if result is None:
            if not text.isascii():
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError as error:
                    return _not_utf8(label, text, error)
            exact = _read_with_csv_module if _has_quoted_field(text) else _read_lines
            result = exact(label, text)
        return _with_digest(result, sha256.result())


def _read_fast(
    label: str, data: bytes, counts: Future[ByteCounts], keep_encoded: KeepEncoded
) -> ReadResult | None:
    """One of the two proven fast paths, the cheaper first: fields split at every comma
    (with whole quoted fields unquoted) serves unless a quoted field holds a comma or
    a line break. ``counts`` are ``data``'s byte counts, being computed."""
    return _read_unquoted(label, data, counts, keep_encoded) or (
        _read_quoted(label, data, counts) if b'"' in data else None
    )


def _with_digest(result: ReadResult, digest: str) -> ReadResult:
    if result.table is None:
        return result
    return ReadResult(replace(result.table, digest=digest), result.problems, result.missing)


def _missing(label: str, kind: str, problem: str) -> ReadResult:
    return ReadResult(
        None, problem_rows([{"file": label, "kind": kind, "problem": problem}]), missing=True
    )


def _not_utf8(label: str, data: bytes, error: UnicodeDecodeError) -> ReadResult:
    line = data.count(b"\n", 0, error.start) + 1
    line_start = data.rfind(b"\n", 0, error.start) + 1
    bad = data[error.start : error.end]
    problem = (
        f"bytes that are not UTF-8: {bad.hex(' ')} at byte {error.start - line_start + 1} "
        "of the line (the first such place in the file)"
    )
    shown = data[line_start : line_start + KEPT_LINE_CHARS].split(b"\n")[0]
    value = shown.decode("utf-8", errors="replace").rstrip("\r")
    return ReadResult(
        None,
        problem_rows(
            [{"file": label, "row": line, "kind": "not_utf8", "value": value, "problem": problem}]
        ),
    )


def _has_quoted_field(data: bytes) -> bool:
    """Whether any field starts with a quote (else every quote is an ordinary character)."""
    return data.startswith(b'"') or b',"' in data or b'\n"' in data


@dataclass(frozen=True)
class ByteCounts:
    carriage_returns: int
    crlf: int
    quotes: int | None  # None: not counted
    line_feeds: int | None  # None: not counted


def _byte_counts(data: bytes, count_quotes: bool = False) -> ByteCounts:
    # find() of one byte is a memchr: most files hold no carriage return, and
    # counting them costs 0.2 s per 250 MB.
    returns = data.count(b"\r") if data.find(b"\r") >= 0 else 0
    any_quote = data.find(b'"') >= 0
    quotes = (data.count(b'"') if any_quote else 0) if count_quotes else None
    # The RFC path needs the file's line count: counted here, while Polars parses (0.1 s
    # per 85 MB, holding the GIL), for a file with a quote whose every column is read.
    # A file with columns that may stay as written (``count_quotes``) is the batch
    # lines', which the split path reads unless a description holds a comma; the RFC
    # path counts its lines itself then.
    line_feeds = data.count(b"\n") if any_quote and not count_quotes else None
    return ByteCounts(returns, data.count(b"\r\n") if returns else 0, quotes, line_feeds)


def _read_unquoted(
    label: str,
    data: bytes,
    counts: Future[ByteCounts] | None = None,
    keep_encoded: KeepEncoded = no_column,
) -> ReadResult | None:
    """The fast path: Polars' reader with quoting off, used only when counts prove it exact.

    When no quoted field holds a comma or a line break, a record is a line and
    fields are split on every comma. Polars pads short rows silently and keeps
    empty lines as rows of nulls, so its result is kept only when every line holds
    exactly as many fields as the header (long rows make it raise; see
    ``_every_line_full``) and every field that starts with a quote is one whole
    quoted field. Anything else returns None, and another path reads the file and
    reports what is wrong. Columns ``keep_encoded`` names may keep their quoted
    fields as written (see ``_decode_quoted_fields``).
    """
    first_line_end = data.find(b"\n")
    header_line = data if first_line_end < 0 else data[:first_line_end]
    separators = header_line.count(b",")
    if not header_line.rstrip(b"\r") or separators == 0 or _has_quoted_field(header_line):
        return None  # a leading empty line, one column, or a quoted header: exact paths
    try:
        frame = pl.read_csv(data, quote_char=None, infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError:
        return None
    count_quotes = keep_encoded is not no_column
    found = counts.result() if counts is not None else _byte_counts(data, count_quotes)
    if found.carriage_returns != found.crlf:
        return None  # Polars drops a carriage return that does not end a line
    # Polars gives a row per line after the header and raises on a line with too
    # many fields, except the last line when no line break ends it: that one is
    # counted here.
    last_line = data[data.rfind(b"\n", 0, len(data) - 1) + 1 :]
    if last_line.count(b",") > separators:
        return None
    if frame.width != separators + 1 or not _every_line_full(frame, data, separators):
        return None
    try:
        header_text = header_line.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the exact path names the bytes
    raw_header = header_text.rstrip("\r").split(",")
    if b'"' not in data:
        return _finish(label, frame, None, raw_header, as_written=frame.columns)
    columns = zip(frame.columns, raw_header, strict=True)
    may_stay = [name for name, raw in columns if keep_encoded(trim(raw))]
    read = _decode_quoted_fields(frame, may_stay, found.quotes)
    if read is None:
        return None  # a quoted field held a comma or a line break: the quote-aware paths read it
    return _finish(label, read[0], None, raw_header, as_written=read[1])


def _every_line_full(frame: pl.DataFrame, data: bytes, separators: int) -> bool:
    """Whether no line of ``data`` (split by Polars into ``frame``) held fewer fields than the
    header; none held more, or Polars would have raised (the caller checks the last line).

    Polars fills a short line's missing fields with empty values, so a last column
    with none (its null count is kept by Polars, free to read) proves it for most
    files. Otherwise the commas are counted: no line holding more than the header's,
    equal totals prove that every line holds exactly as many.
    """
    if frame.get_column(frame.columns[-1]).null_count() == 0:
        return True
    return data.count(b",") == separators * (frame.height + 1)


# A field that is one whole quoted field: the contract's parser, having read it,
# is just past a closing quote, so the next comma or line end closes the field.
WHOLE_QUOTED_FIELD = r'^"(?:[^"]|"")*"$'


def _decode_quoted_fields(
    frame: pl.DataFrame, may_stay: Sequence[str], quotes: int | None
) -> tuple[pl.DataFrame, list[str]] | None:
    """``frame``, split at every comma and line end, read as the contract reads quoted
    fields, and the columns whose cells are as written (``CsvTable.as_written``).

    Where a field starts with a quote the contract reads a quoted field, which may
    hold commas and line breaks; the split is then still right exactly when every
    such field is one whole quoted field (a piece of a longer one ends inside the
    quotes, as a field with text after its closing quote does not match either).
    Those are decoded: outer quotes off, doubled quotes single. None otherwise.
    A quote anywhere else is an ordinary character and stays.

    A column in ``may_stay`` keeps its quoted fields as written when each is the
    minimal quoting of its value, that is when its value holds a quote: four quotes
    or more, the outer two and a doubled one (split at every comma, no value holds
    a comma or a line break). Its cells are then as written if no quote lies outside
    quoted fields anywhere in the file, which counting the file's ``quotes`` (None:
    not counted) against those in quoted fields proves; if one does, they are decoded
    after all.
    """
    decoded_columns: list[pl.Series] = []
    kept: list[tuple[pl.Series, pl.Series]] = []
    quotes_in_quoted_fields = 0
    others = [name for name in frame.columns if name not in may_stay]
    for names in (list(may_stay), others):
        if not names or (quotes is not None and quotes_in_quoted_fields == quotes):
            # Every quote of the file lies in the quoted fields found so far: no other
            # column holds one, nor needs the test (0.09 s per 5M cells).
            continue
        for name in names:
            column = frame.get_column(name)
            cells = _quoted_cells(column)
            if cells.height == 0:
                continue
            if not cells.get_column("whole").all():
                return None
            counts = cells.get_column("quotes")
            quotes_in_quoted_fields += int(counts.sum())
            rows = cells.get_column("row")
            if quotes is not None and name in may_stay and (counts >= 4).all():
                kept.append((column, rows))
            else:
                decoded_columns.append(_decoded(column, rows, column.gather(rows)))
    changed = {column.name for column in decoded_columns}
    as_written = [name for name in frame.columns if name not in changed]
    if quotes_in_quoted_fields != quotes:
        decoded_columns += [_decoded(column, rows, column.gather(rows)) for column, rows in kept]
        as_written = []
    return (frame.with_columns(decoded_columns) if decoded_columns else frame), as_written


def _quoted_cells(column: pl.Series) -> pl.DataFrame:
    """Of each cell of ``column`` that starts with a quote: its row, whether it is one whole
    quoted field, and how many quotes it holds. In one query over the reader's chunks (the
    quoted night's 1.5M quoted descriptions of 5M: 0.09 s, CPU 0.17 s, against 0.17 s and
    0.23 s to gather the quoted cells first and test them)."""
    cell = pl.col("cell")
    return (
        column.to_frame("cell")
        .with_row_index("row")
        .lazy()
        .filter(cell.str.starts_with('"'))
        .select(
            "row",
            whole=cell.str.contains(WHOLE_QUOTED_FIELD),
            quotes=cell.str.count_matches('"', literal=True),
        )
        .collect()
    )


def _decoded(column: pl.Series, rows: pl.Series, quoted: pl.Series) -> pl.Series:
    """``column`` with its whole quoted fields ``quoted``, at ``rows``, made values."""
    inner = quoted.str.strip_prefix('"').str.strip_suffix('"')
    values = inner.str.replace_all('""', '"', literal=True)
    # an empty value is null, quoted ("") or not
    values = values.set(values == "", None)
    # a copy in one chunk (scattering into chunks costs more): scattering into the
    # frame's own column would change the frame
    return column.rechunk().clone().scatter(rows, values)


def unquoted(cell: pl.Expr) -> pl.Expr:
    """The value of ``cell``, a text that is one whole quoted field, or as it is when it does
    not start with a quote (a cell of an ``as_written`` column)."""
    value = cell.str.slice(1, cell.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
    return pl.when(cell.str.starts_with('"')).then(value).otherwise(cell)


def decoded(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """``frame`` with the quoted cells of ``columns`` (kept as written: each one whole
    minimally quoted field) made values."""
    values = []
    for name in columns:
        column = frame.get_column(name)
        if isinstance(column.dtype, pl.Categorical):  # (``frames.few_values_encoded``)
            column = column.cast(pl.String)
        rows = column.str.starts_with('"').arg_true()
        if rows.len():
            values.append(_decoded(column, rows, column.gather(rows)))
    return frame.with_columns(values) if values else frame


def _read_quoted(
    label: str, data: bytes, counts: Future[ByteCounts] | None = None
) -> ReadResult | None:
    """The fast path for quoted files: Polars' RFC 4180 reader, kept when writing its result
    back with minimal quoting gives the file's bytes again.

    That proves the file is the unambiguous minimal-quoted form of what was read
    (our own outputs are), so the contract's reading is the same. Files quoted
    more than needed, or with quotes inside unquoted fields, return None and take
    the exact path. ``counts`` are ``data``'s byte counts, if being computed.
    """
    first_line_end = data.find(b"\n")
    line_end = (
        "\r\n"
        if first_line_end > 0 and data[first_line_end - 1 : first_line_end] == b"\r"
        else "\n"
    )
    try:
        frame = pl.read_csv(data, quote_char='"', infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError:
        return None
    expected = data if data.endswith(line_end.encode()) else data + line_end.encode()
    written = _SameBytes(expected)
    # The streaming sink: the same bytes as write_csv, 0.36 s against 0.42 s for 2.5M orders.
    # (Polars only calls its write and flush.)
    sink = cast(IO[bytes], written)
    frame.lazy().sink_csv(sink, quote_style="necessary", line_terminator=line_end)
    if not written.same_as_expected():
        return None
    # Polars reads a quoted empty field ("") as an empty string; the contract, and every
    # other path, read it as an empty value, like an unquoted empty field. (Asking the
    # frame is cheaper than searching the bytes for "": 2-byte searches are not memchr.)
    holds_empty = frame.select((pl.all() == "").any()).row(0)
    emptied = [name for name, found in zip(frame.columns, holds_empty, strict=True) if found]
    if emptied:
        frame = frame.with_columns(
            pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in emptied
        )
    header = frame.columns
    line_feeds = counts.result().line_feeds if counts is not None else None
    if line_feeds is None:
        line_feeds = data.count(b"\n")
    if line_feeds == frame.height + 1 - (0 if data.endswith(b"\n") else 1):
        return _finish(label, frame, None, header)  # no line break inside a value
    breaks = pl.sum_horizontal(
        pl.col(name).str.count_matches("\n", literal=True).fill_null(0) for name in frame.columns
    )
    lines = frame.select(
        (pl.lit(2, pl.Int64) + pl.int_range(pl.len()) + breaks.cum_sum() - breaks).alias("line")
    )
    return _finish(label, frame, lines.to_series(), header)


class _SameBytes:
    """A writable file that keeps nothing: it only compares what is written with
    ``expected``. Writing the frame back into a ``BytesIO`` and comparing took 0.30-0.35 s
    for 2.5M orders, this 0.24-0.30 s: no buffer grown by copies, no copy of it to compare,
    and 85 MB less memory."""

    def __init__(self, expected: bytes) -> None:
        self.expected = expected
        self.position = 0
        self.same = True

    def write(self, chunk: bytes) -> int:
        if self.same:
            # startswith at an offset compares in place (memcmp), without a slice's copy
            self.same = self.expected.startswith(bytes(chunk), self.position)
        self.position += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def same_as_expected(self) -> bool:
        return self.same and self.position == len(self.expected)


def _read_lines(label: str, data: bytes) -> ReadResult:
    """The quote-free path: one record per non-empty line, fields split on commas."""
    lines = (
        pl.read_lines(data, name="text", row_index_name="line", row_index_offset=1)
        .with_columns(pl.col("text").str.strip_suffix("\r"), pl.col("line").cast(pl.Int64))
        .filter(pl.col("text").str.len_bytes() > 0)
    )
    if lines.height == 0:
        return _empty_file(label)
    header_line = lines.row(0, named=True)["text"]
    header = header_line.split(",")
    # a row of empty fields (",,,", whatever their number) is skipped like an empty line
    body = lines.slice(1).filter(~pl.col("text").str.contains(r"^,*$"))
    field_counts = body.select(
        "line", "text", fields=pl.col("text").str.count_matches(",", literal=True) + 1
    )
    ragged = field_counts.filter(pl.col("fields") != len(header))
    if ragged.height:
        problems = ragged.select(
            file=pl.lit(label),
            row="line",
            column=pl.lit(None, pl.String),
            value=pl.col("text").str.slice(0, KEPT_LINE_CHARS),
            problem=pl.format(
                "row has {} field(s), the header has {}", "fields", pl.lit(len(header))
            ),
            kind=pl.lit("wrong_field_count"),
        )
        return ReadResult(None, problems)
    positional = [f"field_{index}" for index in range(len(header))]
    if len(header) == 1:
        frame = body.select(pl.col("text").alias(positional[0]))
    else:
        frame = body.select(
            pl.col("text").str.split_exact(",", len(header) - 1).struct.rename_fields(positional)
        ).unnest("text")
    empty_as_null = [
        pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in positional
    ]
    return _finish(label, frame.with_columns(empty_as_null), body.get_column("line"), header)


def _read_with_csv_module(label: str, data: bytes) -> ReadResult:
    """The exact quoted path: Python's C csv reader in strict mode, which is the contract's rule.

    It is fed lines split at LF only, so row numbers count LF line ends as every
    other path does; a carriage return that ends no line (which csv would take for
    one) stands in as a private-use character while parsing.
    """
    text = data.decode("utf-8")
    lone_cr = None
    if text.count("\r") != text.count("\r\n"):
        lone_cr = next(chr(code) for code in range(0xE000, 0xF900) if chr(code) not in text)
        text = re.sub("\r(?!\n)", lone_cr, text)
    reader = csv.reader(_lf_lines(text), strict=True)
    records: list[list[str]] = []
    starts: list[int] = []
    start = 1
    try:
        for record in reader:
            # Skipped: an empty line, and a row whose every field is empty (",,," as
            # spreadsheets write them). A line of spaces is a record of one field.
            if any(record):
                records.append(record)
                starts.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        return ReadResult(
            None,
            problem_rows(
                [
                    {
                        "file": label,
                        "row": start,
                        "kind": "bad_quoting",
                        "value": _line_at(data, start),
                        "problem": _quoting_problem(str(error)),
                    }
                ]
            ),
        )
    if not records:
        return _empty_file(label)
    if lone_cr is not None:
        records = [[value.replace(lone_cr, "\r") for value in record] for record in records]
    header = records[0]
    width = len(header)
    ragged = [
        {
            "file": label,
            "row": line,
            "kind": "wrong_field_count",
            "value": ",".join(record)[:KEPT_LINE_CHARS],
            "problem": f"row has {len(record)} field(s), the header has {width}",
        }
        for line, record in zip(starts[1:], records[1:], strict=False)
        if len(record) != width
    ]
    if ragged:
        return ReadResult(None, problem_rows(ragged))
    columns = list(zip(*records[1:], strict=False)) if len(records) > 1 else [() for _ in header]
    frame = pl.DataFrame(
        {
            f"field_{index}": [value or None for value in values]
            for index, values in enumerate(columns)
        },
        schema={f"field_{index}": pl.String for index in range(width)},
    )
    return _finish(label, frame, pl.Series("line", starts[1:], dtype=pl.Int64), header)


def _lf_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its LF, split at LF only."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _quoting_problem(message: str) -> str:
    if "expected after" in message:
        return 'text after a closing quote (a quote inside a quoted field must be doubled: "")'
    if "unexpected end of data" in message:
        return "a quoted field is still open at the end of the file"
    return f"quoting error: {message}"


def _line_at(data: bytes, line: int) -> str:
    text = data.split(b"\n", line)[line - 1] if line - 1 < data.count(b"\n") + 1 else b""
    return text.decode("utf-8", errors="replace").rstrip("\r")[:KEPT_LINE_CHARS]


def _empty_file(label: str) -> ReadResult:
    return ReadResult(None, problem_rows([{"file": label, "row": 1, "kind": "empty_file"}]))


def _finish(
    label: str,
    frame: pl.DataFrame,
    lines: pl.Series | None,
    raw_header: Sequence[str],
    as_written: Sequence[str] = (),
) -> ReadResult:
    """Name the columns by the header's trimmed names, unless the header repeats a name.

    ``as_written`` names columns of ``frame`` (by its own names) whose cells are as
    written (see ``CsvTable``)."""
    header = tuple(trim(name) for name in raw_header)
    seen: set[str] = set()
    repeated = []
    for name in header:
        if name in seen:
            repeated.append(
                {"file": label, "row": 1, "column": name, "value": name, "kind": "repeated_column"}
            )
        seen.add(name)
    if repeated:
        return ReadResult(None, problem_rows(repeated))
    frame, lines = _without_empty_rows(frame, lines)
    renames = dict(zip(frame.columns, header, strict=False))
    named = frame.rename(renames)
    written = frozenset(renames[name] for name in as_written)
    return ReadResult(CsvTable(label, named, lines, header, "", written), empty_problems())


def _without_empty_rows(
    frame: pl.DataFrame, lines: pl.Series | None
) -> tuple[pl.DataFrame, pl.Series | None]:
    """``frame`` without its rows of empty fields (",,,"), which the contract skips like empty
    lines, and ``lines`` to match. Such a row needs a null in every column, which a column's
    null count (kept by Polars, free to read) rules out for almost every file."""
    if frame.height == 0 or not all(column.null_count() for column in frame.iter_columns()):
        return frame, lines
    keep = frame.select(~pl.all_horizontal(pl.all().is_null())).to_series()
    if keep.all():
        return frame, lines
    if lines is None:
        lines = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True).alias("line")
    return frame.filter(keep), lines.filter(keep)


def write_csv(frame: pl.DataFrame, path: Path, as_written: Collection[str] = ()) -> None:
    """Write the contract's CSV: UTF-8, LF, minimal quoting, empty values as empty fields.

    Empty values are nulls in every frame read by this module; Polars writes a
    null as an empty field (and an empty string as ``""``). ``as_written`` names
    columns whose cells are already minimally quoted fields (``CsvTable.as_written``).
    """
    style: Literal["necessary", "never"] = "necessary"
    if as_written:
        others = [name for name, dtype in frame.schema.items() if name not in as_written]
        if _need_no_quotes(frame, others):
            style = "never"  # every cell is written as it is: nothing to look for
        else:
            frame = decoded(frame, (name for name in frame.columns if name in as_written))
    # The streaming sink writes the same bytes as write_csv, 10-15% sooner at millions of rows.
    frame.lazy().sink_csv(path, quote_style=style, line_terminator="\n")


# What minimal quoting quotes: a separator, a quote or a line end, or an empty string.
NEEDS_QUOTES = '[",\r\n]|^$'


def needs_quotes(value: str) -> bool:
    """Whether minimal quoting quotes ``value``."""
    return re.search(NEEDS_QUOTES, value) is not None


def _need_no_quotes(frame: pl.DataFrame, columns: Sequence[str]) -> bool:
    """Whether minimal quoting would quote no header of ``frame`` and no value in its
    ``columns``."""
    if any(needs_quotes(name) for name in frame.columns):
        return False
    text = [name for name in columns if frame.schema[name] == pl.String]
    # an encoded column (``frames.few_values_encoded``) has few values to look at
    encoded = [name for name in columns if isinstance(frame.schema[name], pl.Categorical)]
    if any(_distinct_text(frame, name).str.contains(NEEDS_QUOTES).any() for name in encoded):
        return False
    if not text:
        return True
    any_quoted = pl.any_horizontal(pl.col(name).str.contains(NEEDS_QUOTES) for name in text)
    # Where values need quotes, the first rows mostly show it: the quoted night's 2.5M
    # orders, a quarter of the customers holding a comma, took 0.19 s to search whole.
    if frame.head(EARLY_ROWS).select(any_quoted.any()).item():
        return False
    return not frame.select(any_quoted.any()).item()


# How many rows are searched first for a value that needs quotes.
EARLY_ROWS = 10_000


def _distinct_text(frame: pl.DataFrame, name: str) -> pl.Series:
    return frame.get_column(name).unique().cast(pl.String)


def unwritable_file(path: Path) -> str | None:
    """Why a file could not be written at ``path`` (a folder there, no folder to hold it),
    found without writing; None when nothing stands in the way."""
    if path.is_dir():
        return "is a folder, not a file"
    parent = path.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"the folder {parent} cannot be written"
    return None


def write_text_whole(text: str, path: Path) -> None:
    """``text`` into ``path`` whole or not at all: written beside it, then renamed over it
    (a reader, or a browser reloading it, never sees half a page). A link at ``path`` is
    written through, as an editor does (a page linked into a web server's folder stays
    linked); the temporary file is this process's own, so two writers never share one."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(text: str, path: Path) -> None:
    path.write_bytes(text.encode("utf-8"))


def read_header(path: Path) -> tuple[str, ...]:
    """The trimmed header names of a CSV file, reading only its first record (for ``init``).

    An unreadable or empty file has no header: ().
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            first = next(csv.reader(file), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return ()
    return tuple(trim(name) for name in first)


def read_values(path: Path) -> pl.DataFrame | None:
    """A CSV file's rows as text under its trimmed headers, for ``init`` to place columns by
    their values; None when Polars cannot read it as it is (then names alone are used)."""
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError):
        return None
    return frame.rename({name: trim(name) for name in frame.columns})


def read_columns(path: Path, columns: Mapping[str, str]) -> pl.DataFrame | None:
    """The ``columns`` (name -> the file's header) of a CSV file the job wrote, as text under
    those names; None when it cannot be read or lacks one of them."""
    try:
        frame = pl.read_csv(path, columns=list(columns.values()), infer_schema=False)
    except (OSError, pl.exceptions.PolarsError):
        return None
    return frame.rename({header: name for name, header in columns.items()})


def write_new_text(text: str, path: Path) -> None:
    """Write ``text`` to a file that must not exist yet (FileExistsError if it does)."""
    with path.open("x", encoding="utf-8", newline="\n") as file:
        file.write(text)
