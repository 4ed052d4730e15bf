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
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconcile.contract import OUTPUT_NAMES, SUMMARY
from reconcile.errors import LockedError, OutputError, UsageError

DEFAULT_KEEP = 3
LOCK_POLL_SECONDS = 0.1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# The names of the run folders the job makes in ``runs/`` (``new_run_folder``, ``_take_over``):
# pruning deletes nothing else.
RUN_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-(?:\d+|taken-over)")
# How many foreign entries a refusal to take over a folder names.
FOREIGN_SHOWN = 5


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

    @property
    def history(self) -> Path:
        return self.root / "history"


def store_for(target: Path) -> Store:
    return Store(Path(os.path.abspath(target)))


def check_target(
    target: Path,
    own: Sequence[tuple[str, Path]],
    input_folder: Path | None = None,
    working_folder: Path | None = None,
) -> None:
    """Refuse an output folder that could take what is not its own, before anything is
    locked, moved or written.

    ``own`` names the paths the run reads or writes besides its outputs (``("the
    configuration file", path)``, ...). ``target`` is refused (``UsageError``, exit 2) when
    it is empty text, the working folder or above it, one of ``own`` or above one of them,
    inside ``input_folder`` or in any output folder's runs (``.OUT.reconcile``, reached
    through a link or not), or when one of them lies in the folder that keeps its runs;
    and (``OutputError``, exit 73) when it is an ordinary folder holding anything a run
    does not write, or a link the job did not make.
    """
    if str(target) in ("", "."):
        raise UsageError(
            "the output folder is empty text (or .): give --out a folder of its own, "
            "e.g. --out out/night"
        )
    where = _located(target)
    runs_root = store_for(where).root
    cwd = working_folder if working_folder is not None else Path.cwd()
    named = [("the working folder", cwd, _both_ways(cwd)), *((w, p, _both_ways(p)) for w, p in own)]
    # the closest relation first: "is the input folder" says more than "holds an input"
    for what, path, places in named:
        if where in places:
            raise UsageError(f"the output folder {target} is {what} {path}; {_OWN_FOLDER}")
    for what, path, places in named:
        if any(where in seen.parents for seen in places):
            raise UsageError(
                f"the output folder {target} holds {what} {path}: a run replaces its "
                f"output folder and prunes old runs; {_OWN_FOLDER}"
            )
    for what, path, places in named:
        if any(runs_root == seen or runs_root in seen.parents for seen in places):
            raise UsageError(
                f"{what} {path} lies in {runs_root}, where the runs of {target} are kept "
                f"and pruned; copy it elsewhere first, or {_OWN_FOLDER}"
            )
    if input_folder is not None:
        for folder in _both_ways(input_folder):
            if folder in where.parents:
                raise UsageError(
                    f"the output folder {target} lies inside the input folder {input_folder}, "
                    f"where a pattern could read its files as inputs; {_OWN_FOLDER}"
                )
    # (``where`` is the target's own link unresolved: its current run is its own)
    holder = _store_among(where)
    if holder is not None:
        relation = "is" if holder == where else "lies in"
        raise UsageError(
            f"the output folder {target} {relation} {holder}, where an output folder's runs are "
            f"kept and pruned (a run's files are its record); {_OWN_FOLDER}"
        )
    refuse_foreign(store_for(target))


_OWN_FOLDER = "give --out (or [output] folder) a folder of its own"


def _located(path: Path) -> Path:
    """``path`` absolute, with the folders on the way resolved but not ``path`` itself (an
    output folder is a link to its current run, and is compared as the link)."""
    absolute = Path(os.path.abspath(path))
    return Path(os.path.realpath(absolute.parent)) / absolute.name if absolute.name else absolute


def _both_ways(path: Path) -> set[Path]:
    """``path`` as named (its folders resolved) and as resolved to the end."""
    return {_located(path), Path(os.path.realpath(path))}


