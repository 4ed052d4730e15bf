"""All-or-nothing outputs: fault injection, SIGKILL, concurrent runs, locks, unwritable folders."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
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
from tests.conftest import CASES, EXAMPLE, GOLDEN, invoke, snapshot, write_folder

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
    fail_at = 1
    while True:
        before, shown = snapshot(previous), os.readlink(previous)
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
        if os.readlink(previous) == shown:  # the exit status says OUT still shows that run
            assert result.exit_code == 73, (fail_at, result.output)
            assert snapshot(previous) == before, fail_at
            assert leftovers(previous) == [], fail_at
        else:  # a failure after the link switch: published, and said so
            assert snapshot(previous) == snapshot(GOLDEN / "example"), fail_at
            assert result.exit_code == 0, (fail_at, result.output)
            # the parent's sync, or the history entry written after the switch
            store = publish.store_for(previous)
            assert re.fullmatch(
                rf"reconcile: warning: ({re.escape(str(previous))} shows the new run, but the "
                rf"switch may not be on disk yet \(syncing {re.escape(str(previous.parent))} "
                r"failed: No space left on device\); a power cut now could bring back the "
                rf"previous run|could not keep the run's summary in {re.escape(str(store.history))}"
                r": \[Errno 28\] No space left on device)\n",
                result.stderr,
            )
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
    """It swaps an existing folder of earlier outputs for the link and keeps them as a
    previous run."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "orders.csv").write_text("yesterday")
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    assert out.is_symlink()
    assert snapshot(out) == snapshot(GOLDEN / "example")
    kept = [
        path for path in publish.store_for(out).runs.iterdir() if path.name.endswith("-taken-over")
    ]
    assert len(kept) == 1 and (kept[0] / "orders.csv").read_text() == "yesterday"


def test_a_folder_holding_anything_a_run_does_not_write_is_refused_with_73(
    tmp_path: Path,
) -> None:
    """It exits 73, naming the first foreign entries, and touches nothing, when the output
    folder holds anything but files a run writes (here notes and a subfolder)."""
    out = tmp_path / "data"
    out.mkdir()
    (out / "orders.csv").write_text("yesterday")
    for name in ("notes.txt", "a.txt", "b.txt", "c.txt", "d.txt", "e.txt"):
        (out / name).write_text(name)
    (out / "exports").mkdir()
    before = snapshot(out)
    result = invoke("run", EXAMPLE, "--out", out, "--keep", "0")
    assert result.exit_code == 73
    assert result.stderr == (
        f"reconcile: the output folder {out} holds what a run does not write (a.txt, b.txt, "
        "c.txt, d.txt, e.txt and 2 more); a run takes over a folder of earlier outputs only: "
        "move those away, or choose another output folder\n"
    )
    assert snapshot(out) == before and not out.is_symlink()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data"]


def test_a_link_the_job_did_not_make_is_refused_with_73(tmp_path: Path) -> None:
    """It exits 73 when the output folder is a link of someone else's, and leaves it."""
    elsewhere = write_folder(tmp_path / "elsewhere", {"orders.csv": "kept"})
    out = tmp_path / "out"
    out.symlink_to(elsewhere)
    result = invoke("run", EXAMPLE, "--out", out)
    assert result.exit_code == 73
    assert result.stderr == (
        f"reconcile: the output folder {out} is a link that reconcile did not make (to "
        f"{elsewhere}); remove the link, or choose another output folder\n"
    )
    assert os.readlink(out) == str(elsewhere) and snapshot(elsewhere) == {"orders.csv": b"kept"}


