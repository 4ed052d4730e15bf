"""The library face: reconcile.run, check, diff and explain, and the README's task."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import reconcile
from reconcile import publish
from tests.conftest import EXAMPLE, GOLDEN, ROOT, snapshot


def test_run_returns_the_summary_typed_and_publishes(tmp_path: Path) -> None:
    """It runs a night as the command line does and returns its counts."""
    summary = reconcile.run(EXAMPLE, out=tmp_path / "out")
    assert isinstance(summary, reconcile.RunSummary)
    assert (summary.applied, summary.rejected_count, summary.unmatched_count) == (12, 2, 1)
    assert (summary.lines_removed, summary.lines_held) == (12, 5)
    assert (summary.batches_queued, summary.batches_archived) == (2, 2)
    assert summary.out == tmp_path / "out" and summary.notes == ()
    assert summary.rejected is not None and summary.rejected.height == 2
    assert snapshot(tmp_path / "out") == snapshot(GOLDEN / "example")


def test_errors_carry_the_exit_status_of_the_command_line(tmp_path: Path) -> None:
    """It raises the documented classes with the command line's exit status and message."""
    bad = shutil.copytree(EXAMPLE, tmp_path / "bad")
    batches = bad / "batches.csv"
    batches.write_text(batches.read_text().replace("Filling", "Filing", 1))
    with pytest.raises(reconcile.InputDataError) as invalid:
        reconcile.run(bad, out=tmp_path / "out")
    assert invalid.value.exit_code == 65
    assert invalid.value.problems.get_column("kind").to_list() == ["unknown_status"]
    with pytest.raises(reconcile.UsageError) as usage:
        reconcile.run(EXAMPLE, out="")
    assert usage.value.exit_code == 2 and "empty text" in str(usage.value)
    with pytest.raises(reconcile.OverLimitError) as over:
        reconcile.run(EXAMPLE, out=tmp_path / "out", limits={"max_removed_lines": 3})
    assert over.value.exit_code == 65
    assert not (tmp_path / "out").exists()


def test_check_diff_and_explain(tmp_path: Path) -> None:
    """It checks without writing, compares the previous run with the current, and tells an
    order's story."""
    checked = reconcile.check(EXAMPLE)
    assert checked.valid and checked.summary is not None and checked.summary.applied == 12
    out = tmp_path / "out"
    reconcile.run(EXAMPLE, out=out)
    reconcile.run(EXAMPLE, out=out, extra_cancellations=[ROOT / "fixtures/bulk/cs-2026-11-26.csv"])
    comparison = reconcile.diff(out)
    assert [name for (name,) in [(d.name,) for d in comparison.diffs if not d.identical]][:2] == [
        "batch_items.csv",
        "removed_items.csv",
    ]
    told = reconcile.explain(out, orders=["O-0009"])
    assert told.found and told.runs[0].orders[0]["status"] == "Cancelled"


def readme_task() -> dict[str, Any]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- from-python:begin -->", 1)[1].split("<!-- from-python:end -->")[0]
    code = block.split("```python\n", 1)[1].rsplit("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md (From Python)", "exec"), namespace)
    return namespace


def test_the_readmes_orchestrator_task_runs_retries_and_fails_as_it_says(tmp_path: Path) -> None:
    """It runs the README's task: a night's counts; RetryLater while another run holds the
    lock or an export is stale; RuntimeError naming the exit status for bad input."""
    task = readme_task()
    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    out = tmp_path / "out"
    assert task["reconcile_night"](str(night), str(out)) == {"removed": 12, "queued": 2}
    with publish.locked(publish.store_for(out)), pytest.raises(task["RetryLater"]):
        task["reconcile_night"](str(night), str(out))
    then = time.time() - 3 * 86_400
    os.utime(night / "orders.csv", (then, then))
    with pytest.raises(task["RetryLater"], match="older than max_age 20h"):
        task["reconcile_night"](str(night), str(out))
    (night / "orders.csv").write_text("order_id\nO-1\n")
    with pytest.raises(RuntimeError, match=r"^reconcile exited 65: "):
        task["reconcile_night"](str(night), str(out))
