"""reconcile diff: keyed comparison of two output folders, in three formats."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reconcile import compare as diff
from reconcile import csvio
from reconcile.contract import INPUTS
from reconcile.errors import DiffError
from tests.conftest import CORPORA, EXAMPLE, GOLDEN, ROOT, invoke

TWO_MORE_CANCELLATIONS = (
    'O-0009,,cs-dana,customer moved house\nO-0021,000133,cs-dana,"line cancelled: duplicate mug"\n'
)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """The example night's outputs, and those of the same night with two more cancellations."""
    more = tmp_path / "more"
    shutil.copytree(EXAMPLE, more)
    with (more / "cancellations.csv").open("a") as file:
        file.write(TWO_MORE_CANCELLATIONS)
    old, new = tmp_path / "old", tmp_path / "new"
    assert invoke("run", EXAMPLE, "--out", old, "-q").exit_code == 0
    assert invoke("run", more, "--out", new, "-q").exit_code == 0
    return old, new


def sides(old: Path, new: Path) -> str:
    """The two lines that open a text report: the sides, named by the paths given."""
    return f"old: {old}\nnew: {new}\n"


def copy_of(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target, symlinks=False)
    return target


@pytest.fixture
def two_copies(tmp_path: Path, folders: tuple[Path, Path]) -> tuple[Path, Path]:
    """Two plain copies of the example night's outputs, for a test to edit one or both."""
    return copy_of(folders[0], tmp_path / "a"), copy_of(folders[0], tmp_path / "b")


def test_identical_folders_exit_0(folders: tuple[Path, Path]) -> None:
    """It says every file is identical and exits 0."""
    old, _ = folders
    result = invoke("diff", old, old)
    assert result.exit_code == 0
    assert result.stdout.startswith(sides(old, old) + "batch_items.csv: identical\n")
    assert all(line.endswith(": identical") for line in result.stdout.splitlines()[2:])


def test_changes_are_shown_by_key_with_old_and_new_values(folders: tuple[Path, Path]) -> None:
    """It lists removed and added rows and changed columns as old -> new, and exits 1."""
    result = invoke("diff", *folders)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "batch_items.csv: 0 added, 2 removed, 0 changed (key: batch_id, item_id)" in lines
    assert "    ~ B-1003: item_count 4 -> 2" in lines
    assert "    ~ O-0009: status In Production -> Cancelled" in lines
    assert "    ~ cancellations.distinct: 15 -> 17" in lines


