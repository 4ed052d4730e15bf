"""The README's walkthroughs are real: their commands run and print what the README shows."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, invoke

RUN_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-\d+")
RUN_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")


def transcript(marker: str) -> list[tuple[str, str]]:
    """(command, output) pairs of the README's console block between ``marker`` comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- {marker}:begin -->", 1)[1].split(f"<!-- {marker}:end -->", 1)[0]
    body = block.split("```console\n", 1)[1].rsplit("```", 1)[0]
    steps: list[tuple[str, str]] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("$ "):
            steps.append((line[2:].strip(), ""))
        else:
            command, output = steps[-1]
            steps[-1] = (command, output + line)
    return steps


def normalized(text: str) -> str:
    """``text`` with what differs from run to run (run names, times) made alike."""
    return RUN_TIME.sub("TIME", RUN_NAME.sub("RUN", text))


def test_the_bulk_cancellation_walkthrough_is_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It runs the README's bulk-cancellation commands from a copy of the repository root and
    gets the output the README shows, run names and times aside."""
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    steps = transcript("bulk-cancellation")
    assert [command.split()[1] for command, _ in steps] == [
        "run",
        "run",
        "run",
        "diff",
        "runs",
        "explain",
    ]
    for command, shown in steps:
        result = invoke(*shlex.split(command)[1:])
        assert result.exit_code in ((0, 1) if " diff " in f" {command} " else (0,)), command
        assert normalized(result.stdout) == normalized(shown), command
