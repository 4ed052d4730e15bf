"""Guard rails: stale exports and the night's limits (contract v3)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from reconcile.guards import LIMIT_BY_KEY, parse_duration, parse_limit, shown_age
from tests.conftest import CASES, EXAMPLE, invoke, snapshot


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20h", 72_000),
        ("90m", 5_400),
        ("2d", 172_800),
        ("1d 6h", 108_000),
        ("45s", 45),
        ("1.5h", 5_400),
    ],
)
def test_a_duration_reads_as_seconds(text: str, seconds: float) -> None:
    """It reads a number and a unit (d, h, m, s), several of them added."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["20", "h", "20x", "-1h", "0h", "", "20h and more"])
def test_a_duration_without_a_unit_or_of_nothing_is_refused(text: str) -> None:
    """It refuses a number without a unit, a unit without a number, and no time at all."""
    with pytest.raises(ValueError):
        parse_duration(text)


def test_an_age_is_shown_as_people_read_it() -> None:
    """It shows the two largest units, and drops a zero second one."""
    assert [shown_age(s) for s in (40, 720, 72_000, 73_980, 172_800, 180_000)] == [
        "40s",
        "12m",
        "20h",
        "20h 33m",
        "2d",
        "2d 2h",
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("max_removed_share", "5%", 0.05),
        ("max_removed_share", 0.25, 0.25),
        ("max_removed_share", 1, 1.0),
        ("max_rejected_share", "0.5", 0.5),
        ("max_removed_lines", 5000, 5000),
        ("max_cancelled_orders", "12", 12),
    ],
)
def test_a_limit_is_a_count_or_a_share(key: str, value: object, expected: float) -> None:
    """It reads a count as a whole number, a share as a number from 0 to 1 or a percentage."""
    assert parse_limit(LIMIT_BY_KEY[key], value) == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_removed_share", "150%"),
        ("max_removed_share", 2),
        ("max_removed_share", "a lot"),
        ("max_removed_lines", -1),
        ("max_removed_lines", 2.5),
        ("max_cancelled_orders", "ten"),
    ],
)
def test_a_limit_out_of_range_is_refused(key: str, value: object) -> None:
    """It refuses a share above 100% or not a number, and a count that is not a whole number."""
    with pytest.raises(ValueError):
        parse_limit(LIMIT_BY_KEY[key], value)


# ---- stale exports -----------------------------------------------------------------------


@pytest.fixture
def stale_night(tmp_path: Path) -> Path:
    """The example night whose orders.csv was last written two days and an hour ago."""
    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    then = time.time() - 2 * 86_400 - 3_700
    os.utime(night / "orders.csv", (then, then))
    return night


def test_an_input_older_than_max_age_exits_75_naming_it(stale_night: Path, tmp_path: Path) -> None:
    """It exits 75 before reading, naming the stale file, its age and the limit, and writes
    nothing."""
    out = tmp_path / "out"
    result = invoke("run", stale_night, "--out", out, "--max-age", "20h")
    assert (result.exit_code, result.stderr) == (
        75,
        f"reconcile: {stale_night / 'orders.csv'} (2d 1h old): older than max_age 20h "
        "(--max-age); it may be an earlier night's export. Nothing was written; try again once "
        "tonight's export is in (or give --max-age off to run on it anyway)\n",
    )
    assert not out.exists()
    assert invoke("check", stale_night, "--max-age", "1d").exit_code == 75


def test_max_age_from_the_configuration_and_off_on_the_command_line(
    stale_night: Path, tmp_path: Path
) -> None:
    """It applies [inputs] max_age, names the file that set it, and --max-age off lifts it."""
    config = tmp_path / "reconcile.toml"
    config.write_text(f'[inputs]\nfolder = "{stale_night}"\nmax_age = "1d"\n')
    refused = invoke("run", "--config", config, "--out", tmp_path / "out")
    assert refused.exit_code == 75
    assert f"older than max_age 1d (configuration file {config}: [inputs] max_age)" in (
        refused.stderr
    )
    lifted = invoke("run", "--config", config, "--out", tmp_path / "out", "--max-age", "off", "-q")
    assert lifted.exit_code == 0