def test_markdown_report_matches_golden(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It renders the review tables exactly as the golden markdown, naming both sides."""
    monkeypatch.chdir(folders[0].parent)
    result = invoke("diff", folders[0].name, folders[1].name, "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout == (GOLDEN / "diff_two_more_cancellations.md").read_text()


def test_json_report_holds_everything(folders: tuple[Path, Path]) -> None:
    """It reports every row and every change as JSON."""
    result = invoke("diff", *folders, "--format", "json")
    content = json.loads(result.stdout)
    assert content["identical"] is False
    batches = next(item for item in content["files"] if item["file"] == "batches.csv")
    assert batches["changed"] == [
        {"batch_id": "B-1003", "column": "item_count", "old": "4", "new": "2"}
    ]
    assert batches["counts"] == {"added": 0, "removed": 0, "changed": 1}


def test_file_option_limits_the_comparison(folders: tuple[Path, Path]) -> None:
    """It compares only the file named by --file."""
    result = invoke("diff", *folders, "--file", "orders.csv")
    assert result.exit_code == 1
    assert result.stdout == sides(*folders) + (
        "orders.csv: 0 added, 0 removed, 1 changed (key: order_id)\n"
        "  changed:\n"
        "    ~ O-0009: status In Production -> Cancelled\n"
    )


def test_added_removed_and_extra_columns(two_copies: tuple[Path, Path]) -> None:
    """It reports rows added and removed, and columns present on one side only."""
    old, new = two_copies
    (new / "archive_list.csv").write_text(
        "batch_id,previous_status,items_removed,note\nB-1002,Filling,3,x\nB-2000,Filling,1,y\n"
    )
    (old / "archive_list.csv").write_text(
        "batch_id,previous_status,items_removed\nB-1002,Filling,3\nB-1005,Pending Generation,3\n"
    )
    result = invoke("diff", old, new, "--file", "archive_list.csv")
    assert result.exit_code == 1
    assert result.stdout == sides(old, new) + (
        "archive_list.csv: 1 added, 1 removed, 0 changed (key: batch_id)\n"
        "  columns only in new: note\n"
        "  added:\n"
        "    + batch_id=B-2000, previous_status=Filling, items_removed=1, note=y\n"
        "  removed:\n"
        "    - batch_id=B-1005, previous_status=Pending Generation, items_removed=3\n"
    )


def test_files_with_no_column_in_common_are_compared_by_place(
    two_copies: tuple[Path, Path],
) -> None:
    """It reports the columns of two versions of a file that share none, and the rows past
    the shorter one's as added or removed (rows pair by their places), instead of failing."""
    old, new = two_copies
    (old / "archive_list.csv").write_text("a,b\n1,2\n3,4\n")
    (new / "archive_list.csv").write_text("c\n5\n")
    result = invoke("diff", old, new, "--file", "archive_list.csv")
    assert (result.exit_code, result.stdout) == (
        1,
        sides(old, new) + "archive_list.csv: 0 added, 1 removed, 0 changed (no column in common)\n"
        "  columns only in new: c\n"
        "  columns only in old: a, b\n"
        "  removed:\n"
        "    - a=3, b=4\n",
    )


def test_a_file_on_one_side_only_is_reported(two_copies: tuple[Path, Path]) -> None:
    """It reports an output file missing from one folder."""
    old, new = two_copies
    (new / "held_items.csv").unlink()
    result = invoke("diff", old, new)
    assert result.exit_code == 1
    assert "held_items.csv: only in the old folder" in result.stdout.splitlines()


def test_a_missing_folder_or_unreadable_file_exits_2(
    tmp_path: Path, folders: tuple[Path, Path]
) -> None:
    """It exits 2 with one message for a missing folder or a file it cannot read."""
    missing = invoke("diff", folders[0], tmp_path / "nope")
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"reconcile: {tmp_path / 'nope'}: no such folder\n",
    )
    broken = copy_of(folders[0], tmp_path / "broken")
    (broken / "orders.csv").write_text('order_id,status\n"O1,Open\n')
    result = invoke("diff", folders[0], broken)
    assert result.exit_code == 2
    assert result.stderr == (
        f"reconcile: cannot read {broken / 'orders.csv'} row 2: "
        "a quoted field is still open at the end of the file\n"
    )


def test_byte_identical_files_are_identical_without_being_parsed(
    two_copies: tuple[Path, Path],
) -> None:
    """It reports a file whose bytes are the same on both sides as identical, without
    reading its rows (so even a file it could not parse), and still exits 2 on a file
    it cannot open."""
    old, new = two_copies
    for folder in (old, new):
        (folder / "orders.csv").write_text('order_id,status\n"O1,Open\n')
    same = invoke("diff", old, new, "--file", "orders.csv")
    assert (same.exit_code, same.stdout) == (0, sides(old, new) + "orders.csv: identical\n")
    (new / "orders.csv").unlink()
    (new / "orders.csv").mkdir()
    folder_instead = invoke("diff", old, new, "--file", "orders.csv")
    assert (folder_instead.exit_code, folder_instead.stderr) == (
        2,
        f"reconcile: cannot read {new / 'orders.csv'}: Is a directory\n",
    )


def test_repeated_keys_are_matched_by_occurrence(two_copies: tuple[Path, Path]) -> None:
    """It still pairs rows when a hand-edited file repeats a key: the nth with the nth."""
    old, new = two_copies
    (old / "archive_list.csv").write_text(
        "batch_id,previous_status,items_removed\nB-1,Filling,3\nB-1,Filling,4\n"
    )
    (new / "archive_list.csv").write_text(
        "batch_id,previous_status,items_removed\nB-1,Filling,3\nB-1,Filling,5\nB-1,Filling,6\n"
    )
    result = invoke("diff", old, new, "--file", "archive_list.csv")
    assert result.stdout == sides(old, new) + (
        "archive_list.csv: 1 added, 0 removed, 1 changed (key: batch_id)\n"
        "  added:\n"
        "    + batch_id=B-1, previous_status=Filling, items_removed=6\n"
        "  changed:\n"
        "    ~ B-1: items_removed 4 -> 5\n"
    )


