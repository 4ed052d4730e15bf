"""Reading a file that must be a regular file, without ever blocking on one that is not.

Opening a FIFO for reading waits for a writer, and ``/dev/zero`` never ends: either, given
as an input while a run holds the output folder's lock, would hold it forever. The file is
opened without blocking and checked before a byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegularFileError(OSError):
    """The path names something other than a regular file; ``str()`` says what."""


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in a user's words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_bytes(path: Path) -> bytes:
    """The bytes of the regular file at ``path``; ``NotRegularFileError`` for anything else
    (found without blocking), the usual ``OSError`` when it is missing or unreadable."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{path} is {kind_of(mode)}, not a regular file")
        with os.fdopen(handle, "rb", closefd=True) as file:
            handle = -1
            return file.read()
    finally:
        if handle >= 0:
            os.close(handle)
