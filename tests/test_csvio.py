"""Reading and writing CSV exactly as the contract says, on named edge-case files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.csvio import (
    EARLY_ROWS,
    ReadResult,
    _has_quoted_field,
    _read_lines,
    _read_quoted,
    _read_unquoted,
    _read_with_csv_module,
    _SameBytes,
    decoded,
    read_csv_table,
    write_csv,
)
from tests.conftest import CASES, CORPORA, GOLDEN

ITEMS = CASES / "batch_items"
EXPECTED_VALID = [("B1", "O1", "I1", "Poster A2"), ("B1", "O2", "I2", "Mug")]


def read_rows(path: Path) -> list[tuple[object, ...]]:
    result = read_csv_table(path, path.name)
    assert result.table is not None, result.problems.to_dicts()
    return result.table.frame.rows()


def problems_of(path: Path) -> list[dict[str, object]]:
    result = read_csv_table(path, "batch_items.csv")
    assert result.table is None
    return result.problems.drop("kind").to_dicts()


@pytest.mark.parametrize(
    "case",
    ["valid", "utf8_bom", "crlf", "empty_lines", "header_with_spaces", "rows_of_empty_fields"],
)
def test_equivalent_spellings_read_the_same(case: str) -> None:
    """It reads a BOM, CRLF, empty lines and padded header names as the plain file."""
    result = read_csv_table(ITEMS / f"{case}.csv", "batch_items.csv")
    assert result.table is not None
    assert result.table.frame.columns == ["batch_id", "order_id", "item_id", "description"]
    assert result.table.frame.rows() == EXPECTED_VALID


def test_row_numbers_count_file_lines_with_the_header_as_row_1() -> None:
    """It reports the file line each row starts on, counting skipped empty lines."""
    result = read_csv_table(ITEMS / "empty_lines.csv", "batch_items.csv")
    assert result.table is not None
    assert result.table.lines.to_list() == [4, 7]


def test_every_value_is_text() -> None:
    """It never infers types: leading zeros and number-like values stay as written."""
    path = CASES / "base" / "batches.csv"
    result = read_csv_table(path, "batches.csv")
    assert result.table is not None
    assert all(dtype == pl.String for dtype in result.table.frame.dtypes)


@pytest.mark.parametrize("case", ["inch_marks_unquoted", "inch_marks_beside_quoted_field"])
def test_quotes_inside_unquoted_fields_are_ordinary_characters(case: str) -> None:
    """It keeps 12" x 18" and 7" vinyl literally, with or without quoted fields elsewhere."""
    values = [row[3] for row in read_rows(ITEMS / f"{case}.csv")]
    assert values[0] == '12" x 18"'
    assert values[1] in ('7" vinyl', "Mug, 11oz")
    assert len(values) == 2


def test_quoted_fields_hold_commas_quotes_and_line_breaks() -> None:
    """It reads RFC 4180 quoted fields, including a quoted key, and keeps the next line's row number."""
    result = read_csv_table(ITEMS / "quoted_commas_quotes_newlines.csv", "batch_items.csv")
    assert result.table is not None
    assert result.table.frame.rows() == [
        ("B1", "O1", "I1", 'Poster, "A2"\nmatte'),
        ("B1", "O2", "I2", "Mug"),
    ]
    assert result.table.lines.to_list() == [2, 4]


def test_a_short_row_is_reported_not_padded() -> None:
    """It reports a row with too few fields, naming the row and the counts."""
    assert problems_of(ITEMS / "short_row.csv") == [
        {
            "file": "batch_items.csv",
            "row": 3,
            "column": None,
            "value": "B1,O2,I2",
            "problem": "row has 3 field(s), the header has 4",
        }
    ]


def test_a_long_row_is_reported() -> None:
    """It reports a row with too many fields."""
    assert (
        problems_of(ITEMS / "long_row.csv")[0]["problem"] == "row has 5 field(s), the header has 4"
    )