def same_or_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it, the links on the way resolved."""
    return any(
        seen == place or place in seen.parents
        for seen in _both_ways(path)
        for place in _both_ways(folder)
    )


def run_store_holding(path: Path) -> Path | None:
    """The folder of an output folder's runs (``.OUT.reconcile``) that ``path``, its links
    resolved, lies in; None when it lies in none."""
    return _store_among(Path(os.path.realpath(path)))


def _store_among(path: Path) -> Path | None:
    """The folder of an output folder's runs that absolute ``path`` is or lies in, by name."""
    return next(
        (
            folder
            for folder in (path, *path.parents)
            if folder.name.startswith(".") and folder.name.endswith(".reconcile")
        ),
        None,
    )


def check_new_folder(folder: Path, *, force: bool = False) -> None:
    """``OutputError`` (exit 73) unless a tool (``synth``) may write its files into
    ``folder``: never through a link or into a run (a run's files are its record), and into
    a folder that holds anything only with ``force``."""
    if folder.is_symlink():
        raise OutputError(
            f"{folder} is a link (to {os.readlink(folder)}), as a run's output folder is; "
            "give a new folder"
        )
    store = run_store_holding(folder)
    if store is not None:
        raise OutputError(
            f"{folder} lies in {store}, where a run's files are kept; give a new folder"
        )
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder")
    if not force and folder.is_dir() and any(folder.iterdir()):
        raise OutputError(
            f"{folder} is not empty; give a new folder, or --force to write over its files"
        )


def check_new_file(path: Path, suffix: str) -> None:
    """``OutputError`` (exit 73) unless a tool (``init``, ``report``) may write the file
    ``path``: never over an output folder's link (renamed over it, the file would take the
    place of the folder people read) nor into a run or the folder its runs are kept in (a run's
    files are its record). The advice names a file beside the link: its name and ``suffix``."""
    if path.is_symlink() and run_store_holding(path) is not None:
        raise OutputError(
            f"{path} is an output folder (a link to its current run); a file written there "
            f"would replace it: give --output a file of its own, e.g. --output {path}{suffix}"
        )
    store = run_store_holding(path.parent)
    if store is not None:
        raise OutputError(
            f"{path} would lie in {store}, where a run's files are kept; "
            "give --output a file of its own"
        )


def refuse_foreign(store: Store) -> None:
    """``OutputError`` (exit 73) unless whatever stands at the target may be taken over: nothing,
    the job's own link, or an ordinary folder of nothing but files a run writes."""
    target = store.target
    if not os.path.lexists(target) or _is_our_link(store):
        return
    if target.is_symlink():
        raise OutputError(
            f"the output folder {target} is a link that reconcile did not make "
            f"(to {os.readlink(target)}); remove the link, or choose another output folder"
        )
    if not target.is_dir():
        raise OutputError(f"cannot write outputs to {target}: it is a file, not a folder")
    try:
        entries = sorted(os.scandir(target), key=lambda entry: entry.name)
    except OSError as error:
        raise OutputError(_cannot_write(target, error)) from None
    foreign = [
        entry.name
        for entry in entries
        if entry.name not in OUTPUT_NAMES or not entry.is_file(follow_symlinks=False)
    ]
    if foreign:
        shown = ", ".join(foreign[:FOREIGN_SHOWN])
        more = f" and {len(foreign) - FOREIGN_SHOWN} more" if len(foreign) > FOREIGN_SHOWN else ""
        raise OutputError(
            f"the output folder {target} holds what a run does not write ({shown}{more}); "
            "a run takes over a folder of earlier outputs only: move those away, or choose "
            "another output folder"
        )


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
        except BlockingIOError:
            pass  # another run holds it
        except OSError as error:  # ENOLCK on some network file systems, EIO...
            raise OutputError(
                f"cannot lock the output folder: {store.lock_file}: {error.strerror or error}"
            ) from None
        else:
            return
        if time.monotonic() >= deadline:
            holder = _holder(os.pread(handle, 200, 0).decode("utf-8", "replace"))
            waited = f" after waiting {wait_seconds:g}s" if wait_seconds else ""
            raise LockedError(
                f"another run{holder} holds the lock on {store.target}{waited}; "
                "try again later, or give --wait SECONDS"
            )
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
    refuse_foreign(store)
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


@dataclass(frozen=True)
class Published:
    """A run made current: its folder, and what went wrong after the switch (the run is
    published all the same; the caller tells the user)."""

    folder: Path
    notes: tuple[str, ...] = ()


