"""The console transcripts of the README and docs/: found, run, and written anew.

A transcript is a ```console block: lines starting with ``$ `` are commands (``reconcile ...``,
or ``head -N FILE``), the lines after each are what it prints. Each block runs from a fresh
copy of ``fixtures/`` (the repository root's layout), so blocks do not depend on each other.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from reconcile.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
RUN_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-\d+")
RUN_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")


def normalized(text: str) -> str:
    """``text`` with what differs from run to run (run names, times) made alike."""
    return RUN_TIME.sub("TIME", RUN_NAME.sub("RUN", text))


def blocks(document: Path) -> Iterator[re.Match[str]]:
    yield from BLOCK.finditer(document.read_text(encoding="utf-8"))


def steps(block: str) -> list[tuple[str, str]]:
    """(command, shown output) pairs of one block."""
    found: list[tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            found.append((line[2:].strip(), ""))
        else:
            command, output = found[-1]
            found[-1] = (command, output + line)
    return found


def run(command: str) -> tuple[int, str]:
    """Run one transcript command in the working folder: its exit status and stdout."""
    words = shlex.split(command)
    if words[0] == "reconcile":
        result = CliRunner().invoke(cli, words[1:], catch_exceptions=False)
        return result.exit_code, result.stdout
    if words[0] == "head" and words[1].startswith("-"):
        lines = Path(words[2]).read_text().splitlines(keepends=True)
        return 0, "".join(lines[: int(words[1][1:])])
    raise ValueError(f"a transcript may run reconcile or head, not: {command}")


def played(block: str) -> list[tuple[str, int, str]]:
    """Each command of ``block`` run from a fresh copy of fixtures/: (command, status, stdout)."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as temp:
        shutil.copytree(ROOT / "fixtures", Path(temp) / "fixtures")
        os.chdir(temp)
        try:
            return [(command, *run(command)) for command, _ in steps(block)]
        finally:
            os.chdir(here)


def rewrite() -> list[Path]:
    """Write every transcript's output anew (``make goldens``); the documents changed."""
    changed = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")

        def fresh(match: re.Match[str]) -> str:
            body = "".join(f"$ {command}\n{output}" for command, _, output in played(match[1]))
            # a block that differs only in run names and times is left as it is
            return (
                match[0] if normalized(body) == normalized(match[1]) else f"```console\n{body}```"
            )

        new = BLOCK.sub(fresh, text)
        if new != text:
            document.write_text(new, encoding="utf-8")
            changed.append(document)
    return changed
