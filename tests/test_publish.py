"""All-or-nothing outputs: fault injection, SIGKILL, concurrent runs, locks, unwritable folders."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconcile import csvio, publish
from reconcile.synth import generate
from tests.conftest import CASES, EXAMPLE, GOLDEN, invoke, snapshot

BIG_LINES = 500_000  # long enough that a kill lands inside a stage (0.7-1.7 s a run so far)


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """An output folder holding an earlier run's outputs (of the small base night)."""
    out = tmp_path / "out"
    assert invoke("run", CASES / "base", "--out", out, "--quiet").exit_code == 0
    return out


def leftovers(out: Path) -> list[str]:
    store = publish.store_for(out)
    return sorted(path.name for path in store.root.glob("tmp-*")) + sorted(
        path.name for path in store.root.glob("*.tmp")
    )


def failing_on_call(
    target: Callable[..., Any], fail_at: int, calls: list[int]
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == fail_at:
            raise OSError(28, "No space left on device")
        return target(*args, **kwargs)

    return wrapper


OUTPUT_FILES = 9  # eight CSVs and summary.json


@pytest.mark.parametrize("fail_at", range(1, OUTPUT_FILES + 1))
def test_a_failed_file_write_leaves_the_previous_outputs(
    monkeypatch: pytest.MonkeyPatch, previous: Path, fail_at: int
) -> None:
    """It exits 73 when the Nth output file cannot be written, and the previous outputs stay intact."""
    before = snapshot(previous)
    calls = [0]
    monkeypatch.setattr(csvio, "write_csv", failing_on_call(csvio.write_csv, fail_at, calls))
    monkeypatch.setattr(csvio, "write_text", failing_on_call(csvio.write_text, fail_at, calls))
    result = invoke("run", EXAMPLE, "--out", previous)
    assert result.exit_code == 73
    assert result.stderr.startswith(f"reconcile: cannot write the outputs into {previous}:")
    assert snapshot(previous) == before
    assert leftovers(previous) == []
    monkeypatch.undo()
    assert invoke("run", EXAMPLE, "--out", previous, "--quiet").exit_code == 0
    assert snapshot(previous) == snapshot(GOLDEN / "example")


PUBLISH_CALLS = ("fsync", "rename", "replace", "symlink")


def test_a_failure_at_every_publish_step_leaves_the_previous_outputs(
    monkeypatch: pytest.MonkeyPatch, previous: Path
) -> None:
    """It exits 73 when any fsync, rename or link step of publishing fails, for every step in turn."""
    before = snapshot(previous)
    fail_at = 1
    while True:
        calls = [0]
        for name in PUBLISH_CALLS:
            monkeypatch.setattr(
                publish.os, name, failing_on_call(getattr(os, name), fail_at, calls)
            )
        result = invoke("run", EXAMPLE, "--out", previous)
        monkeypatch.undo()
        if calls[0] < fail_at:  # every step passed: this run published
            assert result.exit_code == 0
            break
        assert result.exit_code == 73, (fail_at, result.output)
        current = snapshot(previous)
        # a failure after the link switch (the last fsync) has already published the new set
        assert current in (before, snapshot(GOLDEN / "example")), fail_at
        if current == before:
            assert leftovers(previous) == [], fail_at
        fail_at += 1
    assert fail_at > 5  # the loop really walked through the publish steps
    assert invoke("run", EXAMPLE, "--out", previous, "--quiet").exit_code == 0
    assert snapshot(previous) == snapshot(GOLDEN / "example")
    assert leftovers(previous) == []


@pytest.fixture(scope="module")
def big_night() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "night"
        generate(folder, BIG_LINES, seed=7)
        os.chmod(temp, 0o755)
        yield folder


def reconcile_process(*args: str | Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconcile", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


@pytest.mark.subprocess
def test_sigkill_at_any_moment_leaves_old_or_new_outputs_and_the_next_run_recovers(
    tmp_path: Path, big_night: Path
) -> None:
    """A run killed with SIGKILL early, mid-way or late leaves a complete output set, and the
    next run succeeds without clean-up and gives the same bytes as an undisturbed run.

    The moments are fractions of an undisturbed run's time measured here, so a machine of
    any speed kills the run at the same points of its work (nothing asserts how long it took).
    """
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert reconcile_process("run", big_night, "--out", reference, "-q").wait() == 0
    duration = time.monotonic() - started
    expected = snapshot(reference)

    out = tmp_path / "out"
    assert invoke("run", CASES / "base", "--out", out, "-q").exit_code == 0
    before = snapshot(out)
    for fraction in (0.05, 0.3, 0.6, 0.8, 0.9, 0.97):
        process = reconcile_process("run", big_night, "--out", out, "-q")
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert snapshot(out) in (before, expected), fraction
        rerun = reconcile_process("run", big_night, "--out", out, "-q")
        assert rerun.wait() == 0, rerun.stderr.read() if rerun.stderr else ""
        assert snapshot(out) == expected
        assert leftovers(out) == []
        before = expected


KILL_AT_STEP = """
import os, signal, sys
calls = [0]
def killing(original):
    def step(*args, **kwargs):
        calls[0] += 1
        if calls[0] == {step}:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return step
from reconcile import publish
for name in {names!r}:
    setattr(publish.os, name, killing(getattr(os, name)))
from reconcile.cli import main
sys.argv = ["reconcile", *sys.argv[1:]]
main()
"""


@pytest.mark.subprocess
def test_sigkill_at_every_publish_step_is_recovered(tmp_path: Path) -> None:
    """A process killed at each fsync, rename and link step of publishing leaves the old or the new
    outputs, and the next run recovers and publishes."""
    out = tmp_path / "out"
    assert invoke("run", CASES / "base", "--out", out, "-q").exit_code == 0
    old = snapshot(out)
    new = snapshot(GOLDEN / "example")
    step = 1
    while True:
        script = KILL_AT_STEP.format(step=step, names=PUBLISH_CALLS)
        status = subprocess.run(
            [sys.executable, "-c", script, "run", str(EXAMPLE), "--out", str(out), "-q"],
            capture_output=True,
        ).returncode
        if status == 0:
            break
        assert status == -signal.SIGKILL
        assert snapshot(out) in (old, new), step
        assert invoke("run", CASES / "base", "--out", out, "-q").exit_code == 0
        assert snapshot(out) == old
        assert leftovers(out) == []
        step += 1
    assert step > 5


HOLD_AFTER_READING = """
import sys
from reconcile import pipeline
original = pipeline.load
def load(*args, **kwargs):
    loaded = original(*args, **kwargs)
    print("holding", flush=True)
    sys.stdin.readline()
    return loaded
pipeline.load = load
from reconcile.cli import main
sys.argv = ["reconcile", *sys.argv[1:]]
main()
"""


@pytest.mark.subprocess
def test_a_second_run_exits_75_at_once_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    """Of two runs on one output folder, the one that finds the other holding the lock exits
    75 at once naming the holder, and the holder then publishes. (The first run waits, lock
    held, until the test lets it go: no sleep decides the order.)"""
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AFTER_READING, "run", str(EXAMPLE), "--out", str(out), "-q"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == b"holding\n"
    second = reconcile_process("run", EXAMPLE, "--out", out, "-q")
    _, message = second.communicate()
    assert second.returncode == 75
    assert re.fullmatch(
        rf"reconcile: another run \(pid {holder.pid}, started \S+Z\) holds the lock on "
        rf"{re.escape(str(out))}; try again later, or give --wait SECONDS\n",
        message.decode(),
    )
    holder.stdin.write(b"\n")
    holder.stdin.close()
    assert holder.wait() == 0
    assert snapshot(out) == snapshot(GOLDEN / "example")


def test_wait_gives_up_after_the_time_given_or_gets_the_lock(tmp_path: Path) -> None:
    """It exits 75 after --wait seconds while the lock is held, and runs once it is released."""
    out = tmp_path / "out"
    store = publish.store_for(out)
    with publish.locked(store):
        result = invoke("run", EXAMPLE, "--out", out, "--wait", "0.3")
        assert result.exit_code == 75
        assert f"holds the lock on {out} after waiting 0.3s;" in result.stderr
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with publish.locked(store):
            acquired.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    acquired.wait()
    # the run starts waiting while the lock is held, and gets it once the holder lets go
    threading.Timer(0.2, release.set).start()
    result = invoke("run", EXAMPLE, "--out", out, "--wait", "600", "-q")
    holder.join()
    assert result.exit_code == 0


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can create entries in: mode 555, and immutable when we run as root
    (root ignores modes; CI runs as root)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    os.chmod(folder, 0o555)
    immutable = os.geteuid() == 0
    if (
        immutable
        and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0
    ):
        pytest.skip(
            "running as root and chattr +i is not available: no way to make a read-only folder"
        )
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        os.chmod(folder, 0o755)


def test_an_unwritable_output_parent_exits_73_and_touches_nothing(read_only_folder: Path) -> None:
    """It exits 73 when the output folder's parent is read-only, without writing anywhere."""
    result = invoke("run", EXAMPLE, "--out", read_only_folder / "out")
    assert result.exit_code == 73
    assert re.fullmatch(
        rf"reconcile: cannot write the output folder: {re.escape(str(read_only_folder))}/\.out\.reconcile: "
        r"(Permission denied|Operation not permitted)\n",
        result.stderr,
    )
    assert list(read_only_folder.iterdir()) == []


def test_an_output_path_that_is_a_file_exits_73(tmp_path: Path) -> None:
    """It exits 73 when --out names a file."""
    target = tmp_path / "out"
    target.write_text("not a folder")
    result = invoke("run", EXAMPLE, "--out", target)
    assert result.exit_code == 73
    assert (
        result.stderr
        == f"reconcile: cannot write outputs to {target}: it is a file, not a folder\n"
    )
    assert target.read_text() == "not a folder"


def test_an_ordinary_output_folder_is_taken_over_and_kept(tmp_path: Path) -> None:
    """It swaps an existing ordinary folder for the link and keeps the old files as a previous run."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("yesterday")
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    assert out.is_symlink()
    assert snapshot(out) == snapshot(GOLDEN / "example")
    kept = [
        path for path in publish.store_for(out).runs.iterdir() if path.name.endswith("-taken-over")
    ]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "yesterday"


def test_keep_limits_the_previous_runs(tmp_path: Path) -> None:
    """It keeps the current run and --keep previous ones."""
    out = tmp_path / "out"
    for _ in range(4):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", "2").exit_code == 0
    runs = sorted(publish.store_for(out).runs.iterdir())
    assert len(runs) == 3
    assert Path(os.readlink(out)).name == runs[-1].name  # (not resolved: see the next test)


def test_a_linked_folder_on_the_way_to_out_keeps_the_current_run(tmp_path: Path) -> None:
    """It keeps the run it has just published, and --keep previous ones, when a folder on the
    way to --out is a symbolic link (``/data -> /mnt/disk1``); ``runs`` marks that run
    current. (Pruning compared the link's resolved path with ``runs/``'s entries, took
    the current run for an old one and, with --keep 0, deleted it.)"""
    disk = tmp_path / "disk"
    disk.mkdir()
    (tmp_path / "data").symlink_to(disk)
    out = tmp_path / "data" / "out"
    for keep in ("1", "1", "0"):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", keep).exit_code == 0
        assert snapshot(out) == snapshot(GOLDEN / "example")
    runs = list(publish.store_for(out).runs.iterdir())
    assert [run.name for run in runs] == [Path(os.readlink(out)).name]
    listed = json.loads(invoke("runs", out, "--format", "json").stdout)["runs"]
    assert [(run["name"], run["current"]) for run in listed] == [(runs[0].name, True)]


def test_the_lock_holder_is_named_only_when_it_is_alive(tmp_path: Path) -> None:
    """It names the holder's pid while that process lives, and names nobody for a lock file
    that is empty (a holder that has not written yet) or names a dead process."""
    out = tmp_path / "out"
    store = publish.store_for(out)
    with publish.locked(store):
        named = invoke("run", EXAMPLE, "--out", out)
        assert named.exit_code == 75
        assert f"another run (pid {os.getpid()}, started " in named.stderr
        for text in ("", "pid 4194305, started 2026-11-26T02:30:00Z\n"):
            store.lock_file.write_text(text)
            unnamed = invoke("run", EXAMPLE, "--out", out)
            assert (unnamed.exit_code, unnamed.stderr) == (
                75,
                f"reconcile: another run holds the lock on {out}; "
                "try again later, or give --wait SECONDS\n",
            )
    assert store.lock_file.read_text() == ""