def test_rows_of_a_repeated_key_pair_with_their_equals_first() -> None:
    """It pairs a repeated key's rows that are the same in every column before the others
    (the nth with the nth): rows merely in another order are no difference, and of three
    rows of a key one changed is one change."""
    columns = ("batch_id", "previous_status", "items_removed")

    def frame(*counts: str) -> pl.DataFrame:
        rows = [("B-1", "Filling", count) for count in counts]
        return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")

    assert diff.compare_tables("archive_list.csv", frame("3", "4"), frame("4", "3")).identical
    one_change = diff.compare_tables("archive_list.csv", frame("3", "4", "5"), frame("4", "5", "6"))
    assert (one_change.added.height, one_change.removed.height) == (0, 0)
    assert one_change.changes.rows() == [("B-1", "items_removed", "3", "6")]


def test_unsorted_files_diff_like_sorted_ones(tmp_path: Path, folders: tuple[Path, Path]) -> None:
    """It gives the same report when a file's rows are out of key order (hand-edited)."""
    old, new = folders
    shuffled = copy_of(new, tmp_path / "shuffled")
    lines = (new / "batch_items.csv").read_text().splitlines(keepends=True)
    (shuffled / "batch_items.csv").write_text(lines[0] + "".join(reversed(lines[1:])))
    expected = invoke("diff", old, new, "--file", "batch_items.csv").stdout
    got = invoke("diff", old, shuffled, "--file", "batch_items.csv").stdout
    assert got.replace(str(shuffled), str(new)) == expected


KEY_VALUES = st.sampled_from(["a", "b", "c", "d", None])
ROWS = st.lists(st.tuples(KEY_VALUES, KEY_VALUES, st.sampled_from(["1", "2", None])), max_size=8)


