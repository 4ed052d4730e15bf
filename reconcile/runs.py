"""The kept runs of an output folder as the reading commands (diff, runs, explain, report)
see them: held against pruning while they are read, the current run and the one before,
their summaries and their listing (``reconcile runs``), and which of two folders' files hold
the same bytes.

No Polars here (``compare`` imports this module, not the other way): ``reconcile runs``
lists runs without loading it, and ``diff`` and ``report`` start comparing the two runs'
bytes on threads (reads need no GIL) while Polars loads.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reconcile.contract import CSV_OUTPUTS, SUMMARY
from reconcile.errors import DiffError
from reconcile.publish import Run, held_runs, history, linked_run_name, store_for

# The outputs whose rows pair by a key known without reading them: when both sides hold
# the same bytes, nothing of them needs parsing. Not rejected and unmatched cancellations,
# whose key, the whole row, is known only from their parsed header.
KEYED_OUTPUTS = (*(file.name for file in CSV_OUTPUTS if file.key), SUMMARY)
# Read a chunk at a time from both sides at once: 4 MB chunks compared a 5M night's
# identical outputs in 0.12 s (reading each file whole: 0.41 s, and twice their size in
# memory); larger chunks no longer fit the processor's cache and were slower.
CHUNK = 4 << 20

Identical = Mapping[str, Future[bool]]


@contextmanager
def held(out: Path, chosen: Callable[[list[Run]], list[Run]] = list) -> Iterator[list[Run]]:
    """``publish.held_runs``, its failures as ``DiffError`` (exit 2), for the commands that
    read runs."""
    try:
        with held_runs(out, chosen) as runs:
            yield runs
    except FileNotFoundError as error:
        raise DiffError(str(error)) from None
    except OSError as error:
        raise DiffError(f"cannot list the runs of {out}: {error.strerror or error}") from None


def no_current_run(out: Path) -> DiffError:
    """The error for an output folder none of whose kept runs is current: its link names a
    run folder that is gone (deleted by hand), or there is no run at all."""
    named = linked_run_name(store_for(out))
    if named is not None:
        return DiffError(
            f"{out} has no current run: its link names the run {named}, which is gone "
            "(deleted by hand?); the next run publishes a new one"
        )
    return DiffError(f"{out} has no current run")


def previous_and_current(runs: list[Run], out: Path) -> tuple[Run, Run]:
    """The run before the current one of output folder ``out``, and the current one, of its
    kept ``runs``."""
    current = next((index for index, run in enumerate(runs) if run.current), None)
    if current is None:
        raise no_current_run(out)
    if current + 1 >= len(runs):
        raise DiffError(
            f"{out} has no earlier run to compare with (its kept runs: "
            f"{', '.join(run.name for run in runs) or 'none'}); give two folders instead"
        )
    return runs[current + 1], runs[current]


def current_and_previous(runs: list[Run]) -> list[Run]:
    """The current run and the one before it, if any, of kept ``runs`` (none without a
    current run)."""
    index = next((at for at, run in enumerate(runs) if run.current), None)
    return [] if index is None else runs[index : index + 2]


@contextmanager
def identical_beside(old: Path, new: Path, only: str | None = None) -> Iterator[Identical]:
    """Whether each keyed output (or just ``only``) holds the same bytes in ``old`` and
    ``new``, found on two threads while the block goes on, summary.json first (it is small,
    and compared while the large ones still are): output name -> future answer. The threads
    stop at the block's end."""
    names = sorted(
        (name for name in KEYED_OUTPUTS if only in (None, name)), key=lambda name: name != SUMMARY
    )
    stop = threading.Event()
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="same-bytes") as in_turn,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="same-bytes-old") as reads,
    ):
        try:
            yield {
                name: in_turn.submit(same_bytes, old / name, new / name, reads, stop)
                for name in names
            }
        finally:
            stop.set()
            in_turn.shutdown(cancel_futures=True)


