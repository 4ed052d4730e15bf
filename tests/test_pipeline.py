"""The pipeline's own mechanics: moving frames between stages, and timing the stages."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from reconcile import frames, pipeline, rules
from reconcile.config import Options, resolve
from reconcile.contract import BATCH_ITEMS, ORDERS
from tests.conftest import CASES, EXAMPLE, ROOT, invoke, snapshot, write_folder


def test_moving_rows_gives_what_copying_gives_and_empties_the_source() -> None:
    """It gathers every column in the given order, as a copy would, and leaves the moved-from
    frame without columns, so that no column is held twice once it is gathered."""
    source = pl.DataFrame({"a": ["x", "y", "z"], "b": ["1", None, "3"], "c": ["p", "q", "r"]})
    rows = pl.Series([2, 0], dtype=pl.UInt32)
    copied = rules.take_rows(source, rows)
    moved = pipeline.move_rows(source, rows)
    assert moved.equals(copied)
    assert moved.rows() == [("z", "3", "r"), ("x", "1", "p")]
    assert source.width == 0


def test_moving_rows_encodes_the_carried_columns_of_long_repeated_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It gives a carried column of long repeated text as a Categorical holding the values a
    copy holds, and never a contract column, which rules and checks read as text."""
    monkeypatch.setattr(frames, "FEWEST_ROWS_ENCODED", 1)
    monkeypatch.setattr(frames, "MOST_DISTINCT", 1.0)
    long_batch, long_text = "B-2026-12-05-0001", 'Canvas 16" x 20" gallery wrap'
    source = pl.DataFrame(
        {"batch_id": [long_batch] * 3, "item_id": ["1", "2", "3"], "note": [long_text] * 3}
    )
    rows = pl.Series([2, 0], dtype=pl.UInt32)
    copied = rules.take_rows(source, rows)
    moved = pipeline.move_rows(source, rows)
    assert moved.schema["batch_id"] == pl.String
    assert isinstance(moved.schema["note"], pl.Categorical)
    assert moved.with_columns(pl.col("note").cast(pl.String)).equals(copied)


@pytest.mark.parametrize(
    "night",
    [
        Options(input_dir=EXAMPLE),
        Options(config_file=ROOT / "fixtures" / "plain-english" / "reconcile.toml"),
        Options(
            input_dir=CASES / "base", files={"batch_items": CASES / "batch_items" / "valid.csv"}
        ),
    ],
    ids=["example", "plain-english", "valid"],
)
def test_the_outputs_are_the_same_bytes_with_carried_columns_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, night: Options
) -> None:
    """It writes byte for byte the outputs it writes without encoding when every carried
    text column is encoded (quoted descriptions kept as written included)."""
    written = {}
    for name, fewest_rows in [("text", 10**12), ("encoded", 1)]:
        monkeypatch.setattr(frames, "FEWEST_ROWS_ENCODED", fewest_rows)
        monkeypatch.setattr(frames, "MOST_DISTINCT", 1.0)
        monkeypatch.setattr(frames, "INLINE_BYTES", 0)
        pipeline.run(resolve(replace(night, out=tmp_path / name)))
        written[name] = snapshot(tmp_path / name)
        del written[name]["summary.json"]  # it names the run
    assert written["encoded"] == written["text"]


def test_the_pipeline_moving_frames_decides_as_the_pure_rules_do(tmp_path: Path) -> None:
    """It gives the same outputs and counts for the example night as ``rules.reconcile``,
    which copies, although the pipeline moves the batch lines through sort and rules."""
    settings = resolve(Options(input_dir=EXAMPLE, out=tmp_path / "out"))
    timings = pipeline.Timings()
    copied = rules.reconcile(
        pipeline.load(settings.sources, settings.headers, settings.policy, timings).inputs,
        settings.policy,
    )
    loaded = pipeline.load(settings.sources, settings.headers, settings.policy, timings)
    moved = pipeline.decide(pipeline.sort(loaded, timings), settings.policy, timings)
    assert loaded.inputs.batch_items.width == 0  # moved into the sorted, then the kept lines
    for name, frame in copied.files().items():
        assert moved.files()[name].equals(frame), name
    assert moved.counts == copied.counts