def _frame(rows: list[tuple[str | None, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=dict.fromkeys(("batch_id", "item_id", "status"), pl.String), orient="row"
    )


@given(old_rows=ROWS, new_rows=ROWS, sort_old=st.booleans(), sort_new=st.booleans())
def test_pairing_by_hash_agrees_with_joins_on_values(
    old_rows: list[tuple[str | None, str | None, str | None]],
    new_rows: list[tuple[str | None, str | None, str | None]],
    sort_old: bool,
    sort_new: bool,
) -> None:
    """It finds the same added, removed and changed rows whether rows are paired by
    position, by hash or by joins on the values: sorted or not, keys repeated or empty."""
    old, new = _frame(old_rows), _frame(new_rows)
    if sort_old:
        old = old.sort("batch_id", "item_id")
    if sort_new:
        new = new.sort("batch_id", "item_id")
    found = diff.compare_tables("held_items.csv", old, new)
    added, removed, changes, changed_rows = diff._compare_by_joins(
        old, new, ["batch_id", "item_id"], ["status"]
    )
    # with repeated keys, which occurrence pairs with which may differ: compare as multisets
    assert found.added.sort(pl.all()).equals(added.sort(pl.all()), null_equal=True)
    assert found.removed.sort(pl.all()).equals(removed.sort(pl.all()), null_equal=True)
    assert found.changed_rows == changed_rows
    assert found.changes.sort(pl.all()).equals(changes.sort(pl.all()), null_equal=True)


def test_rows_pair_by_contract_keys_under_each_sides_headers(tmp_path: Path) -> None:
    """It reads each side's column names from its summary: the example night and the same night
    under Kornit X headers hold the same batch lines, and differ only in the run's values."""
    old, new = tmp_path / "example", tmp_path / "kornit"
    assert invoke("run", EXAMPLE, "--out", old, "-q").exit_code == 0
    config = ROOT / "fixtures" / "kornit-x" / "reconcile.toml"
    assert invoke("run", "--config", config, "--out", new, "-q").exit_code == 0
    lines = invoke("diff", old, new, "--file", "batch_items.csv")
    assert (lines.exit_code, lines.stdout) == (0, sides(old, new) + "batch_items.csv: identical\n")
    orders = invoke("diff", old, new, "--file", "orders.csv")
    assert orders.stdout.splitlines()[2:5] == [
        "orders.csv: 0 added, 0 removed, 11 changed (key: order.external_ref)",
        "  changed:",
        "    ~ O-0002: order.status Cancelled -> 128",
    ]


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, list[str]]:
    """An output folder with two runs: the example night, then with the example policy."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    policy = ROOT / "fixtures" / "policy.example.toml"
    assert invoke("run", EXAMPLE, "--out", out, "-q", "--policy", policy).exit_code == 0
    names = sorted(path.name for path in (tmp_path / ".out.reconcile" / "runs").iterdir())
    return out, names


def test_one_output_folder_compares_the_previous_run_with_the_current(
    two_runs: tuple[Path, list[str]],
) -> None:
    """It compares OUT's run before the current one with the current one, naming both by
    their run names in every format."""
    out, (previous, current) = two_runs
    text = invoke("diff", out, "--file", "batches.csv")
    assert (text.exit_code, text.stdout) == (
        1,
        f"old: {previous}\nnew: {current}\nbatches.csv: 0 added, 0 removed, 1 changed "
        "(key: batch_id)\n  changed:\n    ~ B-1011: item_count 4 -> 2\n",
    )
    markdown = invoke("diff", out, "--format", "markdown")
    assert markdown.stdout.startswith(f"Comparing old `{previous}` with new `{current}`.\n")
    content = json.loads(invoke("diff", out, "--format", "json").stdout)
    assert (content["old"], content["new"]) == (previous, current)


def test_one_output_folder_without_an_earlier_run_exits_2(tmp_path: Path) -> None:
    """It exits 2 when OUT holds only one run, and when OUT is not a run's output folder."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    only = invoke("diff", out)
    assert only.exit_code == 2
    assert only.stderr.startswith(f"reconcile: {out} has no earlier run to compare with")
    plain = invoke("diff", EXAMPLE)
    assert (plain.exit_code, plain.stderr) == (
        2,
        f"reconcile: {EXAMPLE} is not an output folder written by reconcile run\n",
    )


def test_runs_lists_the_kept_runs_newest_first(two_runs: tuple[Path, list[str]]) -> None:
    """It lists each run's name, time, inputs with short digests, and counts; as JSON, in the
    contract's shape with each run's summary."""
    out, (previous, current) = two_runs
    result = invoke("runs", out)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{current}  (current)  20")
    assert lines[1] == (
        "  inputs: orders.csv 9a1a446141ef, batches.csv ca9ddc0ad98a, batch_items.csv "
        "a88a22cef791, cancellations.csv bbc57f9da907"
    )
    assert lines[2] == (
        "  cancellations: 12 applied, 2 rejected, 1 unmatched; lines: 14 removed, 3 held; "
        "batches: 3 queued, 2 archived"
    )
    assert lines[3].startswith(f"{previous}  20")
    content = json.loads(invoke("runs", out, "--format", "json").stdout)
    assert [(run["name"], run["current"]) for run in content["runs"]] == [
        (current, True),
        (previous, False),
    ]
    assert content["runs"][0]["summary"] == json.loads((out / "summary.json").read_text())


def test_runs_lists_older_summaries_and_folders_without_one(
    two_runs: tuple[Path, list[str]],
) -> None:
    """It lists a run whose summary names each input by its contract file alone (as summaries
    did before configurations), and says so of a run folder without summary.json."""
    out, (previous, current) = two_runs
    runs = out.parent / ".out.reconcile" / "runs"
    older = runs / previous / "summary.json"
    content = json.loads(older.read_text())
    content["inputs"] = {
        file.name: {"sha256": f"{index}" * 64} for index, file in enumerate(INPUTS)
    }
    older.write_text(json.dumps(content))
    (runs / current / "summary.json").unlink()
    lines = invoke("runs", out).stdout.splitlines()
    assert lines[0].startswith(f"{current}  (current)  20")
    assert lines[1] == "  no summary.json (a folder taken over, not a run's outputs)"
    assert lines[2].startswith(f"{previous}  20")
    assert lines[3] == (
        "  inputs: orders.csv 000000000000, batches.csv 111111111111, "
        "batch_items.csv 222222222222, cancellations.csv 333333333333"
    )


def test_the_same_rows_re_exported_are_no_difference(tmp_path: Path) -> None:
    """It shows inputs whose names or digests alone changed (CRLF and a BOM) apart, and exits 0."""
    again = shutil.copytree(EXAMPLE, tmp_path / "again")
    for path in again.iterdir():
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    assert invoke("run", again, "--out", out, "-q").exit_code == 0
    result = invoke("diff", out)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "summary.json: identical" in lines
    assert (
        "inputs (file names and digests; never a difference by themselves): "
        "0 added, 0 removed, 4 changed (key: entry)" in lines
    )


def test_limit_caps_rows_per_section_and_empty_values_print_empty(
    two_copies: tuple[Path, Path],
) -> None:
    """It shows --limit rows per section (0: all), and an empty value as nothing, not None."""
    old, new = two_copies
    (new / "archive_list.csv").write_text(
        "batch_id,previous_status,items_removed\nB-1,,1\nB-2,,2\nB-3,,3\n"
    )
    one = invoke("diff", old, new, "--file", "archive_list.csv", "--limit", "1")
    assert one.stdout.splitlines()[4:7] == [
        "    + batch_id=B-1, previous_status=, items_removed=1",
        "    ... and 2 more (--limit 0 shows all)",
        "  removed:",
    ]
    every = invoke("diff", old, new, "--file", "archive_list.csv", "--limit", "0")
    assert "    + batch_id=B-3, previous_status=, items_removed=3" in every.stdout.splitlines()
    assert "None" not in every.stdout


def test_markdown_escapes_header_cells(two_copies: tuple[Path, Path]) -> None:
    """It escapes a header holding a line break or a pipe as it escapes values, so the
    table stays one table (a line break in a header broke it)."""
    old, new = two_copies
    header = 'batch_id,previous_status,items_removed,"line\nbreak|pipe"\n'
    (old / "archive_list.csv").write_text(header + "B-1002,Filling,3,x\n")
    (new / "archive_list.csv").write_text(header + "B-1002,Filling,3,x\nB-2000,Filling,1,y\n")
    result = invoke("diff", old, new, "--file", "archive_list.csv", "--format", "markdown")
    assert result.exit_code == 1
    assert (
        "| batch_id | previous_status | items_removed | line\\nbreak\\|pipe |\n"
        "|---|---|---|---|\n"
        "| B-2000 | Filling | 1 | y |\n"
    ) in result.stdout


QUOTED_LINES = (
    "batch_id,order_id,item_id,quantity,description\n"
    'B-1,O-1,"""7""",1,"Canvas 16"" x 20"""\n'
    'B-1,O-1,0002,1,"Mug 11"""\n'
    "B-1,O-1,0003,2,Tote bag\n"
    'B-2,O-2,0004,1,"Vinyl 7"" sleeve"\n'
)


@pytest.mark.parametrize("empty_quoted", [False, True], ids=["both-as-written", "one-decoded"])
def test_quoted_cells_compare_as_values_and_show_decoded(
    two_copies: tuple[Path, Path], empty_quoted: bool
) -> None:
    """It compares cells kept quoted as written (each side's minimal quoting) by their values,
    whether the other side's column was decoded or not (a quoted empty field makes it so),
    and shows every value decoded: a key, an added or removed row, an old and a new value."""
    old, new = two_copies
    (old / "batch_items.csv").write_text(QUOTED_LINES)
    changed = (
        QUOTED_LINES.replace('"Canvas 16"" x 20"""', '"Canvas 16"" x 24"""')
        .replace('B-2,O-2,0004,1,"Vinyl 7"" sleeve"\n', "")
        .replace("Tote bag", '""' if empty_quoted else "Tote bag")
    )
    (new / "batch_items.csv").write_text(changed + 'B-3,O-3,0005,1,"Poster 12"" x 18"""\n')
    result = invoke("diff", old, new, "--file", "batch_items.csv")
    assert result.exit_code == 1
    expected_changes = ['    ~ B-1 / "7": description Canvas 16" x 20" -> Canvas 16" x 24"']
    if empty_quoted:
        expected_changes.append("    ~ B-1 / 0003: description Tote bag -> ")
    assert result.stdout == sides(old, new) + "\n".join(
        [
            f"batch_items.csv: 1 added, 1 removed, {len(expected_changes)} changed "
            "(key: batch_id, item_id)",
            "  added:",
            '    + batch_id=B-3, order_id=O-3, item_id=0005, quantity=1, description=Poster 12" x 18"',
            "  removed:",
            '    - batch_id=B-2, order_id=O-2, item_id=0004, quantity=1, description=Vinyl 7" sleeve',
            "  changed:",
            *expected_changes,
            "",
        ]
    )


# Texts as people type them into an export's free-text columns: quotes, commas, line breaks.
CELL = st.one_of(st.none(), st.text(alphabet='a" ,\n', min_size=1, max_size=6))
LINE_ROWS = st.lists(
    st.tuples(st.sampled_from(["B1", "B2", 'B"3']), st.sampled_from(["1", "2", '"3"']), CELL, CELL),
    max_size=8,
    unique_by=lambda row: (row[0], row[1]),
)
LINE_COLUMNS = ("batch_id", "item_id", "quantity", "description")


@given(old_rows=LINE_ROWS, new_rows=LINE_ROWS)
def test_files_compare_as_the_values_they_hold(
    old_rows: list[tuple[str, str, str | None, str | None]],
    new_rows: list[tuple[str, str, str | None, str | None]],
) -> None:
    """It finds, between two files as the job writes them (minimal quoting), exactly the
    added, removed and changed rows and values that the values themselves differ by, and
    shows them as values: whether a column's quoted cells were compared as written or
    decoded, on either side."""
    old, new = (
        pl.DataFrame(rows, schema=dict.fromkeys(LINE_COLUMNS, pl.String), orient="row")
        for rows in (old_rows, new_rows)
    )
    expected = diff.compare_tables("batch_items.csv", old.sort("batch_id"), new.sort("batch_id"))
    with tempfile.TemporaryDirectory() as scratch:
        folders = Path(scratch) / "old", Path(scratch) / "new"
        for folder, frame in zip(folders, (old, new), strict=True):
            folder.mkdir()
            csvio.write_csv(frame.sort("batch_id"), folder / "batch_items.csv")
        (found,) = diff.compare_folders(*folders, only="batch_items.csv")
    assert found.identical == expected.identical
    if not found.identical:  # (a file the same byte for byte is not even parsed)
        for side in ("added", "removed", "changes"):
            assert getattr(found, side).equals(getattr(expected, side), null_equal=True), side
        assert found.changed_rows == expected.changed_rows


# ---- lines the same byte for byte ---------------------------------------------------------

MANY_LINES = "batch_id,order_id,item_id,quantity,description\n" + "".join(
    f'B-{number // 4},O-{number // 2},{number:04},1,"Poster {number}"" x 18"""\n'
    for number in range(12)
)


def _parsed_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the texts ``diff`` parses as CSV, as it parses them."""
    sizes: list[int] = []
    read = csvio.read_csv_bytes

    def recorded(data: bytes, *args: object, **kwargs: object) -> csvio.ReadResult:
        sizes.append(len(data))
        return read(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(csvio, "read_csv_bytes", recorded)
    return sizes


def test_lines_the_same_byte_for_byte_are_not_parsed(
    two_copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It parses only the header and the lines one side lacks when most lines are the same
    bytes on both sides, and reports what the whole files differ by."""
    old, new = two_copies
    (old / "batch_items.csv").write_text(MANY_LINES)
    lines = MANY_LINES.splitlines(keepends=True)
    changed = lines[5].replace("Poster 4", "Poster 40")
    (new / "batch_items.csv").write_text("".join([*lines[:3], *lines[4:5], changed, *lines[6:]]))
    sizes = _parsed_sizes(monkeypatch)
    result = invoke("diff", old, new, "--file", "batch_items.csv")
    assert sizes == [len(lines[0]) + len(lines[3]) + len(lines[5]), len(lines[0]) + len(changed)]
    assert (result.exit_code, result.stdout) == (
        1,
        sides(old, new)
        + "batch_items.csv: 0 added, 1 removed, 1 changed (key: batch_id, item_id)\n"
        "  removed:\n"
        '    - batch_id=B-0, order_id=O-1, item_id=0002, quantity=1, description=Poster 2" x 18"\n'
        "  changed:\n"
        '    ~ B-1 / 0004: description Poster 4" x 18" -> Poster 40" x 18"\n',
    )


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda text: text.replace('"Poster 7""', '"Poster\n7""'), id="line-break"),
        pytest.param(lambda text: text.replace("\n", "\r\n"), id="one-side-crlf"),
        pytest.param(lambda text: text.replace("batch_id,", "Batch_ID,", 1), id="other-header"),
        pytest.param(lambda text: text + text.splitlines(keepends=True)[3], id="repeated-line"),
    ],
)
def test_files_whose_lines_cannot_pair_alone_are_parsed_whole(
    two_copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, edit: Callable[[str], str]
) -> None:
    """It parses both files whole when a line of the new one is not a whole record (a value
    holds a line break), when one file has CRLF line ends and the other not (the headers
    differ), when the headers differ otherwise, or when a line repeats: what it reports is
    what the values differ by."""
    old, new = two_copies
    (old / "batch_items.csv").write_text(MANY_LINES)
    (new / "batch_items.csv").write_bytes(edit(MANY_LINES).encode())
    sizes = _parsed_sizes(monkeypatch)
    found = diff.compare_folders(old, new, only="batch_items.csv")[0]
    assert sizes == [len(MANY_LINES), len(edit(MANY_LINES).encode())]
    frames = [
        csvio.read_csv_bytes(side.read_bytes(), "x").table
        for side in (old / "batch_items.csv", new / "batch_items.csv")
    ]
    assert frames[0] is not None and frames[1] is not None
    expected = diff.compare_tables("batch_items.csv", frames[0].frame, frames[1].frame)
    assert (found.added.height, found.removed.height, found.changed_rows) == (
        expected.added.height,
        expected.removed.height,
        expected.changed_rows,
    )