def test_pruning_deletes_only_run_folders_the_job_made(tmp_path: Path) -> None:
    """It leaves anything in the runs folder that the job did not make, whatever --keep."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    runs = publish.store_for(out).runs
    (runs / "mine").mkdir()
    (runs / "mine" / "notes.txt").write_text("keep me")
    (runs / "20261126T020000.000000Z-x").mkdir()
    for _ in range(2):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", "0").exit_code == 0
    assert sorted(path.name for path in runs.iterdir()) == sorted(
        ["mine", "20261126T020000.000000Z-x", Path(os.readlink(out)).name]
    )
    assert (runs / "mine" / "notes.txt").read_text() == "keep me"


def test_keep_limits_the_previous_runs(tmp_path: Path) -> None:
    """It keeps the current run and --keep previous ones."""
    out = tmp_path / "out"
    for _ in range(4):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", "2").exit_code == 0
    runs = sorted(publish.store_for(out).runs.iterdir())
    assert len(runs) == 3
    assert Path(os.readlink(out)).name == runs[-1].name  # (not resolved: see the next test)


@pytest.mark.parametrize("keep", [0, 1, 2])
def test_a_run_drops_from_the_cache_only_the_runs_its_pruning_deletes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: int
) -> None:
    """It drops from the page cache, before writing, the files of exactly the runs its
    pruning deletes once it is current (the current one too under --keep 0), every file of
    them, and nothing else: the outputs stay what they are."""
    out = tmp_path / "out"
    for _ in range(3):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", "3").exit_code == 0
    runs = publish.store_for(out).runs
    before = sorted(runs.iterdir(), reverse=True)  # newest first; the first is current
    dropped: list[str] = []

    def noted(handle: int, offset: int, length: int, advice: int) -> None:
        assert (offset, length, advice) == (0, 0, os.POSIX_FADV_DONTNEED)
        dropped.append(os.readlink(f"/proc/self/fd/{handle}"))

    deleted = [str(path) for run in before[keep:] for path in run.iterdir()]
    monkeypatch.setattr(os, "posix_fadvise", noted)
    assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", str(keep)).exit_code == 0
    assert sorted(dropped) == sorted(deleted)
    assert sorted(runs.iterdir()) == sorted([*before[:keep], runs / Path(os.readlink(out)).name])


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


# ---- what an output folder may be (contract v3) ----------------------------------------


@pytest.fixture
def workplace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder ``data/`` holding the example night in ``exports/`` and a note."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data / "exports")
    (data / "notes.txt").write_text("not the job's")
    monkeypatch.chdir(data)
    return data


def refused(result: Any, data: Path, before: dict[str, bytes]) -> str:
    """The message of a run refused with exit 2 that touched nothing."""
    assert result.exit_code == 2, result.output
    assert snapshot(data) == before
    assert not any(path.name.endswith(".reconcile") for path in data.parent.rglob("*"))
    return str(result.stderr)


def test_an_empty_output_folder_is_refused_with_2(workplace: Path) -> None:
    """It exits 2 for --out "" (the working folder, which was taken over and pruned with
    --keep 0), before any lock or move."""
    before = snapshot(workplace)
    message = refused(invoke("run", "exports", "--out", "", "--keep", "0"), workplace, before)
    assert message == (
        "reconcile: the output folder is empty text (or .): give --out a folder of its own, "
        "e.g. --out out/night\n"
    )


def test_an_output_folder_above_the_inputs_is_refused_with_2(
    workplace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 2 for an output folder that holds the input folder (it deleted data/ with
    an unrelated notes.txt)."""
    before = snapshot(workplace)
    monkeypatch.chdir(workplace.parent)
    result = invoke("run", workplace / "exports", "--out", workplace, "--keep", "0")
    assert refused(result, workplace, before) == (
        f"reconcile: the output folder {workplace} holds the input file "
        f"{workplace / 'exports' / 'orders.csv'}: a run replaces its output folder and prunes "
        "old runs; give --out (or [output] folder) a folder of its own\n"
    )


@pytest.mark.parametrize(
    ("out", "what"),
    [
        ("..", "holds the working folder"),
        ("exports", "is the input folder exports"),
        ("exports/orders.csv", "is the input file exports/orders.csv"),
        ("policy.toml", "is the policy file policy.toml"),
    ],
)
def test_an_output_folder_that_takes_the_users_files_is_refused_with_2(
    workplace: Path, out: str, what: str
) -> None:
    """It exits 2 for an output folder that is, or is above, the working folder, an input,
    the input folder or the policy file."""
    (workplace / "policy.toml").write_text('[actions]\n"Pending RIP" = "hold"\n')
    before = snapshot(workplace)
    cancellations = workplace / "exports" / "cancellations.csv"
    result = invoke(
        "run", "exports", "--out", out, "--policy", "policy.toml",
        "--cancellations", cancellations,
    )  # fmt: skip
    assert f"reconcile: the output folder {out} {what}" in refused(result, workplace, before)


def test_an_output_folder_inside_the_input_folder_is_refused_with_2(workplace: Path) -> None:
    """It exits 2 for an output folder inside the input folder, where a pattern could read
    the outputs back as inputs."""
    before = snapshot(workplace)
    result = invoke("run", "exports", "--out", "exports/out")
    assert refused(result, workplace, before) == (
        "reconcile: the output folder exports/out lies inside the input folder exports, where "
        "a pattern could read its files as inputs; give --out (or [output] folder) a folder "
        "of its own\n"
    )


def test_an_output_folder_in_another_output_folders_runs_is_refused_with_2(
    workplace: Path,
) -> None:
    """It exits 2 for an output folder inside another's current run (through its link or
    not) or the folder its runs are kept in: it made its link and its runs there, in a run
    that pruning deletes whole."""
    assert invoke("run", "exports", "--out", "kept", "-q").exit_code == 0
    before = snapshot(workplace)
    run = os.readlink("kept")
    store = workplace / ".kept.reconcile"
    for out, relation in (
        ("kept/night", f"lies in {store}"),
        (f"{run}/night", f"lies in {store}"),
        (".kept.reconcile/night", f"lies in {store}"),
        (".kept.reconcile", f"is {store}"),
    ):
        result = invoke("run", "exports", "--out", out)
        assert (result.exit_code, result.stderr) == (
            2,
            f"reconcile: the output folder {out} {relation}, where an output folder's runs are "
            "kept and pruned (a run's files are its record); give --out (or [output] folder) a "
            "folder of its own\n",
        ), out
        assert snapshot(workplace) == before
    assert invoke("run", "exports", "--out", "kept", "-q").exit_code == 0