def test_timings_keep_wall_and_cpu_time_per_stage_in_the_order_run() -> None:
    """It records each stage's wall and CPU time once per stage, adding up repeated entries,
    and tells ``progress`` each stage's place the first time it starts."""
    told: list[tuple[int, str]] = []
    timings = pipeline.Timings(progress=lambda number, name: told.append((number, name)))
    for name in ("read", "sort", "read"):
        with timings.stage(name):
            sum(range(20_000))
    assert list(timings.seconds) == list(timings.cpu_seconds) == ["read", "sort"]
    assert all(
        seconds >= 0 for seconds in [*timings.seconds.values(), *timings.cpu_seconds.values()]
    )
    assert told == [(1, "read"), (3, "sort")]


# Base's cancellation of O1 removes I1; I2 and I3 are kept.
LINES = [
    ["batch_id", "order_id", "item_id", "description"],
    ["B1", "O1", "I1", 'Poster 12" x 18"'],
    ["B1", "O2", "I2", 'Vinyl 7" sleeve'],
    ["B1", "O2", "I3", "Mug"],
]


def test_cells_kept_as_written_give_the_outputs_decoded_cells_give(tmp_path: Path) -> None:
    """It keeps the minimally quoted descriptions of an export as written, and writes the
    same outputs from them as from the same lines with every field quoted, which it decodes."""
    outputs = {}
    for name, quoting in [("minimal", csv.QUOTE_MINIMAL), ("all", csv.QUOTE_ALL)]:
        lines = io.StringIO()
        csv.writer(lines, lineterminator="\n", quoting=quoting).writerows(LINES)
        files = {path.name: path.read_text() for path in (CASES / "base").glob("*.csv")}
        folder = write_folder(tmp_path / name, {**files, "batch_items.csv": lines.getvalue()})
        settings = resolve(Options(input_dir=folder, out=tmp_path / f"{name}-out"))
        loaded = pipeline.load(
            settings.sources, settings.headers, settings.policy, pipeline.Timings()
        )
        assert loaded.as_written[BATCH_ITEMS] == (set(LINES[0]) if name == "minimal" else set())
        pipeline.run(settings)
        outputs[name] = snapshot(tmp_path / f"{name}-out")
        del outputs[name]["summary.json"]  # it names the inputs' digests
    assert outputs["minimal"] == outputs["all"]
    assert outputs["minimal"]["batch_items.csv"] == (
        b'batch_id,order_id,item_id,description\nB1,O2,I2,"Vinyl 7"" sleeve"\nB1,O2,I3,Mug\n'
    )
    assert outputs["minimal"]["removed_items.csv"].endswith(
        b'B1,O1,I1,"Poster 12"" x 18""",Filling,refill,cancellations.csv:2\n'
    )


