"""The contract's invariants on generated nights: nothing lost, idempotence, determinism.

Generated text is deliberately awkward: quotes, commas, line breaks, non-ASCII,
leading zeros, odd status spellings, duplicate cancellations.
"""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from reconcile import pipeline
from reconcile.config import Options, resolve
from reconcile.contract import CSV_OUTPUTS, INPUT_BY_NAME, INPUTS, JOB_COLUMNS, trim
from reconcile.csvio import read_csv_table
from reconcile.policy import STATUSES
from tests.conftest import snapshot, write_folder

TRICKY = st.sampled_from(
    [
        '12" x 18"',
        '"quoted"',
        "a,b",
        "line\nbreak",
        "crlf\r\nbreak",
        "Öberg",
        "日本",
        "0042",
        " padded ",
        "",
        "x",
    ]
)
ID_PARTS = st.sampled_from(["0", "007", "A", "a", "é", '"', ",", "\n", " ", "-", "Z9"])
# A readable id: never blank, may hold quotes, commas and line breaks.
IDS = (
    st.lists(ID_PARTS, min_size=1, max_size=4).map("".join).filter(lambda text: text.strip() != "")
)


def odd_spelling(status: str, style: int) -> str:
    return [status, status.upper(), status.lower(), f"  {status} ", status.swapcase()][style]


