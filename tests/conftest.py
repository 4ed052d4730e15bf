"""Shared helpers: input folders from text, and the CLI through Click's CliRunner."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconcile.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "example"
CASES = ROOT / "fixtures" / "cases"
GOLDEN = Path(__file__).resolve().parent / "golden"
CORPORA = ROOT.parent / "shared" / "corpora"

MINIMAL = {
    "orders.csv": "order_id,status\nO1,Open\nO2,Open\n",
    "batches.csv": "batch_id,status,capacity\nB1,Filling,4\n",
    "batch_items.csv": "batch_id,order_id,item_id\nB1,O1,I1\nB1,O2,I2\n",
    "cancellations.csv": "order_id,item_id\nO1,\n",
}


def write_folder(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (name -> text or bytes) into ``folder``; text is written as UTF-8, LF."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (following the output link) -> its bytes."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "in", MINIMAL)