def test_a_line_that_cannot_be_read_is_named_by_its_row_in_the_whole_file(
    two_copies: tuple[Path, Path],
) -> None:
    """It exits 2 naming the row of the whole file when a line only one side holds is not a
    valid row (the lines are then parsed whole)."""
    old, new = two_copies
    (old / "batch_items.csv").write_text(MANY_LINES)
    lines = MANY_LINES.splitlines(keepends=True)
    lines[6] = "B-1,O-2,0005,1\n"
    (new / "batch_items.csv").write_text("".join(lines))
    result = invoke("diff", old, new, "--file", "batch_items.csv")
    assert (result.exit_code, result.stderr) == (
        2,
        f"reconcile: cannot read {new / 'batch_items.csv'} row 7: "
        "row has 4 field(s), the header has 5\n",
    )


REPEATED_KEY_ROWS = st.lists(
    st.tuples(st.sampled_from(["B1", 'B"2']), st.sampled_from(["1", "2"]), CELL, CELL),
    max_size=6,
)


@given(
    shared=REPEATED_KEY_ROWS,
    old_only=REPEATED_KEY_ROWS,
    new_only=REPEATED_KEY_ROWS,
    order=st.randoms(use_true_random=False),
)
@example(  # a repeated key's two rows, swapped
    shared=[("B1", "1", "a", None), ("B1", "1", "b", None)],
    old_only=[],
    new_only=[],
    order=random.Random(1),
)
def test_pairing_lines_first_finds_what_the_whole_files_differ_by(
    shared: list[tuple[str, str, str | None, str | None]],
    old_only: list[tuple[str, str, str | None, str | None]],
    new_only: list[tuple[str, str, str | None, str | None]],
    order: Any,
) -> None:
    """It reports the same added, removed and changed rows whether lines the same byte for
    byte were paired first or the whole files parsed: keys repeated or not, values with
    quotes, commas and line breaks, rows in any order."""
    old_rows, new_rows = shared + old_only, shared + new_only
    order.shuffle(new_rows)
    with tempfile.TemporaryDirectory() as scratch:
        folders = Path(scratch) / "old", Path(scratch) / "new"
        for folder, rows in zip(folders, (old_rows, new_rows), strict=True):
            folder.mkdir()
            frame = pl.DataFrame(rows, schema=dict.fromkeys(LINE_COLUMNS, pl.String), orient="row")
            csvio.write_csv(frame, folder / "batch_items.csv")
        with patch.object(diff, "FEWEST_PAIRED", 0.0):
            (by_lines,) = diff.compare_folders(*folders, only="batch_items.csv")
        with patch.object(diff, "_differing_lines", lambda *arguments: None):
            (whole,) = diff.compare_folders(*folders, only="batch_items.csv")
    assert by_lines.identical == whole.identical
    assert by_lines.changed_rows == whole.changed_rows
    for side in ("added", "removed", "changes"):
        found, expected = getattr(by_lines, side), getattr(whole, side)
        # rows of a repeated key may come in another order: compared as multisets
        assert found.sort(pl.all()).equals(expected.sort(pl.all()), null_equal=True), side