def test_the_configuration_folder_as_output_folder_is_refused_with_2(workplace: Path) -> None:
    """It exits 2 for [output] folder = "." (it moved the configuration's own folder away,
    and every later cron run exited 2)."""
    config = workplace / "reconcile.toml"
    config.write_text('[inputs]\nfolder = "exports"\n[output]\nfolder = "."\nkeep = 0\n')
    before = snapshot(workplace)
    result = invoke("run", "--config", config)
    assert f"reconcile: the output folder {workplace} " in refused(result, workplace, before)


def test_a_report_or_input_kept_in_the_runs_of_the_output_folder_is_refused_with_2(
    tmp_path: Path,
) -> None:
    """It exits 2 when an input lies among the output folder's kept runs (pruning would
    delete it) and when --report names the output folder or a published output."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    before = snapshot(out)
    run_folder = Path(os.path.realpath(out))
    reading_a_run = invoke("run", run_folder, "--out", out, "--keep", "0")
    assert reading_a_run.exit_code == 2
    assert reading_a_run.stderr.startswith(
        f"reconcile: the input file {run_folder / 'orders.csv'} lies in "
        f"{publish.store_for(out).root}, where the runs of {out} are kept and pruned;"
    )
    for report in (out / "orders.csv", out):
        result = invoke("run", EXAMPLE, "--out", out, "--report", report)
        assert result.exit_code == 2, report
        assert result.stderr.startswith(f"reconcile: --report {report} "), result.stderr
    assert snapshot(out) == before


# ---- readers are not pulled from under (contract v3) ------------------------------------

PUBLISH_MANY = """
import sys
from pathlib import Path
from reconcile import pipeline
from reconcile.config import Options, resolve
night, out, times = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
settings = resolve(Options(input_dir=night, out=out, keep=1))
for _ in range(times):
    pipeline.run(settings)
"""


@pytest.mark.subprocess
def test_diff_and_runs_never_see_a_run_pruned_while_they_read(tmp_path: Path) -> None:
    """While 40 runs publish the same night at --keep 1, every ``diff OUT`` finds the two
    runs identical and every ``runs OUT`` reads every run's summary (at --keep 1, 24 of 25
    diffs saw their previous run deleted mid-read and reported false differences)."""
    from reconcile import api, runs
    from reconcile import compare as differ

    night = tmp_path / "night"
    generate(night, 20_000, seed=3)
    out = tmp_path / "out"
    for _ in range(2):
        assert invoke("run", night, "--out", out, "-q", "--keep", "1").exit_code == 0
    publisher = subprocess.Popen(
        [sys.executable, "-c", PUBLISH_MANY, str(night), str(out), "40"],
        stderr=subprocess.PIPE,
    )
    compared = listed = 0
    while publisher.poll() is None:
        comparison = api.diff(out)
        assert not differ.any_difference(comparison.diffs), differ.text_report(comparison)
        compared += 1
        summaries = runs.run_summaries(out)
        assert len(summaries) >= 2 and all(summary for _, summary in summaries)
        listed += 1
    assert publisher.returncode == 0, publisher.stderr.read() if publisher.stderr else ""
    assert compared >= 1 and listed >= 1  # the readers overlapped the publishing
    # what pruning passed over while it was read, the next run's pruning deletes
    assert invoke("run", night, "--out", out, "-q", "--keep", "1").exit_code == 0
    assert len(list(publish.store_for(out).runs.iterdir())) == 2


# ---- history that outlives pruning (contract v3) -----------------------------------------


@pytest.mark.subprocess
def test_the_history_holds_exactly_the_runs_that_were_published(
    tmp_path: Path, big_night: Path
) -> None:
    """Runs killed at random moments, between undisturbed ones at --keep 0, leave a history
    of exactly the runs OUT was ever switched to, each entry whole (its summary.json)."""
    out = tmp_path / "out"
    started = time.monotonic()
    assert reconcile_process("run", big_night, "--out", out, "-q", "--keep", "0").wait() == 0
    duration = time.monotonic() - started
    published = {Path(os.readlink(out)).name}
    chance = random.Random(11)
    for _ in range(6):
        process = reconcile_process("run", big_night, "--out", out, "-q", "--keep", "0")
        time.sleep(duration * chance.uniform(0.5, 1.05))
        process.send_signal(signal.SIGKILL)
        process.wait()
        published.add(Path(os.readlink(out)).name)
        rerun = reconcile_process("run", big_night, "--out", out, "-q", "--keep", "0")
        assert rerun.wait() == 0
        published.add(Path(os.readlink(out)).name)
    entries = dict(publish.history(out))
    assert set(entries) == published
    current = Path(os.path.realpath(out))
    assert entries[current.name] == (current / "summary.json").read_bytes()
    assert all(json.loads(data)["outputs"] for data in entries.values())
    listed = json.loads(invoke("runs", out, "--all", "--format", "json").stdout)["runs"]
    assert {run["name"] for run in listed} == published
    assert sum(run["kept"] for run in listed) == 1  # --keep 0: only the current run's folder
