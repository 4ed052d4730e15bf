"""Shared helpers: input folders from text, the CLI through Click's CliRunner, and the
Hypothesis profiles.

Profiles, chosen with ``HYPOTHESIS_PROFILE`` (every test runs under each; only the
number of generated examples changes):

* ``quick``: 10 examples a property, for ``make check``'s inner loop;
* ``dev`` (the default): 30 examples a property, for ``make test``;
* ``ci`` (the default where ``CI`` is set): the same, without the example database, so a
  failure a developer's machine remembers never changes CI's verdict;
* ``deep``: 1,000 examples a property, before a release (about an hour on 2 cores).

Every profile prints the failing example and its reproduction blob
(``@reproduce_failure``), so a failure seen once can be replayed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from reconcile.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "example"
CASES = ROOT / "fixtures" / "cases"
GOLDEN = Path(__file__).resolve().parent / "golden"
CORPORA = ROOT.parent / "shared" / "corpora"

_COMMON = settings(
    deadline=None,
    print_blob=True,
    # Whole pipelines per example are slow by Hypothesis' standards; that is expected.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("quick", _COMMON, max_examples=10)
settings.register_profile("dev", _COMMON, max_examples=30)
settings.register_profile("ci", _COMMON, max_examples=30, database=None)
settings.register_profile("deep", _COMMON, max_examples=1_000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

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


BULK = ROOT / "fixtures" / "bulk" / "cs-2026-11-26.csv"


@pytest.fixture(scope="module")
def night_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's walkthrough: the example night, then the same night with the bulk list
    (two kept runs), made once per test module."""
    out = tmp_path_factory.mktemp("walkthrough") / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    assert invoke("run", EXAMPLE, "--extra-cancellations", BULK, "--out", out, "-q").exit_code == 0
    return out


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "in", MINIMAL)


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """A failed comparison of two folders' snapshots (file -> bytes), as in every golden
    test, shows each differing file as a unified diff, not a truncated dict of bytes."""
    if op != "==" or not (isinstance(left, dict) and isinstance(right, dict)):
        return None
    if not all(isinstance(value, bytes) for value in (*left.values(), *right.values())):
        return None
    import difflib

    lines = ["the folders differ:"]
    for name in sorted(set(left) | set(right)):
        if name not in left or name not in right:
            lines.append(f"  {name}: only on the {'right' if name in right else 'left'}")
            continue
        if left[name] == right[name]:
            continue
        got = left[name].decode("utf-8", "replace").splitlines()
        expected = right[name].decode("utf-8", "replace").splitlines()
        lines.append(f"  {name}:")
        lines += [
            f"    {line}"
            for line in difflib.unified_diff(expected, got, "expected", "got", lineterm="", n=1)
        ][:40]
    return lines
