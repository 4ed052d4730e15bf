"""Pandera schemas: input problems become report rows; broken outputs are caught."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from reconcile.contract import BATCHES
from reconcile.csvio import CsvTable
from reconcile.errors import InternalError
from reconcile.policy import default_policy
from reconcile.rules import Inputs, Outputs, reconcile
from reconcile.schemas import repeated_key_problems, validate_files, validate_outputs


def table(label: str, **columns: list[str | None]) -> CsvTable:
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    return CsvTable(label, frame, None, tuple(columns), digest="")


def test_pandera_failures_become_rows_with_file_lines() -> None:
    """It reports each failing value with its file line (row i on line i + 2) and kind."""
    batches = table(
        "batches.csv",
        batch_id=["B1", "B1", None],
        status=["Filling", "filing", "Filling"],
        capacity=["4", "4.5", "0099999999999999999999"],
    )
    problems = validate_files([(BATCHES, batches)], default_policy())
    assert problems.select("row", "column", "value", "kind").rows() == [
        (2, "batch_id", "B1", "repeated_key"),
        (3, "batch_id", "B1", "repeated_key"),
        (3, "capacity", "4.5", "bad_capacity"),
        (3, "status", "filing", "unknown_status"),
        (4, "batch_id", "", "empty_value"),
        (4, "capacity", "0099999999999999999999", "capacity_too_large"),
    ]


def good_outputs() -> tuple[Inputs, Outputs]:
    inputs = Inputs(
        orders=pl.DataFrame({"order_id": ["O1", "O2"], "status": ["Open", "Open"]}),
        batches=pl.DataFrame(
            {"batch_id": ["B1"], "status": ["Pending Generation"], "capacity": ["3"]}
        ),
        batch_items=pl.DataFrame(
            {"batch_id": ["B1", "B1"], "order_id": ["O1", "O2"], "item_id": ["I1", "I2"]}
        ),
        cancellations=pl.DataFrame({"order_id": ["O1"]}),
    )
    return inputs, reconcile(inputs, default_policy())


def test_valid_outputs_pass() -> None:
    """It accepts what the rules produce."""
    inputs, outputs = good_outputs()
    validate_outputs(inputs, outputs, default_policy())


def test_a_queued_batch_without_lines_is_an_internal_error() -> None:
    """It refuses outputs that break the contract, such as a queued batch with no lines left."""
    inputs, outputs = good_outputs()
    broken_outcomes = outputs.batch_outcomes.with_columns(item_count=pl.lit(0, pl.Int64))
    with pytest.raises(InternalError, match="a queued batch still has lines"):
        validate_outputs(inputs, replace(outputs, batch_outcomes=broken_outcomes), default_policy())


def test_an_output_failing_its_check_names_the_column_and_first_rows() -> None:
    """It names the output, the column, the check and the first failing rows (it said
    "removed_items.csv: not_nullable")."""
    inputs, outputs = good_outputs()
    blank = outputs.removed_items.with_columns(cancelled_by=pl.lit(None, pl.String))
    with pytest.raises(InternalError) as error:
        validate_outputs(inputs, replace(outputs, removed_items=blank), default_policy())
    assert "removed_items.csv: column cancelled_by fails not_nullable (row 0: None)" in str(
        error.value
    )


def test_lost_lines_are_an_internal_error() -> None:
    """It refuses outputs where kept plus removed lines do not add up to the input lines."""
    inputs, outputs = good_outputs()
    fewer = outputs.batch_items.head(0)
    with pytest.raises(InternalError, match="batch lines lost"):
        validate_outputs(inputs, replace(outputs, batch_items=fewer), default_policy())


def test_a_keys_uniqueness_known_from_its_sort_is_taken_as_found() -> None:
    """It lists every row of a repeated key when told the key repeats, checks the key on
    hashes when not told, and looks no further when told it is unique."""
    batches = table(
        "batches.csv", batch_id=["B1", "B2", "B1"], status=["Filling"] * 3, capacity=["4"] * 3
    )
    tables = [(BATCHES, batches)]
    listed = [(2, "batch_id", "B1", "repeated_key"), (4, "batch_id", "B1", "repeated_key")]

    def found(unique: dict[str, bool | None]) -> list[tuple[object, ...]]:
        problems = repeated_key_problems(tables, unique)
        return problems.select("row", "column", "value", "kind").rows()

    assert found({}) == found({"batches.csv": None}) == found({"batches.csv": False}) == listed
    assert found({"batches.csv": True}) == []
