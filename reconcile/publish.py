"""All-or-nothing publishing of an output folder, under a lock.

Layout, for ``--out night/out``::

    night/out                         -> .out.reconcile/runs/20261126T020000.123456Z-4242
    night/.out.reconcile/lock         the lock file (pid and start time of the holder)
    night/.out.reconcile/runs/...     the current run and up to --keep previous ones
    night/.out.reconcile/tmp-...      a run being written (removed if the run dies)

A run writes into ``tmp-*`` beside the target (same file system), fsyncs every
file and the folder, renames it into ``runs/``, then switches the ``out``
symbolic link with one ``rename(2)``: a reader of ``out/*.csv`` sees the old set
or the new set, never a mix. An existing ordinary folder at ``out`` is taken
over with an atomic exchange (``renameat2(RENAME_EXCHANGE)``) and kept as the
previous run.

The lock is a kernel ``flock`` on the lock file, so a killed run never leaves a
stale lock; the file's text only names the holder for the message.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconcile.errors import LockedError, OutputError

DEFAULT_KEEP = 3
LOCK_POLL_SECONDS = 0.1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class Store:
    """Where the runs of one output folder live."""

    target: Path

    @property
    def root(self) -> Path:
        return self.target.parent / f".{self.target.name}.reconcile"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def lock_file(self) -> Path:
        return self.root / "lock"


def store_for(target: Path) -> Store:
    return Store(Path(os.path.abspath(target)))


@contextmanager
def locked(store: Store, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the output folder's lock; raise ``LockedError`` if another run holds it."""
    _make_dirs(store)
    try:
        handle = os.open(store.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise OutputError(_cannot_write(store.lock_file, error)) from None
    acquired = False
    try:
        _acquire(handle, store, wait_seconds)
        acquired = True
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        yield
    finally:
        if acquired:
            # the next run must not find this run named as the holder
            os.ftruncate(handle, 0)
        os.close(handle)  # closing releases the flock


def _acquire(handle: int, store: Store, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _holder(os.pread(handle, 200, 0).decode("utf-8", "replace"))
                waited = f" after waiting {wait_seconds:g}s" if wait_seconds else ""
                raise LockedError(
                    f"another run{holder} holds the lock on {store.target}{waited}; "
                    "try again later, or give --wait SECONDS"
                ) from None
            time.sleep(LOCK_POLL_SECONDS)


def _holder(text: str) -> str:
    """ " (pid N, started T)" from the lock file, when it names a live process; else "".

    The holder writes its pid just after taking the lock and clears it just before letting
    go, so a run that looks in between, or after a killed holder, finds no name or a dead
    pid: it then names nobody rather than guess.
    """
    found = re.fullmatch(r"pid (\d+), started (\S+)", text.strip())
    if found is None:
        return ""
    try:
        os.kill(int(found.group(1)), 0)
    except ProcessLookupError:
        return ""
    except PermissionError:
        pass  # alive, under another user
    return f" (pid {found.group(1)}, started {found.group(2)})"


def _make_dirs(store: Store) -> None:
    if store.target.exists() and not store.target.is_dir():
        raise OutputError(f"cannot write outputs to {store.target}: it is a file, not a folder")
    try:
        store.runs.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(_cannot_write(store.root, error)) from None


def _cannot_write(path: Path, error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"cannot write the output folder: {path}: {reason}"


def new_run_folder(store: Store) -> Path:
    """A fresh temporary folder for this run's files, beside the target."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = store.root / f"tmp-{stamp}-{os.getpid()}"
    try:
        folder.mkdir()
    except OSError as error:
        raise OutputError(_cannot_write(folder, error)) from None
    return folder


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def publish(store: Store, folder: Path, keep: int = DEFAULT_KEEP) -> Path:
    """Make ``folder`` the output folder in one atomic step; keep ``keep`` previous runs."""
    final = store.runs / folder.name.removeprefix("tmp-")
    link = store.root / "link.tmp"
    switched = False
    try:
        _fsync_tree(folder)
        os.rename(folder, final)
        _fsync_dir(store.runs)
        _take_over(store)
        _remove_if_present(link)
        os.symlink(os.path.relpath(final, store.target.parent), link)
        os.replace(link, store.target)
        switched = True
        _fsync_dir(store.target.parent)
    except OSError as error:
        if not switched:  # the previous run stays current: drop this run's files
            discard(final)
            _remove_if_present(link)
        raise OutputError(_cannot_write(store.target, error)) from None
    prune(store, keep)
    return final


def _take_over(store: Store) -> None:
    """Move an ordinary folder (or foreign link) at the target into ``runs/`` atomically."""
    target = store.target
    if not os.path.lexists(target) or _is_our_link(store):
        return
    taken = store.runs / f"{_stamp_now()}-taken-over"
    placeholder = store.root / "takeover.tmp"
    _remove_if_present(placeholder)
    os.symlink(os.path.relpath(taken, target.parent), placeholder)
    if _exchange(placeholder, target):
        # target is now a link to runs/<taken>; the old folder sits at the placeholder path.
        os.rename(placeholder, taken)
    else:  # the file system cannot exchange: a brief moment without an output folder
        os.rename(target, taken)
        os.replace(placeholder, target)
    _fsync_dir(store.runs)


def _is_our_link(store: Store) -> bool:
    return _linked_run(store) is not None


def _linked_run(store: Store) -> Path | None:
    """The run in ``runs/`` that the target's link points at, or None.

    Read from the link's text, not resolved: a folder on the way to the target may itself
    be a link (``/data -> /mnt/disk1``), and a resolved path would then match none of
    ``runs/``'s entries, which pruning would take for the current run's (it deleted it).
    """
    if not store.target.is_symlink():
        return None
    pointed = Path(os.path.normpath(store.target.parent / os.readlink(store.target)))
    return pointed if pointed.parent == store.runs else None


def _exchange(first: Path, second: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def recover(store: Store) -> None:
    """Clean up after killed runs; call with the lock held (so no run is in progress)."""
    if not store.root.is_dir():
        return
    for leftover in store.root.glob("tmp-*"):
        discard(leftover)
    placeholder = store.root / "takeover.tmp"
    if placeholder.is_dir() and not placeholder.is_symlink():
        # killed between the exchange and the rename: the old folder is here
        os.rename(placeholder, store.runs / f"{_stamp_now()}-taken-over")
    _remove_if_present(store.root / "link.tmp")
    _remove_if_present(placeholder)


def prune(store: Store, keep: int) -> None:
    """Keep the current run and the ``keep`` newest others."""
    current = _linked_run(store)
    runs = sorted((path for path in store.runs.iterdir() if path != current), reverse=True)
    for old in runs[keep:]:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            _remove_if_present(old)


def _remove_if_present(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        pass


def _stamp_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@dataclass(frozen=True)
class Run:
    """One kept run of an output folder: its name (its folder's), folder, and whether ``OUT``
    pointed at it when the listing was made."""

    name: str
    folder: Path
    current: bool

    @property
    def started(self) -> str:
        """When the run was written, from its name (``20261126T023000.123456Z-4242``)."""
        try:
            stamp = datetime.strptime(self.name.split("-", 1)[0], "%Y%m%dT%H%M%S.%fZ")
        except ValueError:
            return "?"
        return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def kept_runs(target: Path) -> list[Run]:
    """The runs kept for the output folder ``target``, newest first.

    ``target``'s link is resolved once, here: a run published meanwhile can appear in the
    list, but which run is current does not change under the caller, and each run's folder
    never changes once published.
    """
    store = store_for(target)
    current = _linked_run(store)
    if current is None:
        raise FileNotFoundError(f"{target} is not an output folder written by reconcile run")
    folders = sorted(
        (path for path in store.runs.iterdir() if path.is_dir() and not path.is_symlink()),
        key=lambda path: path.name,
        reverse=True,
    )
    return [Run(folder.name, folder, folder == current) for folder in folders]