def test_a_line_of_spaces_is_a_short_row() -> None:
    """It treats a line holding only spaces as a row, not an empty line."""
    assert problems_of(ITEMS / "line_of_spaces.csv") == [
        {
            "file": "batch_items.csv",
            "row": 3,
            "column": None,
            "value": "   ",
            "problem": "row has 1 field(s), the header has 4",
        }
    ]


def test_an_unterminated_quote_is_reported_at_the_row_it_opens() -> None:
    """It reports a quote still open at the end of the file, at the row where it opened."""
    [problem] = problems_of(ITEMS / "unterminated_quote.csv")
    assert problem["row"] == 2
    assert problem["problem"] == "a quoted field is still open at the end of the file"


def test_text_after_a_closing_quote_is_reported() -> None:
    """It reports "ab"c as a quoting error."""
    [problem] = problems_of(ITEMS / "junk_after_closing_quote.csv")
    assert problem["row"] == 2
    assert problem["value"] == 'B1,O1,I1,"ab"c'
    assert str(problem["problem"]).startswith("text after a closing quote")


def test_bytes_that_are_not_utf8_are_reported_with_their_row() -> None:
    """It names the row and the offending bytes of a cp1252 file."""
    [problem] = problems_of(ITEMS / "not_utf8_cp1252.csv")
    assert problem["row"] == 2
    assert "e9" in str(problem["problem"])


@pytest.mark.parametrize(
    ("content", "row"),
    [
        (b"batch_id,order_id,item_\xe9d\nB1,O1,I1\n", 1),
        (b"batch_id,order_id,item_id\nB1,O1,I\xe9\n", 2),
        (b'batch_id,order_id,item_id\nB1,O1,I1\nB2,O2,"I\xe9, 2"\n', 3),
        (b'batch_id,order_id,item_id\nB1,O1,"12"" x 18\xe9"\n', 2),
    ],
    ids=["header", "value", "quoted value with a comma", "whole quoted value"],
)
def test_bytes_that_are_not_utf8_are_reported_wherever_they_are(
    tmp_path: Path, content: bytes, row: int
) -> None:
    """It reports bytes that are not UTF-8 in the header, a value or a quoted value, whichever
    reading path the file would take."""
    path = tmp_path / "batch_items.csv"
    path.write_bytes(content)
    [problem] = problems_of(path)
    assert problem["row"] == row
    assert str(problem["problem"]).startswith("bytes that are not UTF-8: e9")


def test_a_repeated_column_name_is_reported() -> None:
    """It reports a header naming a column twice instead of renaming it."""
    assert problems_of(ITEMS / "repeated_column.csv") == [
        {
            "file": "batch_items.csv",
            "row": 1,
            "column": "item_id",
            "value": "item_id",
            "problem": "column name repeated",
        }
    ]


def test_a_zero_byte_file_has_no_header() -> None:
    """It reports an empty file as having no header row."""
    assert problems_of(ITEMS / "zero_bytes.csv")[0]["problem"] == "file is empty: no header row"


def test_a_header_only_file_has_no_rows() -> None:
    """It reads a header-only file as a valid table with no rows."""
    assert read_rows(ITEMS / "header_only.csv") == []


def test_a_nul_byte_and_a_large_field_are_carried_through(tmp_path: Path) -> None:
    """It keeps a NUL byte and a 1 MB field as values, on both reading paths."""
    assert read_rows(ITEMS / "nul_byte_in_field.csv")[0][3] == "Post\x00er"
    big = "x" * 1_000_000
    for quoted in (False, True):
        path = tmp_path / f"big_{quoted}.csv"
        field = f'"{big}"' if quoted else big
        path.write_text(f"a,b\n1,{field}\n")
        assert read_rows(path) == [("1", big)]


def test_a_missing_file_and_a_folder_are_unreadable(tmp_path: Path) -> None:
    """It reports a missing path and a folder as missing/unreadable, flagged for exit 66."""
    missing = read_csv_table(tmp_path / "nope.csv", "orders.csv")
    folder = read_csv_table(tmp_path, "orders.csv")
    assert missing.missing and folder.missing
    assert missing.problems["kind"].to_list() == ["missing_file"]
    assert folder.problems["kind"].to_list() == ["unreadable_file"]