def publish(store: Store, folder: Path, keep: int = DEFAULT_KEEP) -> Published:
    """Make ``folder`` the output folder in one atomic step; keep ``keep`` previous runs.

    ``OutputError`` means the previous run is still current; once the link is switched
    nothing raises, and a failure is returned as a note."""
    final = _published_as(store, folder)
    link = store.root / "link.tmp"
    try:
        _fsync_tree(folder)
        os.rename(folder, final)
        _fsync_dir(store.runs)
        _take_over(store)
        _remove_if_present(link)
        os.symlink(os.path.relpath(final, store.target.parent), link)
        os.replace(link, store.target)
    except OSError as error:
        # the previous run stays current: drop this run's files
        discard(final)
        _remove_if_present(link)
        raise OutputError(_cannot_write(store.target, error)) from None
    notes = []
    try:
        _fsync_dir(store.target.parent)
    except OSError as error:
        notes.append(
            f"{store.target} shows the new run, but the switch may not be on disk yet "
            f"(syncing {store.target.parent} failed: {error.strerror or error}); a power "
            "cut now could bring back the previous run"
        )
    try:
        record_history(store, final)
    except OSError as error:
        notes.append(f"could not keep the run's summary in {store.history}: {error}")
    try:
        prune(store, keep)
    except OSError as error:
        notes.append(f"could not prune the old runs of {store.target}: {error}")
    return Published(final, tuple(notes))


def _published_as(store: Store, folder: Path) -> Path:
    """Where ``publish`` moves a run written in ``folder`` (``runs/tmp-NAME`` -> ``runs/NAME``)."""
    return store.runs / folder.name.removeprefix("tmp-")


def published_despite_interrupt(store: Store, folder: Path) -> Published | None:
    """What an interrupt (Ctrl-C) during ``publish`` of ``folder`` left. If the link was
    switched to the new run, it is published: the rest (syncing the switch, the history
    entry, pruning) is left to the next run's ``recover`` and said in a note. If not, the
    previous run is still current: the new run's files are removed, and None is returned
    (the caller raises the interrupt again)."""
    final = _published_as(store, folder)
    if _linked_run(store) == final:
        return Published(
            final,
            (
                f"interrupted once {store.target} showed the new run: syncing the switch to "
                "disk, keeping its summary in the history and pruning old runs are left to "
                "the next run",
            ),
        )
    discard(folder)
    discard(final)
    return None


# How many published runs' summaries the history keeps (a year and a half of nightly runs
# and their re-runs, about 5 KB each); older ones are deleted as newer ones come.
HISTORY_KEPT = 1000


def record_history(store: Store, run: Path) -> None:
    """Keep ``run``'s summary in the history, which outlives pruning: written once ``run``
    is current (so the history never holds a run that was not published), whole or not at
    all (a temporary file renamed into place). A run killed between its switch and this is
    recorded by the next run's ``recover``."""
    store.history.mkdir(exist_ok=True)
    entry = store.history / f"{run.name}.json"
    if entry.exists():
        return
    data = (run / SUMMARY).read_bytes()
    temporary = store.history / f".{run.name}.tmp"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, entry)
    _fsync_dir(store.history)
    entries = sorted(path for path in store.history.glob("*.json") if RUN_NAME.fullmatch(path.stem))
    for old in entries[:-HISTORY_KEPT]:
        _remove_if_present(old)


def history(target: Path) -> list[tuple[str, bytes]]:
    """The history of ``target``'s published runs, newest first: (run name, summary.json)."""
    folder = store_for(target).history
    if not folder.is_dir():
        return []
    entries = sorted(
        (path for path in folder.glob("*.json") if RUN_NAME.fullmatch(path.stem)), reverse=True
    )
    found = []
    for path in entries:
        try:
            found.append((path.stem, path.read_bytes()))
        except OSError:
            continue  # deleted by a run's bound meanwhile
    return found


def _take_over(store: Store) -> None:
    """Move an ordinary folder (or foreign link) at the target into ``runs/`` atomically."""
    target = store.target
    if not os.path.lexists(target) or _is_our_link(store):
        return
    refuse_foreign(store)  # again, under the lock: it may have changed since the run began
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


