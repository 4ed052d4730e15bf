"""The README and docs/ are real: every transcript runs and prints what it shows, and every
relative link and anchor leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.transcripts import DOCUMENTS, ROOT, blocks, normalized, played, steps

TRANSCRIPTS = [
    pytest.param(document, match[1], id=f"{document.name}:{number}")
    for document in DOCUMENTS
    for number, match in enumerate(blocks(document), start=1)
]


@pytest.mark.parametrize(("document", "block"), TRANSCRIPTS)
def test_every_transcript_is_real(document: Path, block: str) -> None:
    """It runs each console block's commands from a copy of the repository's fixtures and
    gets the output shown, run names and times aside (diff may exit 1: it found changes)."""
    shown = steps(block)
    for (command, status, output), (_, expected) in zip(played(block), shown, strict=True):
        assert status in ((0, 1) if " diff " in f" {command} " else (0,)), command
        assert normalized(output) == normalized(expected), command


def test_the_bulk_cancellation_walkthrough_ends_with_explain() -> None:
    """It keeps the README's walkthrough: a night, the dry run, the run, diff, runs, explain."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- bulk-cancellation:begin -->", 1)[1].split("<!-- bulk-", 1)[0]
    assert [command.split()[1] for command, _ in steps(block.split("```console\n")[1])] == [
        "run",
        "run",
        "run",
        "diff",
        "runs",
        "explain",
    ]


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(document: Path) -> set[str]:
    """The anchors of a markdown file's headings, as GitHub makes them."""
    found = set()
    in_code = False
    for line in document.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_every_relative_link_and_anchor_leads_somewhere() -> None:
    """It finds the file of every relative link in the README and docs/, and its anchor."""
    broken = []
    for document in DOCUMENTS:
        for target in LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            if not linked.exists():
                broken.append(f"{document.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{document.name}: {target} (no such heading)")
    assert broken == []