def test_a_bad_max_age_exits_2(tmp_path: Path) -> None:
    """It exits 2 naming the key for a max_age that is not a duration, in the file or on the
    command line."""
    config = tmp_path / "reconcile.toml"
    config.write_text('[inputs]\nmax_age = "tomorrow"\n')
    result = invoke("run", EXAMPLE, "--config", config, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f'reconcile: configuration file {config}: [inputs] max_age = "tomorrow" is not a duration'
    )


# ---- limits ------------------------------------------------------------------------------

# The example night: 12 of 42 lines removed (28.6%), 11 of 36 orders cancelled whole (30.6%),
# 2 of 15 distinct cancellations rejected (13.3%).
TRIPPED = [
    ("max_removed_lines", "11", "12 batch lines removed; limit 11"),
    ("max_removed_share", "25%", "12 batch lines removed of 42 (28.6%); limit 25%"),
    ("max_cancelled_orders", "10", "11 orders cancelled whole; limit 10"),
    ("max_cancelled_orders_share", "0.3", "11 orders cancelled whole of 36 (30.6%); limit 30%"),
    ("max_rejected_share", "10%", "2 cancellations rejected of 15 (13.3%); limit 10%"),
]


@pytest.mark.parametrize(("key", "value", "figure"), TRIPPED)
def test_a_night_over_a_limit_writes_nothing_and_exits_65(
    tmp_path: Path, key: str, value: str, figure: str
) -> None:
    """It exits 65 naming the limit, the night's figure and the option that set it, and
    leaves the previous run in place; --allow-over-limits publishes it."""
    out = tmp_path / "out"
    assert invoke("run", CASES / "base", "--out", out, "-q").exit_code == 0
    before = snapshot(out)
    option = "--" + key.replace("_", "-")
    result = invoke("run", EXAMPLE, "--out", out, option, value)
    assert result.exit_code == 65
    assert result.stderr == (
        "reconcile: the night is over its limits, so nothing was written:\n"
        f"  {key}: {figure} ({option}): OVER\n"
        "Check the inputs (a whole export cancelled? a list pasted with every order?); if the "
        "night is right, run again with --allow-over-limits\n"
    )
    assert snapshot(out) == before
    allowed = invoke("run", EXAMPLE, "--out", out, option, value, "--allow-over-limits", "-q")
    assert allowed.exit_code == 0 and snapshot(out) != before


def test_limits_from_the_configuration_name_the_file_and_dry_run_shows_each_figure(
    tmp_path: Path,
) -> None:
    """It names the configuration file and key of a limit, and --dry-run shows every limit in
    force beside the night's figure, over or within, and writes nothing."""
    config = tmp_path / "reconcile.toml"
    config.write_text(
        f'[inputs]\nfolder = "{EXAMPLE}"\n[limits]\nmax_removed_share = "25%"\n'
        "max_rejected_share = 0.5\n"
    )
    where = f"configuration file {config}: [limits]"
    dry = invoke("run", "--config", config, "--out", tmp_path / "out", "--dry-run")
    assert dry.exit_code == 0
    assert (
        "limits:\n"
        f"  max_removed_share: 12 batch lines removed of 42 (28.6%); limit 25% ({where} "
        "max_removed_share): OVER\n"
        f"  max_rejected_share: 2 cancellations rejected of 15 (13.3%); limit 50% ({where} "
        "max_rejected_share): within\n"
    ) in dry.stdout
    assert not (tmp_path / "out").exists()
    over = invoke("run", "--config", config, "--out", tmp_path / "out")
    assert over.exit_code == 65 and f"({where} max_removed_share): OVER" in over.stderr


def test_a_limit_that_is_not_a_number_exits_2(tmp_path: Path) -> None:
    """It exits 2 naming the option for a share that is not one."""
    result = invoke("run", EXAMPLE, "--out", tmp_path / "out", "--max-removed-share", "150%")
    assert result.exit_code == 2
    assert result.stderr.startswith("reconcile: --max-removed-share: max_removed_share = '150%'")