@pytest.mark.subprocess
def test_warming_up_imports_what_pandera_imports_on_its_first_validation() -> None:
    """It imports Pandera's Polars checks before any validation, so that a run does it while
    its files are read, not when it starts to validate them (0.15-0.4 s)."""
    code = (
        "import sys; from reconcile import schemas; "
        "print('pandera.backends.polars.builtin_checks' in sys.modules); "
        "schemas.warm_up(); print('pandera.backends.polars.builtin_checks' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout == "False\nTrue\n"


def night_of_width(width: int) -> dict[str, list[list[str]]]:
    """A valid night whose order and batch ids are O or B plus ``width`` digits, and whose
    item ids are ``width`` digits (I and a digit at width 1): at width 9 the orders and
    batches have a 64-bit key to sort by and the items are numbers; at width 1 none is."""
    order, batch = (f"O{n:0{width}}" for n in (1, 2, 3)), (f"B{n:0{width}}" for n in (1, 2))
    orders, batches = list(order), list(batch)
    items = [f"{n:0{width}}" if width > 1 else f"I{n}" for n in (1, 2, 3)]
    return {
        "orders": [["order_id", "status"], *([order_id, "Open"] for order_id in orders)],
        "batches": [["batch_id", "status", "capacity"], *([b, "Filling", "4"] for b in batches)],
        "batch_items": [
            ["batch_id", "order_id", "item_id"],
            [batches[0], orders[0], items[0]],
            [batches[0], orders[1], items[1]],
            [batches[1], orders[2], items[2]],
        ],
        "cancellations": [["order_id", "item_id"], [orders[0], ""]],
    }


@pytest.mark.parametrize("width", [1, 9])
@pytest.mark.parametrize(("role", "key"), [("orders", 0), ("batches", 0), ("batch_items", 2)])
def test_a_repeated_key_is_listed_row_by_row_however_the_ids_are_shaped(
    tmp_path: Path, width: int, role: str, key: int
) -> None:
    """It lists both rows of a repeated order_id, batch_id or item_id, whether the key's
    uniqueness comes from the sort's work (ids of one length, numbered) or from hashes."""
    night = night_of_width(width)
    rows = night[role]
    repeated = [
        *rows[-1][:key],
        rows[1][key],
        *rows[-1][key + 1 :],
    ]  # the last row, keyed as the first
    rows.append(repeated)
    folder = write_folder(
        tmp_path / "night",
        {
            f"{name}.csv": "".join(",".join(row) + "\n" for row in table)
            for name, table in night.items()
        },
    )
    settings = resolve(Options(input_dir=folder, out=tmp_path / "out"))
    found = pipeline.check(settings).problems
    assert found.select("file", "row", "column", "value", "kind").rows() == [
        (f"{role}.csv", 2, rows[0][key], rows[1][key], "repeated_key"),
        (f"{role}.csv", len(rows), rows[0][key], rows[1][key], "repeated_key"),
    ]


@pytest.mark.parametrize("width", [1, 9])
def test_a_valid_night_passes_however_its_ids_are_shaped(tmp_path: Path, width: int) -> None:
    """It finds no problem in a night of unique keys, keyed and numbered or not."""
    folder = write_folder(
        tmp_path / "night",
        {
            f"{name}.csv": "".join(",".join(row) + "\n" for row in table)
            for name, table in night_of_width(width).items()
        },
    )
    settings = resolve(Options(input_dir=folder, out=tmp_path / "out"))
    result = pipeline.check(settings)
    assert result.problems.height == 0
    assert result.summary is not None
    # The ids are shaped as the width says: from the sort's keys, or on hashes.
    night = night_of_width(width)
    for role, find in [("orders", rules.key_order), ("batches", rules.key_order)]:
        ids = pl.Series([row[0] for row in night[role][1:]])
        assert (find(ids) is not None) == (width == 9)
    item_ids = pl.Series([row[2] for row in night["batch_items"][1:]])
    assert (rules.item_numbers(item_ids) is not None) == (width == 9)


@pytest.mark.parametrize(
    ("cancelled", "written"),
    [("Cancelled", "O1,Cancelled\n"), ("Cancelled, refunded", 'O1,"Cancelled, refunded"\n')],
)
def test_orders_written_as_read_are_quoted_where_the_cancelled_status_needs_it(
    tmp_path: Path, cancelled: str, written: str
) -> None:
    """It writes the orders' cells as read when no cell needs quotes, and still quotes a
    cancelled status that holds a comma."""
    config = write_folder(
        tmp_path, {"reconcile.toml": f'[values]\norder_cancelled = "{cancelled}"\n'}
    )
    settings = resolve(
        Options(
            input_dir=CASES / "base", out=tmp_path / "out", config_file=config / "reconcile.toml"
        )
    )
    as_written = pipeline.written_as_read(
        {ORDERS: frozenset({"order_id", "status"}), BATCH_ITEMS: frozenset({"item_id"})},
        settings.policy,
    )
    assert as_written[BATCH_ITEMS] == {"item_id"}
    assert as_written[ORDERS] == (frozenset() if "," in cancelled else {"order_id", "status"})
    pipeline.run(settings)
    assert (tmp_path / "out" / "orders.csv").read_text() == f"order_id,status\n{written}O2,Open\n"


def test_an_unmatched_line_an_earlier_run_removed_names_that_run(tmp_path: Path) -> None:
    """It hints "removed by run NAME" for a line cancellation whose line a kept run of the
    output folder removed (the next night's list repeats yesterday's line), and reads no
    run when nothing is unmatched."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    first = os.readlink(out).rsplit("/", 1)[-1]
    night = write_folder(
        tmp_path / "next",
        {
            **{
                name: (out / name).read_bytes()
                for name in ("orders.csv", "batches.csv", "batch_items.csv")
            },
            "cancellations.csv": "order_id,item_id\nO-0012, 000118\nO-0014,000999\n",
        },
    )
    assert invoke("run", night, "--out", out, "-q").exit_code == 0
    assert (out / "unmatched_cancellations.csv").read_text() == (
        f"order_id,item_id,hint\nO-0012, 000118,removed by run {first}\nO-0014,000999,\n"
    )