SPECTRUM = CORPORA / "csv-spectrum"


@pytest.mark.skipif(not SPECTRUM.is_dir(), reason="../shared/corpora/csv-spectrum is not present")
@pytest.mark.parametrize(
    "name",
    sorted(path.stem for path in (SPECTRUM / "csvs").glob("*.csv")) if SPECTRUM.is_dir() else [],
)
def test_csv_spectrum_conformance(name: str) -> None:
    """It reads every csv-spectrum file to exactly its expected rows."""
    expected = json.loads((SPECTRUM / "json" / f"{name}.json").read_text(encoding="utf-8"))
    result = read_csv_table(SPECTRUM / "csvs" / f"{name}.csv", name)
    assert result.table is not None, result.problems.to_dicts()
    # an empty value is null in our frames; the corpus writes it as ""
    got = result.table.frame.fill_null("").to_dicts()
    if name == "location_coordinates":
        # The corpus's own defect (see its README): a bare object, and a different phone number.
        expected = [expected]
        for row in (*expected, *got):
            row.pop("Contact Phone Number")
    assert got == expected


def test_writing_quotes_only_where_needed_and_writes_empty_as_empty(tmp_path: Path) -> None:
    """It writes LF, no BOM, minimal quoting, and empty values as empty fields."""
    frame = pl.DataFrame(
        {"id": ["0042", "7", "x"], "text": ['12" x 18"', "a,b", None], "n": [1, 0, 3]}
    )
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    assert path.read_bytes() == b'id,text,n\n0042,"12"" x 18""",1\n7,"a,b",0\nx,,3\n'


def test_writing_a_frame_without_rows_keeps_the_header(tmp_path: Path) -> None:
    """It writes the header row even when there are no data rows."""
    path = tmp_path / "out.csv"
    write_csv(pl.DataFrame(schema={"a": pl.String, "b": pl.Int64}), path)
    assert path.read_bytes() == b"a,b\n"


UNQUOTED_TEXT = st.text(
    alphabet=st.sampled_from(["a", "Z", "0", " ", '"', "é", "\r", "\x00", "-"]), max_size=6
)


@given(
    rows=st.lists(st.lists(UNQUOTED_TEXT, min_size=1, max_size=4), max_size=8),
    width=st.integers(1, 4),
    line_end=st.sampled_from(["\n", "\r\n"]),
    final_newline=st.booleans(),
)
def test_the_fast_path_agrees_with_the_exact_line_path(
    rows: list[list[str]], width: int, line_end: str, final_newline: bool
) -> None:
    """Polars' fast read is used only when it gives exactly what the exact paths give."""
    header = ",".join(f"c{index}" for index in range(width))
    text = line_end.join([header, *(",".join(row) for row in rows)]) + (
        line_end if final_newline else ""
    )
    data = text.encode("utf-8")
    exact = (_read_with_csv_module if _has_quoted_field(data) else _read_lines)("f.csv", data)
    fast = _read_unquoted("f.csv", data)
    if fast is not None:
        assert exact.table is not None and fast.table is not None
        assert fast.table.frame.equals(exact.table.frame, null_equal=True)
        assert fast.table.line_of(pl.Series(range(fast.table.frame.height))).to_list() == (
            exact.table.lines.to_list() if exact.table.lines is not None else []
        )


QUOTED_TEXT = st.text(
    alphabet=st.sampled_from(["a", "0", " ", '"', ",", "\n", "\r", "é", "\x00"]), max_size=6
)


# Values with quotes but no separator: the split path's usual case (12" x 18").
INCH_TEXT = st.text(alphabet=st.sampled_from(["a", "1", " ", '"', "é"]), max_size=6)


def _csv_text(rows: list[list[str]], line_end: str, style: str) -> str:
    if style == "raw":
        return line_end.join(["a,b", *(",".join(row) for row in rows)])
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if style == "all quoted" else csv.QUOTE_MINIMAL
    csv.writer(buffer, lineterminator=line_end, quoting=quoting).writerows([["a", "b"], *rows])
    return buffer.getvalue()


