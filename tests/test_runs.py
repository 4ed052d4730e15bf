"""reconcile.runs: the kept runs as readers see them, and which files hold the same bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reconcile import runs
from reconcile.contract import SUMMARY
from reconcile.errors import DiffError
from tests.conftest import EXAMPLE, invoke


def test_same_bytes_compares_chunk_by_chunk_to_the_first_difference(tmp_path: Path) -> None:
    """It finds two files the same only when every byte is, across chunk borders, and two
    files of different sizes different without reading them."""
    chunk = runs.CHUNK
    left, right = tmp_path / "left", tmp_path / "right"
    data = bytes(range(256)) * (2 * chunk // 256 + 7)
    left.write_bytes(data)
    right.write_bytes(data)
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert runs.same_bytes(left, right, pool)
        for at in (0, chunk - 1, chunk, len(data) - 1):
            changed = bytearray(data)
            changed[at] ^= 1
            right.write_bytes(changed)
            assert not runs.same_bytes(left, right, pool), at
        right.write_bytes(data + b"\n")
        assert not runs.same_bytes(left, right, pool)
        (tmp_path / "empty").write_bytes(b"")
        (tmp_path / "also-empty").write_bytes(b"")
        assert runs.same_bytes(tmp_path / "empty", tmp_path / "also-empty", pool)


def test_same_bytes_is_false_for_a_missing_file_and_names_an_unreadable_one(
    tmp_path: Path,
) -> None:
    """It leaves a missing file or a folder to the comparison (which reports them), and
    raises DiffError naming a file it cannot read."""
    present = tmp_path / "present.csv"
    present.write_text("a\n")
    (tmp_path / "folder.csv").mkdir()
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert not runs.same_bytes(present, tmp_path / "missing.csv", pool)
        assert not runs.same_bytes(present, tmp_path / "folder.csv", pool)
        if os.geteuid() != 0:  # root reads a file whatever its mode
            locked = tmp_path / "locked.csv"
            locked.write_text("a\n")
            locked.chmod(0)
            with pytest.raises(DiffError, match=f"cannot read {locked}: Permission denied"):
                runs.same_bytes(present, locked, pool)


def test_identical_beside_answers_each_keyed_output_summary_first(tmp_path: Path) -> None:
    """It answers, for each keyed output (rejected and unmatched cancellations, keyed by their
    whole row, aside), whether both folders hold the same bytes, summary.json first."""
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        for name in runs.KEYED_OUTPUTS:
            (folder / name).write_text(f"{name}\n")
    (new / "batches.csv").write_text("changed\n")
    with runs.identical_beside(old, new) as identical:
        assert next(iter(identical)) == SUMMARY
        assert set(identical) == set(runs.KEYED_OUTPUTS)
        assert "rejected_cancellations.csv" not in identical
        answers = {name: found.result() for name, found in identical.items()}
    assert answers == {name: name != "batches.csv" for name in runs.KEYED_OUTPUTS}
    with runs.identical_beside(old, new, "orders.csv") as only:
        assert {name: found.result() for name, found in only.items()} == {"orders.csv": True}


def test_identical_beside_stops_its_threads_when_the_block_ends(tmp_path: Path) -> None:
    """It stops comparing when the block ends early (an error in the caller, say): no thread
    of its own outlives the block."""
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        for name in runs.KEYED_OUTPUTS:
            (folder / name).write_bytes(b"x" * (3 * runs.CHUNK))
    with pytest.raises(RuntimeError), runs.identical_beside(old, new):
        raise RuntimeError("the caller failed")
    assert not [thread for thread in threading.enumerate() if "same-bytes" in thread.name]


@pytest.mark.subprocess
def test_listing_the_runs_never_loads_polars(tmp_path: Path) -> None:
    """It lists an output folder's runs, as text and as JSON, without importing Polars
    (0.07 s against 0.18 s with it)."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    code = (
        "import sys\nfrom reconcile.cli import cli\n"
        "for extra in ([], ['--format', 'json'], ['--all']):\n"
        "    try:\n        cli(['runs', sys.argv[1], *extra], prog_name='reconcile')\n"
        "    except SystemExit as done:\n        assert done.code == 0, done.code\n"
        "print('polars' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"


def test_a_damaged_summary_is_listed_as_such(tmp_path: Path) -> None:
    """It lists a pruned run whose kept summary is torn, or a run whose summary.json was
    edited into another shape, by name with a line saying so (it failed with an internal
    error, exit 70, or called a torn history entry a folder taken over)."""
    out = tmp_path / "out"
    for _ in range(3):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", "1").exit_code == 0
    history = sorted((tmp_path / ".out.reconcile" / "history").iterdir())
    history[0].write_text('{"actions": ')  # pruned since: only the history has it
    kept_summary = Path(os.path.realpath(out)) / SUMMARY
    kept_summary.write_text('{"actions": {"refill": {"lines_removed": "many"}}}')
    result = invoke("runs", out, "--all")
    assert result.exit_code == 0, result.output
    damaged = "  its summary cannot be read as a run's (damaged, or edited by hand)"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{history[2].stem}  (current)")
    assert lines[1] == damaged
    assert lines[-2].startswith(f"{history[0].stem}  (pruned; summary kept)")
    assert lines[-1] == damaged
    assert len(lines) == 2 + 3 + 2


def test_a_current_run_deleted_by_hand_is_named_by_every_reader(tmp_path: Path) -> None:
    """It exits 2 naming the run OUT's link names when that run's folder is gone (deleted by
    hand): diff, report and explain alike (explain exited 1, "found nowhere ... of run(s)"
    with no run named); runs lists what is kept and names the gone run in a warning."""
    out = tmp_path / "out"
    for _ in range(2):
        assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    current = Path(os.path.realpath(out))
    shutil.rmtree(current)
    message = (
        f"reconcile: {out} has no current run: its link names the run {current.name}, which is "
        "gone (deleted by hand?); the next run publishes a new one\n"
    )
    for command in (
        ["diff", out],
        ["report", out, "--output", tmp_path / "night.html"],
        ["explain", out, "--order", "O-0009"],
    ):
        result = invoke(*command)
        assert (result.exit_code, result.stderr, result.stdout) == (2, message, ""), command
    listing = invoke("runs", out)  # what is kept is listed, the gone run named beside it
    assert (listing.exit_code, listing.stderr) == (
        0,
        message.replace("reconcile: ", "reconcile: warning: ", 1),
    )
    assert listing.stdout.count("(current)") == 0 and listing.stdout.count("\n  inputs:") == 1
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    assert invoke("diff", out).exit_code == 0