def linked_run_name(store: Store) -> str | None:
    """The name of the run the target's link names, whether or not its folder exists."""
    linked = _linked_run(store)
    return linked.name if linked is not None else None


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
    current = _linked_run(store)
    if current is not None and (current / SUMMARY).is_file():
        # a run killed after its switch, before its history entry: it was published
        record_history(store, current)
    for leftover in store.history.glob(".*.tmp") if store.history.is_dir() else ():
        _remove_if_present(leftover)


def prune(store: Store, keep: int) -> None:
    """Keep the current run and the ``keep`` newest others; delete only run folders the job
    made (anything else in ``runs/`` stays where it is)."""
    for old in _pruned(store, keep, _linked_run(store)):
        _delete_unless_read(old)


def _pruned(store: Store, keep: int, current: Path | None) -> list[Path]:
    """The run folders beyond the ``keep`` newest of those that are not ``current``."""
    runs = sorted(
        (
            path
            for path in store.runs.iterdir()
            if path != current
            and RUN_NAME.fullmatch(path.name)
            and path.is_dir()
            and not path.is_symlink()
        ),
        reverse=True,
    )
    return runs[keep:]


def shed_cache(store: Store, keep: int) -> None:
    """Drop from the page cache the files of the runs that pruning will delete once the run
    being written is current (the current one among them when ``keep`` is 0): nothing reads
    them again, and the kernel then hands their pages to the files being written instead of
    fresh ones. Their bytes stay on disk, and a reader still holding one reads it from there."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        doomed = _pruned(store, keep, None)
    except OSError:
        return  # (no runs yet)
    for folder in doomed:
        with suppress(OSError):  # (a folder gone or unreadable: the others still count)
            for path in folder.iterdir():
                _drop_cached(path)


def _drop_cached(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.posix_fadvise(handle, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(handle)


def _delete_unless_read(folder: Path) -> None:
    """Delete the run ``folder`` unless a reader holds it (``held_runs``): then it stays, and
    the pruning of a later run deletes it."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # gone already
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # being read
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(handle)  # a reader waiting for this folder then finds it gone


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
    # False for a run pruned since: only its summary is left, in the history
    kept: bool = True

    @property
    def started(self) -> str:
        """When the run was written, from its name (``20261126T023000.123456Z-4242``)."""
        stamp = started_at(self.name)
        return "?" if stamp is None else stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def started_at(name: str) -> datetime | None:
    """When the run named ``name`` was written, from its name; None when it holds no time."""
    # fromisoformat, not strptime: strptime's first call loads and compiles its locale
    # machinery (a few ms of a short command); run names are ISO 8601's basic format.
    try:
        return datetime.fromisoformat(name.split("-", 1)[0])
    except ValueError:
        return None


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


# How often ``held_runs`` lists the runs again when one vanished before it could hold it.
HOLD_ATTEMPTS = 20


@contextmanager
def held_runs(target: Path, chosen: Callable[[list[Run]], list[Run]] = list) -> Iterator[list[Run]]:
    """The ``chosen`` of ``kept_runs(target)`` (all, by default), each held against pruning
    until the block ends: a reader (``diff``, ``runs``) never sees a run deleted under it.

    Each run folder is held by a shared ``flock`` on the folder itself, which pruning asks for
    exclusively and without waiting, passing over a run that is being read (the next run's
    pruning deletes it). A run pruned between the listing and the hold is found gone, and
    the runs are listed again.
    """
    for _ in range(HOLD_ATTEMPTS):
        with ExitStack() as holds:
            runs = chosen(kept_runs(target))
            if all(hold(run.folder, holds) for run in runs):
                yield runs
                return
    raise OSError(f"the runs of {target} kept changing while being listed; try again")


def hold(folder: Path, holds: ExitStack) -> bool:
    """Hold ``folder`` against pruning (a shared lock on it) for as long as ``holds`` lives;
    False if it is gone (or cannot be opened: its reader reports that)."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    holds.callback(os.close, handle)
    fcntl.flock(handle, fcntl.LOCK_SH)  # waits only while pruning deletes this very run
    try:
        now = os.stat(folder)
    except OSError:
        return False
    held = os.fstat(handle)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