@pytest.mark.parametrize("fast_reader", [_read_quoted, _read_unquoted], ids=["rfc", "split"])
@given(
    rows=st.lists(st.lists(st.one_of(QUOTED_TEXT, INCH_TEXT), min_size=2, max_size=2), max_size=6),
    line_end=st.sampled_from(["\n", "\r\n"]),
    style=st.sampled_from(["writer", "all quoted", "raw"]),
)
def test_the_fast_paths_agree_with_the_exact_csv_path_on_quoted_files(
    fast_reader: Callable[[str, bytes], ReadResult | None],
    rows: list[list[str]],
    line_end: str,
    style: str,
) -> None:
    """Polars' quote-aware read, and the split at every comma with whole quoted fields
    unquoted, are used only when they give exactly what Python's csv module gives."""
    data = _csv_text(rows, line_end, style).encode("utf-8")
    fast = fast_reader("f.csv", data)
    if fast is None:
        return
    exact = _read_with_csv_module("f.csv", data)
    assert exact.table is not None and fast.table is not None
    assert fast.table.frame.equals(exact.table.frame, null_equal=True)
    rows_index = pl.Series(range(fast.table.frame.height))
    assert fast.table.line_of(rows_index).to_list() == exact.table.line_of(rows_index).to_list()


@pytest.mark.parametrize(
    ("chunks", "same"),
    [
        ([b"a,b\n", b"1,2\n"], True),
        ([b"a,b\n1,", b"2\n"], True),
        ([b"a,b\n", b"1,3\n"], False),
        ([b"a,b\n"], False),
        ([b"a,b\n", b"1,2\n", b"3"], False),
        ([b"a,b\n", b"1,2\n", b""], True),
    ],
    ids=["equal", "split-elsewhere", "differs", "shorter", "longer", "empty-write"],
)
def test_the_write_back_proof_compares_every_byte_and_the_length(
    chunks: list[bytes], same: bool
) -> None:
    """It holds the written bytes equal to the file only when every chunk matches the
    file at its place and together they are exactly as long."""
    written = _SameBytes(b"a,b\n1,2\n")
    for chunk in chunks:
        assert written.write(chunk) == len(chunk)
    assert written.same_as_expected() is same


def test_the_rfc_path_refuses_a_file_quoted_more_than_needed() -> None:
    """It leaves a file whose quoting is not minimal to the exact path."""
    assert _read_quoted("f.csv", b'a,b\n"x",y\n') is None
    assert _read_quoted("f.csv", b'a,b\n"x,1",y\n') is not None


def test_our_own_outputs_take_a_fast_path() -> None:
    """It reads a minimally quoted file (as the job writes) with Polars, not row by row:
    split at commas when no quoted value holds a comma or a line break, else with
    Polars' quote-aware reader."""
    data = (GOLDEN / "example" / "batch_items.csv").read_bytes()
    assert b'"' in data
    assert _read_quoted("batch_items.csv", data) is not None
    split = _read_unquoted("batch_items.csv", data.replace(b", ", b"; "))
    assert split is not None and split.table is not None
    assert split.table.frame.get_column("description").str.contains('"').any()


def carried(name: str) -> bool:
    return name == "description"