@dataclass(frozen=True)
class Night:
    orders: list[list[str]]
    batches: list[list[str]]
    items: list[list[str]]
    cancellations: list[list[str]]

    def files(
        self,
        order: random.Random | None = None,
        line_end: str = "\n",
        quoting: str = "minimal",
        headers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> dict[str, str]:
        """The night's four files; ``headers`` (file -> contract column -> header) renames
        columns as a platform's export would."""

        def table(header: Sequence[str], rows: list[list[str]]) -> str:
            rows = list(rows)
            if order is not None:
                order.shuffle(rows)
            return write_rows([list(header), *rows], line_end, quoting)

        if headers is not None:
            return {
                name: _renamed_header(text, headers[name], line_end)
                for name, text in self.files(order, line_end, quoting).items()
            }

        return {
            "orders.csv": table(["order_id", "status", "note"], self.orders),
            "batches.csv": table(["batch_id", "status", "capacity", "site"], self.batches),
            "batch_items.csv": table(
                ["batch_id", "order_id", "item_id", "description"], self.items
            ),
            "cancellations.csv": table(["order_id", "item_id", "requested_by"], self.cancellations),
        }


def _renamed_header(text: str, headers: Mapping[str, str], line_end: str) -> str:
    """``text`` (a CSV whose header is plain contract names) with its header renamed."""
    header, rest = text.split(line_end, 1)
    names = [headers.get(name.strip('"'), name.strip('"')) for name in header.split(",")]
    return write_rows([names], line_end, "minimal") + rest


QUOTING_STYLES = ("minimal", "all", 'minimal, empty as ""')


def write_rows(rows: list[list[str]], line_end: str, quoting: str) -> str:
    """CSV text of ``rows`` in one of ``QUOTING_STYLES``: the same rows, spelled three ways."""
    buffer = io.StringIO()
    style = csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL
    csv.writer(buffer, lineterminator=line_end, quoting=style).writerows(rows)
    if quoting != QUOTING_STYLES[2]:
        return buffer.getvalue()

    def spelled(value: str) -> str:
        if value == "":
            return '""'
        one = io.StringIO()
        # the line terminator tells csv which characters need quotes: keep both
        csv.writer(one, lineterminator="\r\n").writerow([value])
        return one.getvalue().removesuffix("\r\n")

    return "".join(",".join(map(spelled, row)) + line_end for row in rows)


@st.composite
def nights(draw: st.DrawFn) -> Night:
    order_ids = draw(st.lists(IDS, min_size=1, max_size=8, unique=True))
    batch_ids = draw(st.lists(IDS, min_size=1, max_size=6, unique=True))
    item_ids = draw(st.lists(IDS, max_size=20, unique=True))
    orders = [
        [order_id, draw(st.sampled_from(["Open", "On Hold", "Cancelled"])), draw(TRICKY)]
        for order_id in order_ids
    ]
    batches = [
        [
            batch_id,
            odd_spelling(draw(st.sampled_from(STATUSES)), draw(st.integers(0, 4))),
            draw(st.sampled_from(["0", "1", "3", "007", "15", "40"])),
            draw(TRICKY),
        ]
        for batch_id in batch_ids
    ]
    items = [
        [draw(st.sampled_from(batch_ids)), draw(st.sampled_from(order_ids)), item_id, draw(TRICKY)]
        for item_id in item_ids
    ]
    known_items = item_ids or ["none"]
    cancellation = st.one_of(
        st.tuples(st.sampled_from(order_ids), st.just("")),  # whole order
        st.tuples(
            st.sampled_from(order_ids), st.sampled_from(known_items)
        ),  # line, maybe mismatched
        st.tuples(IDS, st.just("")),  # maybe unknown order
        st.tuples(st.sampled_from(order_ids), IDS),  # maybe an unbatched item
    )
    picked = draw(
        st.lists(st.tuples(cancellation, st.sampled_from(["cs", "ops", "Öla"])), max_size=12)
    )
    cancellations = [[order_id, item_id, who] for (order_id, item_id), who in picked]
    cancellations += (
        draw(st.lists(st.sampled_from(cancellations), max_size=3)) if cancellations else []
    )
    return Night(orders, batches, items, cancellations)


def run_night(files: dict[str, str], folder: Path, name: str) -> Path:
    inputs = write_folder(folder / f"{name}-in", files)
    out = folder / f"{name}-out"
    pipeline.run(resolve(Options(input_dir=inputs, out=out)))
    return out


def rows_of(path: Path, columns: int) -> list[tuple[object, ...]]:
    result = read_csv_table(path, path.name)
    assert result.table is not None
    return sorted(row[:columns] for row in result.table.frame.rows())


def without_summary(folder: Path) -> dict[str, bytes]:
    return {name: data for name, data in snapshot(folder).items() if name != "summary.json"}


@given(night=nights())
def test_nothing_is_lost(night: Night) -> None:
    """Every input batch line is in exactly one of batch_items.csv and removed_items.csv, and
    the unmatched cancellations are exactly the distinct line cancellations of known orders
    whose item no batch holds."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        out = run_night(night.files(), folder, "a")
        kept = rows_of(out / "batch_items.csv", 4)
        removed = rows_of(out / "removed_items.csv", 4)
        # an empty value reads back as null
        expected = sorted(tuple(value or None for value in row) for row in night.items)
        assert sorted(kept + removed, key=repr) == sorted(expected, key=repr)
        known_orders = {row[0] for row in night.orders}
        batched_items = {row[2] for row in night.items}
        # a cancellation's ids are matched trimmed; the platform's exports exactly
        unmatched = {
            tuple(row)
            for row in night.cancellations
            if trim(row[1]) and trim(row[0]) in known_orders and trim(row[1]) not in batched_items
        }
        assert set(rows_of(out / "unmatched_cancellations.csv", 3)) == unmatched


@given(night=nights())
def test_running_again_on_its_own_outputs_changes_nothing(night: Night) -> None:
    """A second run on the first run's orders, batches and lines removes, queues and archives nothing."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        first = run_night(night.files(), folder, "first")
        again: dict[str, str | bytes] = {
            name: (first / name).read_bytes()
            for name in ("orders.csv", "batches.csv", "batch_items.csv")
        }
        again["cancellations.csv"] = night.files()["cancellations.csv"]
        second = run_night(again, folder, "second")
        for name in ("removed_items.csv", "regeneration_queue.csv", "archive_list.csv"):
            assert len((second / name).read_bytes().splitlines()) == 1, name
        for name in ("orders.csv", "batches.csv", "batch_items.csv", "held_items.csv"):
            assert (second / name).read_bytes() == (first / name).read_bytes(), name


@given(night=nights(), seed=st.integers(0, 2**32 - 1), line_end=st.sampled_from(["\n", "\r\n"]))
def test_shuffled_rows_give_byte_identical_outputs(night: Night, seed: int, line_end: str) -> None:
    """Shuffling the rows of every input (and CRLF line ends) changes no output byte but
    the cancelled_by column, which names a row of the cancellation file by its place:
    shuffling the orders, batches and lines alone changes nothing at all."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        plain = run_night(night.files(), folder, "plain")
        order = random.Random(seed)
        shuffled = run_night(night.files(order, line_end), folder, "shuffled")
        assert without_cancelled_by(plain) == without_cancelled_by(shuffled)
        exports = night.files(random.Random(seed), line_end)
        exports["cancellations.csv"] = night.files(line_end=line_end)["cancellations.csv"]
        assert without_summary(run_night(exports, folder, "exports")) == without_summary(plain)


def without_cancelled_by(folder: Path) -> dict[str, object]:
    """The outputs but summary.json, with the removed and held lines' cancelled_by left out."""
    files: dict[str, object] = dict(without_summary(folder))
    for name in ("removed_items.csv", "held_items.csv"):
        files[name] = pl.read_csv(folder / name, infer_schema=False).drop("cancelled_by").rows()
    return files


@given(night=nights())
def test_cancelled_by_names_the_first_row_that_matches(night: Night) -> None:
    """Every removed or held line's cancelled_by names a cancellation row (FILE:ROW, the
    header being row 1) that matches it, and no row read before it matches it."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        out = run_night(night.files(), folder, "a")
        rows = [(trim(order_id), trim(item_id)) for order_id, item_id, _ in night.cancellations]
        lines_at = _record_lines(night.files()["cancellations.csv"])
        for name in ("removed_items.csv", "held_items.csv"):
            for line in pl.read_csv(out / name, infer_schema=False).iter_rows(named=True):
                file, _, row = line["cancelled_by"].rpartition(":")
                assert file == "cancellations.csv"
                at = lines_at.index(int(row))

                def matches(cancellation: tuple[str, str], line: dict[str, str] = line) -> bool:
                    order_id, item_id = cancellation
                    return order_id == (line["order_id"] or "") and item_id in (
                        "",
                        line["item_id"] or "",
                    )

                assert matches(rows[at]), (line, rows[at])
                assert not any(matches(earlier) for earlier in rows[:at]), line


def _record_lines(text: str) -> list[int]:
    """The line each data record of a CSV text starts on (header = line 1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    starts, line = [], reader.line_num + 1
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    return starts


@given(night=nights(), quoting=st.sampled_from(QUOTING_STYLES[1:]))
def test_any_quoting_style_gives_byte_identical_outputs(night: Night, quoting: str) -> None:
    """The same rows with every field quoted, or with empty fields written as "", give the
    same outputs as minimally quoted files: every reading path reads the same rows."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        plain = run_night(night.files(), folder, "plain")
        quoted = run_night(night.files(quoting=quoting), folder, "quoted")
        assert without_summary(plain) == without_summary(quoted)


# Export headers as platforms spell them: dots, spaces, capitals, non-ASCII.
HEADER_WORDS = st.sampled_from(
    [
        "order",
        "Order",
        "batch",
        "job",
        "Job",
        "ID",
        "id",
        "ref",
        "réf",
        "номер",
        "編號",
        "slots",
        "state",
    ]
)
HEADERS = st.lists(HEADER_WORDS, min_size=1, max_size=3).flatmap(
    lambda words: st.sampled_from([".", " ", "_", ""]).map(lambda joint: joint.join(words))
)
OTHER_COLUMNS = {"note", "site", "description", "requested_by"}


@st.composite
def mappings(draw: st.DrawFn) -> dict[str, dict[str, str]]:
    """For each input file, some of its contract columns under distinct export headers."""
    chosen: dict[str, dict[str, str]] = {}
    for file in INPUTS:
        mapped: dict[str, str] = {}
        for column in file.columns:
            header = draw(st.one_of(st.none(), HEADERS))
            taken = set(mapped.values()) | set(file.columns) | OTHER_COLUMNS | set(JOB_COLUMNS)
            if header is not None and header.strip() == header and header not in taken:
                mapped[column] = header
        chosen[file.name] = mapped
    return chosen


def config_text(mapping: Mapping[str, Mapping[str, str]], values: str = "") -> str:
    sections = [
        f"[columns.{INPUT_BY_NAME[name].role}]\n"
        + "".join(
            f"{column} = {json.dumps(header, ensure_ascii=False)}\n"
            for column, header in columns.items()
        )
        for name, columns in mapping.items()
    ]
    return "\n".join(sections) + values


def run_configured(files: Mapping[str, str | bytes], folder: Path, name: str, config: str) -> Path:
    inputs = write_folder(folder / f"{name}-in", files)
    path = folder / f"{name}.toml"
    path.write_text(config, encoding="utf-8")
    out = folder / f"{name}-out"
    pipeline.run(resolve(Options(input_dir=inputs, out=out, config_file=path)))
    return out


@given(night=nights(), mapping=mappings())
def test_mapped_headers_change_the_outputs_headers_and_nothing_else(
    night: Night, mapping: dict[str, dict[str, str]]
) -> None:
    """The same night under a platform's own headers gives the same outputs byte for byte,
    but for the header lines, which carry the export's names."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        plain = run_night(night.files(), folder, "plain")
        mapped = run_configured(
            night.files(headers=mapping), folder, "mapped", config_text(mapping)
        )
        for file in CSV_OUTPUTS:
            expected_header, expected_rows = (plain / file.name).read_text().split("\n", 1)
            got_header, got_rows = (mapped / file.name).read_text().split("\n", 1)
            assert got_rows == expected_rows, file.name
            spelled = mapping[file.carries.name] if file.carries else {}
            names = [spelled.get(name, name) for name in expected_header.split(",")]
            assert got_header == write_rows([names], "\n", "minimal").rstrip("\n"), file.name


@given(
    night=nights(),
    cancelled=st.sampled_from(["128", "Cancelled", "annulé", "Cancelled, refunded"]),
    archived=st.sampled_from(["Archived", "Closed", "Fermé", "ARCHIVED"]),
    padding=st.sampled_from(["", " ", "  ", "\u00a0", " \u3000"]),
)
def test_running_again_under_the_same_configuration_changes_nothing(
    night: Night, cancelled: str, archived: str, padding: str
) -> None:
    """With [values] set, padded with white space or not, a second run on the first run's
    outputs removes, queues and archives nothing: the archived value (trimmed) reads back
    as a known status that holds."""
    cancelled, archived = f"{padding}{cancelled}{padding}", f"{padding}{archived}"
    config = f'[values]\norder_cancelled = "{cancelled}"\nbatch_archived = "{archived}"\n'
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        first = run_configured(night.files(), folder, "first", config)
        again: dict[str, str | bytes] = {
            name: (first / name).read_bytes()
            for name in ("orders.csv", "batches.csv", "batch_items.csv")
        }
        again["cancellations.csv"] = night.files()["cancellations.csv"]
        second = run_configured(again, folder, "second", config)
        for name in ("removed_items.csv", "regeneration_queue.csv", "archive_list.csv"):
            assert len((second / name).read_bytes().splitlines()) == 1, name
        for name in ("orders.csv", "batches.csv", "batch_items.csv", "held_items.csv"):
            assert (second / name).read_bytes() == (first / name).read_bytes(), name


# ---- ids typed by people, and hints (contract v3) ---------------------------------------

PADDING = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u3000", " \u2009"])
APPLIED = (
    "batch_items.csv",
    "removed_items.csv",
    "held_items.csv",
    "batches.csv",
    "regeneration_queue.csv",
    "archive_list.csv",
    "orders.csv",
)


@given(night=nights(), data=st.data())
def test_typed_ids_padded_with_white_space_apply_as_their_trimmed_values(
    night: Night, data: st.DataObject
) -> None:
    """Cancellations whose ids are padded with White_Space change the batches, lines and
    orders exactly as the same cancellations with the ids trimmed do."""
    trimmed = [
        [trim(order_id), trim(item_id), who]
        for order_id, item_id, who in night.cancellations
        if trim(order_id)
    ]
    padded = [
        [
            data.draw(PADDING) + order_id + data.draw(PADDING),
            data.draw(PADDING) + item_id + data.draw(PADDING),
            who,
        ]
        for order_id, item_id, who in trimmed
    ]
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        plain = run_night(
            Night(night.orders, night.batches, night.items, trimmed).files(), folder, "t"
        )
        typed = run_night(
            Night(night.orders, night.batches, night.items, padded).files(), folder, "p"
        )
        for name in APPLIED:
            assert (typed / name).read_bytes() == (plain / name).read_bytes(), name


@given(night=nights())
def test_hints_never_change_what_is_applied(night: Night) -> None:
    """The same night with every hint left out gives the same outputs, but for the hint
    column of the rejected and unmatched cancellations."""
    from reconcile import rules

    def no_hints(judged: pl.DataFrame, *_: object) -> pl.DataFrame:
        return judged.with_columns(pl.lit(None, pl.String).alias(rules.HINT))

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        hinted = run_night(night.files(), folder, "h")
        with patch.object(rules, "with_hints", no_hints):
            bare = run_night(night.files(), folder, "b")
        for name in APPLIED:
            assert (hinted / name).read_bytes() == (bare / name).read_bytes(), name
        for name in ("rejected_cancellations.csv", "unmatched_cancellations.csv"):
            with_hint = pl.read_csv(hinted / name, infer_schema=False)
            without = pl.read_csv(bare / name, infer_schema=False)
            assert with_hint.drop("hint").equals(without.drop("hint")), name