def test_crlf_files_pair_their_lines_too(
    two_copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It pairs the lines of two CRLF files as it does LF ones, and parses them whole when a
    line only one side holds ends in a carriage return of its own (CR CR LF)."""
    old, new = two_copies
    crlf = MANY_LINES.replace("\n", "\r\n")
    lines = crlf.splitlines(keepends=True)
    (old / "batch_items.csv").write_bytes(crlf.encode())
    changed = lines[5].replace("Poster 4", "Poster 40")
    (new / "batch_items.csv").write_bytes("".join([*lines[:5], changed, *lines[6:]]).encode())
    sizes = _parsed_sizes(monkeypatch)
    (found,) = diff.compare_folders(old, new, only="batch_items.csv")
    header = len(lines[0])
    assert sizes == [header + len(lines[5]) - 1, header + len(changed) - 1]  # LF-ended there
    assert found.changes.rows() == [
        ("B-1", "0004", "description", 'Poster 4" x 18"', 'Poster 40" x 18"')
    ]
    sizes.clear()
    two_returns = "B-9,O-9,0099,1,Tote bag\r\r\n"
    (new / "batch_items.csv").write_bytes((crlf + two_returns).encode())
    (found,) = diff.compare_folders(old, new, only="batch_items.csv")
    assert sizes == [len(crlf), len(crlf) + len(two_returns)]
    assert found.added.rows() == [("B-9", "O-9", "0099", "1", "Tote bag\r")]


SPECTRUM = CORPORA / "csv-spectrum" / "csvs"


def _both_ways(old: bytes, new: bytes) -> list[Any]:
    """What the line pairing and the whole parse each find between ``old`` and ``new`` (as
    an archive list: the key, batch_id, is absent, so rows pair as whole rows)."""
    found: list[Any] = []
    with tempfile.TemporaryDirectory() as scratch:
        folders = Path(scratch) / "old", Path(scratch) / "new"
        for folder, content in zip(folders, (old, new), strict=True):
            folder.mkdir()
            (folder / "archive_list.csv").write_bytes(content)
        for way in (
            patch.object(diff, "FEWEST_PAIRED", 0.0),
            patch.object(diff, "_differing_lines", lambda *arguments: None),
        ):
            with way:
                try:
                    (result,) = diff.compare_folders(*folders, only="archive_list.csv")
                except DiffError as error:
                    found.append(str(error).replace(scratch, ""))
                    continue
            found.append(
                [result.identical, result.changed_rows]
                + [getattr(result, side).sort(pl.all()).rows() for side in ("added", "removed")]
            )
    return found


@pytest.mark.skipif(not SPECTRUM.is_dir(), reason="../shared/corpora/csv-spectrum is not present")
@pytest.mark.parametrize(
    "name", sorted(path.name for path in SPECTRUM.glob("*.csv")) if SPECTRUM.is_dir() else []
)
def test_csv_spectrum_files_diff_alike_by_lines_and_whole(name: str) -> None:
    """It finds the same differences by pairing lines first as by parsing whole, on every
    csv-spectrum file against itself with a line more, a line less and a byte changed:
    quoted commas, quotes, line breaks in values, CRLF, UTF-8, empty files."""
    content = (SPECTRUM / name).read_bytes()
    lines = content.splitlines(keepends=True)
    for edited in (
        content + b"x,y\n",
        b"".join(lines[:-1]),
        content.replace(b"1", b"9", 1),
    ):
        by_lines, whole = _both_ways(content, edited)
        assert by_lines == whole