def test_a_carried_column_keeps_minimally_quoted_cells_as_written(tmp_path: Path) -> None:
    """It leaves the quoted cells of a column the caller only carries as they are written
    when each is the minimal quoting of its value; decoding them gives the values, and
    writing them gives the file's bytes again."""
    path = ITEMS / "minimally_quoted_description.csv"
    result = read_csv_table(path, "batch_items.csv", keep_encoded=carried)
    assert result.table is not None
    table = result.table
    assert table.frame.get_column("description").to_list() == ['"Poster 12"" x 18"""', "Mug"]
    assert table.as_written == {"batch_id", "order_id", "item_id", "description"}
    assert decoded(table.frame, table.as_written).rows() == read_rows(path)
    write_csv(table.frame, tmp_path / "out.csv", table.as_written)
    assert (tmp_path / "out.csv").read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    ("case", "as_written"),
    [
        ("quoted_more_than_needed", {"batch_id", "order_id", "item_id"}),
        ("inch_marks_beside_minimally_quoted_field", set()),
    ],
)
def test_a_carried_column_is_decoded_unless_every_cell_is_as_written(
    case: str, as_written: set[str]
) -> None:
    """It decodes a carried column holding a needlessly quoted field ("Mug"), and every
    column when a quote stands outside a quoted field anywhere in the file (12" x 18"),
    reading the same values as without ``keep_encoded``."""
    path = ITEMS / f"{case}.csv"
    result = read_csv_table(path, "batch_items.csv", keep_encoded=carried)
    assert result.table is not None
    assert result.table.as_written == as_written
    assert result.table.frame.rows() == read_rows(path)


def test_without_keep_encoded_only_a_file_without_quotes_is_as_written() -> None:
    """It lists every column as written when the file holds no quote, none otherwise."""
    for case, as_written in [
        ("valid", {"batch_id", "order_id", "item_id", "description"}),
        ("minimally_quoted_description", set()),
    ]:
        result = read_csv_table(ITEMS / f"{case}.csv", "batch_items.csv")
        assert result.table is not None
        assert result.table.as_written == as_written, case


def test_writing_cells_as_written_beside_a_value_that_needs_quotes(tmp_path: Path) -> None:
    """It decodes cells kept as written and quotes minimally when another column holds a
    value that needs quotes (or an empty string), or a header does; and writes every cell
    as it is otherwise."""
    frame = pl.DataFrame({"kept": ['"12"" x 18"""', "Mug"], "n": [1, 2]})
    for name, other, expected in [
        ("other", ["a,b", "c"], b'kept,n,other\n"12"" x 18""",1,"a,b"\nMug,2,c\n'),
        ("other", ["", "c"], b'kept,n,other\n"12"" x 18""",1,""\nMug,2,c\n'),
        ("o,ther", ["ab", "c"], b'kept,n,"o,ther"\n"12"" x 18""",1,ab\nMug,2,c\n'),
        ("other", ["ab", "c"], b'kept,n,other\n"12"" x 18""",1,ab\nMug,2,c\n'),
    ]:
        written = frame.with_columns(pl.Series(name, other))
        write_csv(written, tmp_path / "out.csv", {"kept"})
        assert (tmp_path / "out.csv").read_bytes() == expected, name


def test_a_value_that_needs_quotes_after_the_first_rows_is_quoted(tmp_path: Path) -> None:
    """It quotes minimally when the only value that needs quotes comes after the rows it
    searches first (``EARLY_ROWS``), beside a column kept as written."""
    rows = EARLY_ROWS + 5
    others = ["plain"] * (rows - 1) + ["a,b"]
    frame = pl.DataFrame({"kept": ['"12"" x"'] * rows, "other": others})
    write_csv(frame, tmp_path / "out.csv", {"kept"})
    lines = (tmp_path / "out.csv").read_bytes().split(b"\n")
    assert lines[1] == b'"12"" x",plain'
    assert lines[rows] == b'"12"" x","a,b"'


def _encoded(column: pl.Series) -> pl.Series:
    return column.cast(pl.Categorical(pl.Categories.random()))


