"""reconcile explain: one order, line or batch, told from a run's files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given

from reconcile import explanation as explain
from tests.conftest import EXAMPLE, invoke
from tests.test_properties import Night, nights, run_night


def current(out: Path) -> str:
    return os.readlink(out).rsplit("/", 1)[-1]


def test_an_order_is_told_line_by_line_with_the_cancellation_that_did_it(night_out: Path) -> None:
    """It tells an order's status after the run and each line's batch, status, action,
    outcome and cancelled_by; ids are trimmed like a cancellation's."""
    result = invoke("explain", night_out, "--order", " O-0009 ")
    assert (result.exit_code, result.stdout) == (
        0,
        f"run {current(night_out)}  (current)\n"
        "  order O-0009: status Cancelled after the run\n"
        "    item 000113, batch B-1003 (Pending Generation, regenerate): removed by "
        "cs-2026-11-26.csv:2\n"
        "    item 000114, batch B-1003 (Pending Generation, regenerate): removed by "
        "cs-2026-11-26.csv:2\n",
    )


def test_a_batch_an_item_and_the_cancellations_that_did_not_apply(night_out: Path) -> None:
    """It tells a batch's status before and after, its removed and held lines, its fate and
    open slots; an item's line; an unknown order's rejected row with its hint."""
    result = invoke(
        "explain", night_out, "--batch", "B-1011", "--item", "000181", "--order", "0024"
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [
        "  order 0024: not in orders.csv",
        "    no batched line",
        "    a cancellation of order 0024 rejected (unknown_order); hint: did you mean order O-0024?",
        "  item 000181: in no batch of this run",
        "    a cancellation of order O-0012 item 000181 unmatched; hint: did you mean item 000118?",
        "  batch B-1011: status Pending Production (unchanged); 0 line(s) removed, 2 held; "
        "4 line(s) left, 0 open slot(s)",
        "    item 000139, order O-0025: held by cancellations.csv:12",
        "    item 000140, order O-0025: held by cancellations.csv:12",
    ]


def test_all_tells_every_kept_run_newest_first(night_out: Path) -> None:
    """It tells the same order in every kept run with --all: kept the night before."""
    result = invoke("explain", night_out, "--order", "O-0009", "--all", "--format", "json")
    runs = json.loads(result.stdout)["runs"]
    assert [run["current"] for run in runs] == [True, False]
    assert [line["outcome"] for line in runs[1]["orders"][0]["lines"]] == ["kept", "kept"]
    assert runs[1]["orders"][0]["status"] == "In Production"


def test_an_id_found_nowhere_exits_1_saying_where_it_looked(night_out: Path) -> None:
    """It exits 1 naming each id found nowhere and the runs it looked in."""
    result = invoke("explain", night_out, "--order", "O-0009", "--batch", "B-9999")
    assert result.exit_code == 1
    assert result.stdout.endswith(
        "batch B-9999: found nowhere in the kept lines, removed and held lines, batches, "
        f"orders or cancellations not applied of run(s) {current(night_out)}\n"
    )


def test_an_id_empty_once_trimmed_exits_2(night_out: Path) -> None:
    """It exits 2 naming the option and the value when an id is empty or only spaces (it was
    dropped, and the answer was an empty story with exit 0)."""
    for option, value in (("--order", ""), ("--batch", " \t")):
        result = invoke("explain", night_out, "--order", "O-0009", option, value)
        example = "O-0009" if option == "--order" else "B-1001"
        assert (result.exit_code, result.stderr, result.stdout) == (
            2,
            f"reconcile: {option} {json.dumps(value)}: an id that is empty once trimmed; give "
            f"the id as the run's files hold it (e.g. {option} {example})\n",
            "",
        )


def test_a_damaged_run_file_exits_2_naming_it_without_polars_plan(tmp_path: Path) -> None:
    """It exits 2 naming the run's file that is not as a run writes it, with the first line
    of what Polars said (it printed Polars' whole plan, and a damaged header's kilobyte)."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    batches = Path(os.path.realpath(out)) / "batches.csv"
    batches.write_text("x,y\n1,2\n")
    result = invoke("explain", out, "--batch", "B-1001")
    assert (result.exit_code, result.stderr) == (
        2,
        f'reconcile: cannot read {batches}: unable to find column "batch_id"; valid columns: '
        '["x", "y"] (a run\'s files are not as a run writes them: damaged, or edited by hand?)\n',
    )


def test_trouble_exits_2(tmp_path: Path) -> None:
    """It exits 2 for a folder that is not an output folder, and for no id at all."""
    assert invoke("explain", tmp_path, "--order", "O1").exit_code == 2
    assert invoke("explain", tmp_path).exit_code == 2


@given(night=nights())
def test_explain_agrees_with_the_output_files(night: Night) -> None:
    """For every order of a generated night, the lines explain tells are exactly the order's
    rows in batch_items.csv, removed_items.csv and held_items.csv, with their cancelled_by."""
    with tempfile.TemporaryDirectory() as temp:
        out = run_night(night.files(), Path(temp), "night")
        # run_night writes the folder as a run's output folder: read it through the link
        orders = [row[0] for row in night.orders]
        told = explain.explain(out, explain.Asked(orders=tuple(orders)))
        by_order = {entry["order_id"]: entry for entry in told.runs[0].orders}
        for outcome, name in explain.LINE_FILES:
            rows = pl.read_csv(out / name, infer_schema=False)
            for order_id in orders:
                expected = sorted(
                    (row["item_id"], row.get("cancelled_by"))
                    for row in rows.iter_rows(named=True)
                    if row["order_id"] == order_id
                )
                got = sorted(
                    (line["item_id"], line["cancelled_by"])
                    for line in by_order[order_id]["lines"]
                    if line["outcome"] == outcome
                )
                assert got == expected, (order_id, outcome)