def same_bytes(
    old: Path, new: Path, pool: ThreadPoolExecutor, stop: threading.Event | None = None
) -> bool:
    """Whether two files hold the same bytes, stopping at the first difference; False when
    either is missing or not a file."""
    try:
        with open(old, "rb", buffering=0) as old_file, open(new, "rb", buffering=0) as new_file:
            old_size = os.fstat(old_file.fileno()).st_size
            if old_size != os.fstat(new_file.fileno()).st_size:
                return False
            while stop is None or not stop.is_set():
                old_chunk = pool.submit(old_file.read, CHUNK)
                new_chunk = new_file.read(CHUNK)
                if old_chunk.result() != new_chunk:
                    return False
                if not new_chunk:
                    return True
            return False
    except (FileNotFoundError, IsADirectoryError):
        return False
    except OSError as error:
        path = error.filename if error.filename else old
        raise DiffError.unreadable(path, error) from None


def run_summaries(out: Path, every: bool = False) -> list[tuple[Run, dict[str, Any] | None]]:
    """Every kept run of ``out``, newest first, with its summary (None if it has none: a
    folder taken over, say), read while the runs are held against pruning; with ``every``,
    the runs pruned since whose summaries the history keeps, too (``kept`` False)."""
    listed = []
    with held(out) as runs:
        for run in runs:
            try:
                summary = json.loads((run.folder / SUMMARY).read_bytes())
            except (OSError, ValueError):
                summary = None
            listed.append((run, summary if isinstance(summary, dict) else None))
    if every:
        kept = {run.name for run, _ in listed}
        for name, data in history(out):
            if name not in kept:
                pruned = Run(name, store_for(out).history / f"{name}.json", False, kept=False)
                listed.append((pruned, summary_of(data)))
        listed.sort(key=lambda entry: entry[0].name, reverse=True)
    return listed


def summary_of(data: bytes) -> dict[str, Any] | None:
    """A summary's content, or None when it is not a JSON object."""
    try:
        summary = json.loads(data)
    except ValueError:
        return None
    return summary if isinstance(summary, dict) else None


# A run's summary that is not as a run writes it (torn on disk, or edited by hand): said,
# not fatal.
UNREADABLE = "  its summary cannot be read as a run's (damaged, or edited by hand)"


def runs_text(listed: Sequence[tuple[Run, Mapping[str, Any] | None]]) -> str:
    """The kept runs, newest first: name, when, inputs with short digests, and counts."""
    if not listed:
        return "no runs kept\n"
    lines = []
    for run, content in listed:
        marker = "  (current)" if run.current else ("" if run.kept else "  (pruned; summary kept)")
        lines.append(f"{run.name}{marker}  {run.started}")
        if content is None and run.kept:
            lines.append("  no summary.json (a folder taken over, not a run's outputs)")
            continue
        try:
            lines += _run_lines(content) if content is not None else [UNREADABLE]
        except (AttributeError, KeyError, TypeError, ValueError):
            lines.append(UNREADABLE)
    return "\n".join(lines) + "\n"


def _run_lines(content: Mapping[str, Any]) -> list[str]:
    """A run's inputs with short digests, and its counts."""
    inputs = content.get("inputs", {})
    files = [
        f"{entry['file']} {entry['sha256'][:12]}"
        for entries in inputs.values()
        if isinstance(entries, list)
        for entry in entries
    ] or [f"{name} {entry['sha256'][:12]}" for name, entry in inputs.items() if "sha256" in entry]
    return [f"  inputs: {', '.join(files)}", f"  {_run_counts(content)}"]


def _run_counts(content: Mapping[str, Any]) -> str:
    cancellations = content.get("cancellations", {})
    actions: Mapping[str, Mapping[str, int]] = content.get("actions", {})

    def total(key: str) -> int:
        return sum(facts.get(key, 0) for facts in actions.values())

    rejected = sum(cancellations.get("rejected", {}).values())
    return (
        f"cancellations: {cancellations.get('applied', 0)} applied, {rejected} rejected, "
        f"{cancellations.get('unmatched', 0)} unmatched; "
        f"lines: {total('lines_removed')} removed, {total('lines_held')} held; "
        f"batches: {total('batches_queued')} queued, {total('batches_archived')} archived"
    )


def runs_json(listed: Sequence[tuple[Run, Mapping[str, Any] | None]]) -> str:
    content = {
        "runs": [
            {"name": run.name, "current": run.current, "kept": run.kept, "summary": summary}
            for run, summary in listed
        ]
    }
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