@given(
    values=st.lists(st.one_of(st.none(), QUOTED_TEXT), max_size=8),
    others=st.sampled_from([["ab", "c"], ["a,b", "c"], ["", "c"]]),
    kept=st.sampled_from([(), ("other",)]),
)
def test_an_encoded_column_writes_the_bytes_of_its_text(
    values: list[str | None], others: list[str], kept: tuple[str, ...]
) -> None:
    """It writes a Categorical column (``frames.few_values_encoded``) as the text it holds:
    quoted where a value needs it, also when the other columns are kept as written and need
    no quotes (then only the encoded column's values can ask for them)."""
    rows = len(values)
    text = pl.DataFrame(
        [
            pl.Series("value", values, dtype=pl.String),
            pl.Series("other", (others * rows)[:rows], dtype=pl.String),
        ]
    )
    encoded = text.with_columns(_encoded(text.get_column("value")))
    with TemporaryDirectory() as folder:
        write_csv(text, Path(folder) / "text.csv", kept)
        write_csv(encoded, Path(folder) / "encoded.csv", kept)
        assert (Path(folder) / "encoded.csv").read_bytes() == (
            Path(folder) / "text.csv"
        ).read_bytes()


def test_an_encoded_column_kept_as_written_is_decoded_beside_a_value_that_needs_quotes(
    tmp_path: Path,
) -> None:
    """It decodes the quoted cells of an encoded column kept as written, as it does a text
    column's, when another column needs quotes."""
    kept = _encoded(pl.Series("kept", ['"12"" x 18"""', "Mug"]))
    frame = pl.DataFrame([kept, pl.Series("other", ["a,b", "c"])])
    write_csv(frame, tmp_path / "out.csv", {"kept"})
    assert (tmp_path / "out.csv").read_bytes() == b'kept,other\n"12"" x 18""","a,b"\nMug,c\n'
    assert decoded(frame, ["kept"]).get_column("kept").to_list() == ['12" x 18"', "Mug"]


@given(
    rows=st.lists(st.lists(st.one_of(QUOTED_TEXT, INCH_TEXT), min_size=2, max_size=2), max_size=6),
    line_end=st.sampled_from(["\n", "\r\n"]),
    style=st.sampled_from(["writer", "all quoted", "raw"]),
)
def test_cells_kept_as_written_decode_to_the_values_and_write_the_same_bytes(
    rows: list[list[str]], line_end: str, style: str
) -> None:
    """Reading with a column kept as written gives, once decoded, the frame read without,
    and writing it gives the same bytes as writing that frame."""
    data = _csv_text(rows, line_end, style).encode("utf-8")
    kept = _read_unquoted("f.csv", data, keep_encoded=lambda name: name == "b")
    plain = _read_unquoted("f.csv", data)
    if plain is None:
        assert kept is None
        return
    assert kept is not None and kept.table is not None and plain.table is not None
    written = kept.table.as_written
    assert decoded(kept.table.frame, written).equals(plain.table.frame, null_equal=True)
    with TemporaryDirectory() as folder:
        write_csv(kept.table.frame, Path(folder) / "kept.csv", written)
        write_csv(plain.table.frame, Path(folder) / "plain.csv")
        assert (Path(folder) / "kept.csv").read_bytes() == (Path(folder) / "plain.csv").read_bytes()


@pytest.mark.parametrize(
    ("data", "as_written", "first_column"),
    [
        # every quote is in b's quoted fields: a is not searched, and is as written
        (b'a,b\nA1,"12"" x"\n', {"a", "b"}, ["A1"]),
        # a's quoted field is found too, and decoded
        (b'a,b\n"A,1","12"" x"\n', set(), None),
        (b'a,b\n"A1","12"" x"\n', {"b"}, ["A1"]),
        # a quote outside any quoted field: nothing stays as written
        (b'a,b\nA"1,"12"" x"\n', set(), ['A"1']),
    ],
)
def test_columns_read_by_the_job_are_searched_for_quotes_only_while_some_are_unaccounted(
    data: bytes, as_written: set[str], first_column: list[str] | None
) -> None:
    """It looks for quoted fields in the columns the job reads only while the file's quotes
    are not all found in the carried columns' quoted fields, and reads them right either way."""
    result = _read_unquoted("f.csv", data, keep_encoded=lambda name: name == "b")
    if first_column is None:
        assert result is None  # a quoted comma: the quote-aware paths read it
        return
    assert result is not None and result.table is not None
    assert set(result.table.as_written) == as_written
    assert result.table.frame.get_column("a").to_list() == first_column
