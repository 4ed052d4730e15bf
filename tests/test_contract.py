"""The contract as data: one home for names, and one fold for statuses in Python and Polars."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import polars as pl
import pytest

from reconcile import contract
from reconcile.policy import STATUSES
from reconcile.rules import status_key_expr

PACKAGE = Path(contract.__file__).parent

# Every character Unicode calls white space or a separator, the controls Python's
# str.isspace() also counts (U+001C-U+001F), and invisible ones people paste.
PADDING = sorted(
    {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    | {chr(code) for code in range(0x3000 + 1) if unicodedata.category(chr(code)).startswith("Z")}
    | {"\u200b", "\u2060", "\ufeff", "\u180e"}
)


def test_python_and_polars_fold_every_status_alike() -> None:
    """It folds each contract status, padded on either side with every white-space, separator
    and invisible character, the same way in Python (policy keys) and in Polars (batch files)."""
    padded = [
        spelled
        for status in (*STATUSES, "Quality Check", "ΣΟΦΟΣ", "İstanbul")
        for pad in PADDING
        for spelled in (pad + status, status + pad, pad + status.upper() + pad)
    ]
    in_polars = pl.DataFrame({"status": padded}).select(status_key_expr("status")).to_series()
    assert in_polars.to_list() == [contract.status_key(status) for status in padded]


@pytest.mark.parametrize("pad", ["\x1c", "\x1f", "\u200b", "\ufeff"])
def test_characters_outside_white_space_are_not_trimmed(pad: str) -> None:
    """It keeps U+001C-U+001F and zero-width characters: the contract trims White_Space only."""
    assert contract.status_key(f"{pad}Filling") == f"{pad}filling"


def test_trimming_removes_exactly_the_contracts_white_space() -> None:
    """It trims the Unicode White_Space set the contract lists, at both ends."""
    for character in contract.WHITE_SPACE:
        assert contract.trim(f"{character}a b{character}") == "a b"
    assert len(contract.WHITE_SPACE) == 25


@pytest.mark.parametrize(
    "name", [file.name for file in contract.INPUTS] + list(contract.OUTPUT_NAMES)
)
def test_each_file_name_is_a_literal_in_the_contract_module_only(name: str) -> None:
    """It names every input and output file in reconcile/contract.py and nowhere else."""
    holders = [
        path.name for path in sorted(PACKAGE.glob("*.py")) if f'"{name}"' in path.read_text()
    ]
    assert holders == ["contract.py"]


def test_every_output_is_written_and_compared() -> None:
    """It lists every CSV output once, each keyed by columns of the input it carries."""
    names = [file.name for file in contract.CSV_OUTPUTS]
    assert len(names) == len(set(names))
    for file in contract.CSV_OUTPUTS:
        assert file.carries is not None
        assert set(file.key + file.sorted_by) <= {
            *file.carries.columns,
            *contract.JOB_COLUMNS,
        }, file.name
