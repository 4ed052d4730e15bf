"""The ways a run can fail, each with the exit status the contract gives it.

Nothing below ``cli.py`` prints or exits: stages raise one of these, and the
command line turns it into a message and an exit status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

# diff's statuses, like diff(1): the same, different; trouble is EXIT_USAGE (2)
EXIT_SAME = 0
EXIT_DIFFERENT = 1
EXIT_USAGE = 2
EXIT_DATAERR = 65
EXIT_NOINPUT = 66
EXIT_SOFTWARE = 70
EXIT_CANTCREAT = 73
EXIT_TEMPFAIL = 75
# Interrupted (Ctrl-C): 128 + SIGINT, as a shell reports a command SIGINT ended.
EXIT_INTERRUPTED = 130


class ReconcileError(Exception):
    """A failure the user can act on; ``str(error)`` is the whole message."""

    exit_code = EXIT_SOFTWARE


class UsageError(ReconcileError):
    """The command line is wrong, including a bad policy file."""

    exit_code = EXIT_USAGE


class OverLimitError(ReconcileError):
    """The night is over a ``[limits]`` guard rail: nothing was written (exit 65)."""

    exit_code = EXIT_DATAERR


class MissingInputError(ReconcileError):
    """An input file or folder is missing, or a pattern does not name exactly one file."""

    exit_code = EXIT_NOINPUT


class InputChangedError(ReconcileError):
    """An input changed while it was read, the ready file is missing or older, or an input is
    older than ``max_age``: try later."""

    exit_code = EXIT_TEMPFAIL


class InputDataError(ReconcileError):
    """The input data breaks the contract; ``problems`` holds every problem found.

    ``problems`` is the one table of the validation report: columns ``file``,
    ``row``, ``column``, ``value``, ``problem``, ``kind`` (see ``problems.PROBLEM_SCHEMA``).
    ``exit_code`` is 66 when any input file was missing or unreadable, else 65.
    """

    def __init__(
        self,
        problems: pl.DataFrame,
        *,
        missing_files: bool = False,
        advice: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"{problems.height} problem(s) in the input data")
        self.problems = problems
        self.exit_code = EXIT_NOINPUT if missing_files else EXIT_DATAERR
        # Said once after the problems: what the whole report points at.
        self.advice = advice
        # kind -> how to fix it, where the run's settings say more than ``problems.KINDS``.
        self.fixes: dict[str, str] = {}


class OutputError(ReconcileError):
    """The output folder cannot be created or written."""

    exit_code = EXIT_CANTCREAT


class LockedError(ReconcileError):
    """Another run holds the output folder's lock."""

    exit_code = EXIT_TEMPFAIL


class DiffError(ReconcileError):
    """A reader of runs (``diff``, ``runs``, ``explain``) cannot read: a folder is missing or a
    file cannot be read. Like diff(1), it exits 2 (which is also the usage status)."""

    exit_code = EXIT_USAGE

    @classmethod
    def unreadable(cls, path: str | Path, error: OSError) -> DiffError:
        """The error for a file of a run that the system would not let be read."""
        return cls(f"cannot read {path}: {error.strerror or error}")


class InternalError(ReconcileError):
    """The job produced outputs that break its own contract: a bug, never bad input."""

    exit_code = EXIT_SOFTWARE
