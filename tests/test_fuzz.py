"""Fuzzing the whole job: broken bytes either run cleanly or exit 65/66 with a report."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from reconcile.cli import cli
from reconcile.contract import OUTPUT_NAMES
from tests.conftest import CASES

INPUTS = ("orders.csv", "batches.csv", "batch_items.csv", "cancellations.csv")
NASTY = st.sampled_from(
    [
        b'"',
        b",",
        b"\n",
        b"\r",
        b"\r\n",
        b"\x00",
        b"\xff",
        b"\xc3",
        "é".encode(),
        b" ",
        b'""',
        b"B1",
        b"O1",
        b"I1",
    ]
)


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[str, str, int, bytes]]:
    """A few edits (insert, delete, replace, truncate, random file, remove file) to input files."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(INPUTS))
        kind = draw(
            st.sampled_from(["insert", "delete", "replace", "truncate", "random", "remove"])
        )
        position = draw(st.integers(0, 200))
        payload = draw(st.one_of(NASTY, st.binary(max_size=40)))
        edits.append((name, kind, position, payload))
    return edits


def apply(folder: Path, edits: list[tuple[str, str, int, bytes]]) -> None:
    for name, kind, position, payload in edits:
        path = folder / name
        if not path.exists():
            continue
        data = path.read_bytes()
        position = min(position, len(data))
        if kind == "insert":
            data = data[:position] + payload + data[position:]
        elif kind == "delete":
            data = data[:position] + data[position + len(payload) :]
        elif kind == "replace":
            data = data[:position] + payload + data[position + len(payload) :]
        elif kind == "truncate":
            data = data[:position]
        elif kind == "random":
            data = payload
        else:
            path.unlink()
            continue
        path.write_bytes(data)


@given(edits=mutations())
def test_mutated_inputs_run_or_exit_65_or_66_never_crash(
    edits: list[tuple[str, str, int, bytes]],
) -> None:
    """Whatever the bytes, the job exits 0, 65 or 66, prints no traceback, and writes all or nothing."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "in"
        shutil.copytree(CASES / "base", folder)
        apply(folder, edits)
        out = Path(temp) / "out"
        result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(out)])
        assert result.exit_code in (0, 65, 66), (result.exit_code, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            assert sorted(path.name for path in out.iterdir()) == sorted(OUTPUT_NAMES)
        else:
            assert not out.exists()
            assert result.stderr.startswith(tuple(f"{n} problem(s)" for n in range(1, 10_000)))
