"""The command line through Click's CliRunner: exit statuses, exact messages, files written."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from tests.conftest import CASES, EXAMPLE, GOLDEN, ROOT, invoke, snapshot, write_folder


def case_folder(tmp_path: Path, role: str, case: str) -> Path:
    """The base night with ``role``'s file replaced by ``fixtures/cases/ROLE/CASE.csv``."""
    folder = tmp_path / f"{role}-{case}"
    shutil.copytree(CASES / "base", folder)
    shutil.copyfile(CASES / role / f"{case}.csv", folder / f"{role}.csv")
    return folder


@pytest.fixture
def previous_output(tmp_path: Path) -> Path:
    """An output folder holding an earlier run's files."""
    out = tmp_path / "out"
    result = invoke("run", CASES / "base", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(
    ("policy", "golden"),
    [(None, "example"), (ROOT / "fixtures" / "policy.example.toml", "example_with_policy")],
)
def test_example_night_matches_golden_files(
    tmp_path: Path, policy: Path | None, golden: str
) -> None:
    """It writes exactly the golden outputs for the shipped example night."""
    args = ["run", EXAMPLE, "--out", tmp_path / "out"] + (["--policy", policy] if policy else [])
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path / "out") == snapshot(GOLDEN / golden)


def test_run_prints_what_happened_per_batch_status(tmp_path: Path) -> None:
    """It prints the cancellations by outcome, lines and batches per batch status and action,
    and the rows of each output on stdout, and nothing on stderr."""
    out = tmp_path / "out"
    result = invoke("run", EXAMPLE, "--out", out)
    assert result.stdout.splitlines() == [
        "reconcile: read orders.csv (36 rows), batches.csv (11 rows), batch_items.csv (42 rows), "
        "cancellations.csv (17 rows)",
        "reconcile: 15 distinct cancellation(s): 12 applied (11 whole-order, 1 line), "
        "2 rejected (1 unknown_order, 1 item_order_mismatch), 1 unmatched",
        # batches: those of the status the run touched (3 batches are Filling, 2 touched)
        "  batch status                   action         batches   removed      held    queued  archived",
        "  Filling                        refill               2         6         0         0         1",
        "  Pending Generation             regenerate           2         5         0         1         1",
        "  Pending RIP                    hold                 1         0         1         0         0",
        "  Pending Production             hold                 1         0         2         0         0",
        "  In Production (Stock Picking)  regenerate           1         1         0         1         0",
        "  Sent to Production             hold                 0         0         0         0         0",
        "  In Production                  hold                 1         0         2         0         0",
        "  Dispatched                     hold                 0         0         0         0         0",
        "  all                                                 8        12         5         2         2",
        "  batch_items.csv                     30 row(s)",
        "  removed_items.csv                   12 row(s)",
        "  held_items.csv                       5 row(s)",
        "  batches.csv                         11 row(s)",
        "  regeneration_queue.csv               2 row(s)",
        "  archive_list.csv                     2 row(s)",
        "  orders.csv                          36 row(s)",
        "  rejected_cancellations.csv           2 row(s)",
        "  unmatched_cancellations.csv          1 row(s)",
        "  3 cancellation(s) did not apply: see rejected_cancellations.csv and "
        "unmatched_cancellations.csv, each row with its hint",
        f"outputs written to {out}",
    ]
    assert result.stderr == ""


def test_dry_run_says_what_would_happen_and_the_policy_in_force(tmp_path: Path) -> None:
    """It prints the same picture for a dry run, names a policy that is not the default, and
    says plainly that nothing was written."""
    policy = ROOT / "fixtures" / "policy.example.toml"
    out = tmp_path / "out"
    result = invoke("run", EXAMPLE, "--out", out, "--dry-run", "--policy", policy)
    lines = result.stdout.splitlines()
    assert (
        "  Pending Production             regenerate           1         2         0         1         0"
        in lines
    )
    assert (
        "  policy (policy.example.toml): the default, with Pending Production -> regenerate, "
        "Quality Check -> hold" in lines
    )
    assert "dry run: nothing was written; a run would write the rows above" in lines
    assert not out.exists()


def test_run_json_prints_the_summary_and_quiet_prints_nothing(tmp_path: Path) -> None:
    """It prints summary.json's content with --format json, and nothing with --quiet."""
    as_json = invoke("run", EXAMPLE, "--out", tmp_path / "a", "--format", "json")
    assert as_json.exit_code == 0
    assert as_json.stdout == (tmp_path / "a" / "summary.json").read_text()
    quiet = invoke("run", EXAMPLE, "--out", tmp_path / "b", "--quiet")
    assert (quiet.exit_code, quiet.output) == (0, "")


def test_single_file_options_replace_files_of_the_folder(tmp_path: Path) -> None:
    """It reads each file option instead of that file in INPUT_DIR, and needs no INPUT_DIR with all four."""
    files = {
        f"--{name.replace('_', '-')}": EXAMPLE / f"{name}.csv"
        for name in ("orders", "batches", "batch_items", "cancellations")
    }
    args: list[str | Path] = ["run", "--out", tmp_path / "out"]
    for option, path in files.items():
        args += [option, path]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path / "out") == snapshot(GOLDEN / "example")


def test_missing_input_dir_and_file_option_is_a_usage_error(tmp_path: Path) -> None:
    """It exits 2 naming the option when neither INPUT_DIR nor a file option is given."""
    result = invoke("run", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == (
        "reconcile: no input folder given and no --orders FILE: give INPUT_DIR or --orders\n"
    )


NOT_APPLIED_IN_THE_EXAMPLE = (
    "rejected (2):\n"
    "  order_id=O-0013, item_id=000121  item_order_mismatch  "
    "hint: the item is batched under order O-0014\n"
    "  order_id=O-9999, item_id=  unknown_order\n"
    "unmatched (no batch holds the item) (1):\n"
    "  order_id=O-0014, item_id=000999\n"
)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    """It reads, validates and applies the rules, prints the summary and the rows that would
    not apply with their reasons and hints, and writes nothing at all."""
    result = invoke("run", EXAMPLE, "--out", tmp_path / "out", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "dry run: nothing was written; a run would write the rows above\n"
        + NOT_APPLIED_IN_THE_EXAMPLE
    )
    assert list(tmp_path.iterdir()) == []


def test_dry_run_limit_caps_the_rows_shown(tmp_path: Path) -> None:
    """It shows the first --limit rows of each kind and says how many more there are."""
    result = invoke("run", EXAMPLE, "--out", tmp_path / "out", "--dry-run", "--limit", "1")
    assert result.stdout.endswith(
        "rejected (2):\n"
        "  order_id=O-0013, item_id=000121  item_order_mismatch  "
        "hint: the item is batched under order O-0014\n"
        "  ... and 1 more (--limit 0 shows all)\n"
        "unmatched (no batch holds the item) (1):\n"
        "  order_id=O-0014, item_id=000999\n"
    )


COMMANDS = ([], ["run"], ["check"], ["diff"], ["runs"], ["init"], ["synth"])


def help_examples(command: list[str]) -> list[str]:
    """The command lines of a help text's example block."""
    text = invoke(*command, "--help").stdout
    block = text.split("Example:", 1)[1]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("reconcile ")]


def test_every_command_has_an_example_and_version_is_printed() -> None:
    """It shows an example in every command's help, and the version."""
    for command in COMMANDS:
        assert help_examples(command), command
    from importlib.metadata import version

    assert invoke("--version").stdout == f"reconcile 0.1.0 (Polars {version('polars')})\n"


@pytest.mark.subprocess
def test_help_reads_no_package_metadata() -> None:
    """It answers --help without reading Polars' version from its metadata (20 ms of every
    start), which only --version needs."""
    code = (
        "import sys\nfrom reconcile.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='reconcile')\nexcept SystemExit:\n    pass\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "False"


@pytest.mark.subprocess
def test_the_allocator_is_set_before_polars_loads() -> None:
    """It loads no Polars when the command line is imported, so that ``main`` sets Polars'
    allocator before Polars reads its settings."""
    code = "import sys\nimport reconcile.cli\nprint('polars' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "False"


@pytest.mark.parametrize("users", [None, "narenas:3"])
def test_the_command_line_sets_polars_allocator_unless_the_user_has(
    monkeypatch: pytest.MonkeyPatch, users: str | None
) -> None:
    """It sets Polars' allocator for the command's process, and leaves a setting of the
    user's as it is."""
    from reconcile import cli

    if users is None:
        monkeypatch.delenv(cli.ALLOCATOR_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(cli.ALLOCATOR_VARIABLE, users)
    monkeypatch.setattr(sys, "argv", ["reconcile", "--help"])
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    cli.main()
    assert exits == [0]
    assert os.environ[cli.ALLOCATOR_VARIABLE] == (users or cli.allocator_settings())


def test_the_allocator_has_one_arena_per_core_the_process_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It gives Polars' allocator one arena for each core the process may run on, and
    purges freed pages at once."""
    from reconcile import cli

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert cli.allocator_settings() == "narenas:3,muzzy_decay_ms:0"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "cli")
def test_every_help_example_runs_as_pasted_from_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """It runs each example line exactly as the help prints it, from a copy of the repository
    root (its fixtures): no line is wrapped, every path exists."""
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    for line in help_examples(command):
        result = invoke(*shlex.split(line)[1:])
        allowed = (0, 1) if line.startswith("reconcile diff") else (0,)
        assert result.exit_code in allowed, (line, result.output)


INPUT_ERROR_CASES = [
    # role, case, exit status, text the report must contain
    (
        "batch_items",
        "short_row",
        65,
        'row 3, value "B1,O2,I2": row has 3 field(s), the header has 4',
    ),
    ("batch_items", "long_row", 65, "row has 5 field(s), the header has 4"),
    ("batch_items", "line_of_spaces", 65, "row has 1 field(s), the header has 4"),
    (
        "batch_items",
        "unterminated_quote",
        65,
        "a quoted field is still open at the end of the file",
    ),
    ("batch_items", "junk_after_closing_quote", 65, "text after a closing quote"),
    ("batch_items", "not_utf8_cp1252", 65, "bytes that are not UTF-8: e9"),
    ("batch_items", "semicolon_delimited", 65, "required column batch_id is missing"),
    (
        "batch_items",
        "cr_line_ends",
        65,
        "lines end with a carriage return alone (CR, as classic Mac OS wrote them) (1):\n"
        "    row 1\n    fix: save the file with LF or CRLF line ends",
    ),
    ("batch_items", "repeated_column", 65, "column name repeated (1):\n    row 1, column item_id"),
    (
        "batch_items",
        "reserved_column",
        65,
        "column 'action' is one the job appends to this file's outputs",
    ),
    ("batch_items", "missing_column", 65, "required column order_id is missing"),
    ("batch_items", "zero_bytes", 65, "file is empty: no header row"),
    (
        "batch_items",
        "empty_value",
        65,
        'required value is empty (1):\n    row 2, column item_id, value ""\n',
    ),
    (
        # "" is an empty value whichever reading path the file takes; the quoted comma
        # on another row once sent it down a path that read "" as text.
        "batch_items",
        "quoted_empty_value_beside_quoted_comma",
        65,
        'required value is empty (1):\n    row 2, column item_id, value ""\n',
    ),
    (
        "batch_items",
        "repeated_key",
        65,
        'key repeated (2):\n    row 2, column item_id, value "I1"\n    row 3, column item_id, value "I1"',
    ),
    (
        "batch_items",
        "unknown_batch_and_order",
        65,
        'batch_id not in batches.csv (1):\n    row 3, column batch_id, value "B9"',
    ),
    (
        "batches",
        "capacity_word",
        65,
        'capacity is not a whole number (1):\n    row 2, column capacity, value "ten"',
    ),
    ("batches", "capacity_negative", 65, 'value "-1"'),
    ("batches", "capacity_decimal", 65, 'value "2.5"'),
    ("batches", "capacity_leading_space", 65, 'value " 5"'),
    (
        "batches",
        "capacity_empty",
        65,
        'required value is empty (1):\n    row 2, column capacity, value ""',
    ),
    ("batches", "repeated_key", 65, "key repeated (2)"),
    ("orders", "repeated_key", 65, 'row 4, column order_id, value "O1"'),
    ("orders", "empty_value", 65, 'row 2, column status, value ""'),
    ("batches", "unknown_status", 65, '"Pending Generaton" on 1 row(s), first at row 3'),
    # U+001C is not white space to the contract: shown escaped, so the report can be acted on
    (
        "batches",
        "status_padded_with_u001c",
        65,
        'unknown batch status (1):\n    "In Production\\u001c" on 1 row(s), first at row 2',
    ),
    ("cancellations", "reserved_column", 65, "column 'reason' is one the job appends"),
]


@pytest.mark.parametrize(("role", "case", "status", "message"), INPUT_ERROR_CASES)
def test_bad_input_exits_with_a_report_and_leaves_the_output_alone(
    tmp_path: Path, previous_output: Path, role: str, case: str, status: int, message: str
) -> None:
    """It exits 65 with the file, row, column and problem, and leaves the previous output as it was."""
    before = snapshot(previous_output)
    result = invoke("run", case_folder(tmp_path, role, case), "--out", previous_output)
    assert result.exit_code == status
    assert result.stdout == ""
    assert f"\n{role}.csv:\n" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(previous_output) == before


def test_unknown_statuses_are_listed_once_each_with_counts(tmp_path: Path) -> None:
    """It lists each distinct unknown status with its row count and points to --policy."""
    result = invoke("check", case_folder(tmp_path, "batches", "unknown_status"))
    assert result.exit_code == 65
    assert (
        "  unknown batch status (3):\n"
        '    "Pending Generaton" on 1 row(s), first at row 3\n'
        '    "Quality Check" on 1 row(s), first at row 5\n'
        '    "pending generaton" on 1 row(s), first at row 4\n'
        "    fix: fix the spelling, or map the status to an action with --policy FILE\n"
    ) in result.stdout


def test_a_missing_file_exits_66_and_wins_over_bad_data(
    tmp_path: Path, previous_output: Path
) -> None:
    """It exits 66 when a file is missing, even when another file is also invalid."""
    folder = case_folder(tmp_path, "batch_items", "short_row")
    (folder / "orders.csv").unlink()
    before = snapshot(previous_output)
    result = invoke("run", folder, "--out", previous_output)
    assert result.exit_code == 66
    assert (
        f"orders.csv:\n  file is missing (1):\n    no file at {folder / 'orders.csv'}"
        in result.stderr
    )
    assert "row has 3 field(s)" in result.stderr
    assert snapshot(previous_output) == before


def test_a_folder_where_a_file_should_be_exits_66(tmp_path: Path) -> None:
    """It exits 66 when an input path is a folder."""
    folder = write_folder(tmp_path / "in", {})
    shutil.copytree(CASES / "base", folder, dirs_exist_ok=True)
    result = invoke("check", folder, "--orders", tmp_path)
    assert result.exit_code == 66
    assert "is a folder, not a regular file\n" in result.stdout


@pytest.mark.parametrize(
    "case", ["utf8_bom", "crlf", "empty_lines", "header_with_spaces", "rows_of_empty_fields"]
)
def test_equivalent_inputs_give_identical_outputs(tmp_path: Path, case: str) -> None:
    """It writes byte-identical outputs for a BOM, CRLF, empty lines or padded headers."""
    plain = invoke(
        "run", case_folder(tmp_path, "batch_items", "valid"), "--out", tmp_path / "plain"
    )
    variant = invoke(
        "run", case_folder(tmp_path, "batch_items", case), "--out", tmp_path / "variant"
    )
    assert plain.exit_code == variant.exit_code == 0
    strip = lambda files: {name: data for name, data in files.items() if name != "summary.json"}  # noqa: E731
    assert strip(snapshot(tmp_path / "plain")) == strip(snapshot(tmp_path / "variant"))


def test_header_only_inputs_give_header_only_outputs(tmp_path: Path) -> None:
    """It runs a night with no rows and writes every output with its header only."""
    folder = write_folder(
        tmp_path / "in",
        {
            "orders.csv": "order_id,status\n",
            "batches.csv": "batch_id,status,capacity\n",
            "batch_items.csv": "batch_id,order_id,item_id\n",
            "cancellations.csv": "order_id,item_id\n",
        },
    )
    result = invoke("run", folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    files = snapshot(tmp_path / "out")
    assert files["batches.csv"] == b"batch_id,status,capacity,item_count,open_slots\n"
    assert (
        files["regeneration_queue.csv"]
        == b"batch_id,status,items_removed,items_remaining,capacity\n"
    )
    assert files["rejected_cancellations.csv"] == b"order_id,item_id,reason,hint\n"
    assert files["unmatched_cancellations.csv"] == b"order_id,item_id,hint\n"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_toml.toml", "policy file {path}: not valid TOML"),
        (
            "unknown_action.toml",
            'policy file {path}: key "Pending RIP" has value "regen"; the value must be one of refill, regenerate, hold',
        ),
        ("no_actions_table.toml", "policy file {path}: has no [actions] table"),
        (
            "repeated_status.toml",
            'policy file {path}: keys "Pending RIP" and " pending rip" name the same status',
        ),
        ("missing.toml", "policy file {path}: no such file"),
    ],
)
def test_a_bad_policy_file_is_a_usage_error(tmp_path: Path, case: str, message: str) -> None:
    """It exits 2 naming the policy file, and the key and value at fault, before reading inputs."""
    path = CASES / "policies" / case
    result = invoke("run", CASES / "base", "--out", tmp_path / "out", "--policy", path)
    assert result.exit_code == 2
    assert result.stderr.startswith("reconcile: " + message.format(path=path))
    assert not (tmp_path / "out").exists()


def test_check_accepts_the_example(tmp_path: Path) -> None:
    """It exits 0 on a valid night, lists the cancellations a run would not apply, and
    writes nothing."""
    result = invoke("check", EXAMPLE)
    assert (result.exit_code, result.stdout) == (
        0,
        "the input is valid\nbut a run would not apply these cancellations:\n"
        + NOT_APPLIED_IN_THE_EXAMPLE,
    )


def test_check_json_and_report_file(tmp_path: Path) -> None:
    """It prints every problem as JSON and writes them all to --report as CSV."""
    report = tmp_path / "problems.csv"
    result = invoke(
        "check",
        case_folder(tmp_path, "batches", "capacity_word"),
        "--format",
        "json",
        "--report",
        report,
    )
    assert result.exit_code == 65
    content = json.loads(result.stdout)
    assert content["valid"] is False
    assert content["problems"] == [
        {
            "file": "batches.csv",
            "row": 2,
            "column": "capacity",
            "value": "ten",
            "problem": "capacity is not a whole number",
            "kind": "bad_capacity",
        }
    ]
    assert (
        report.read_text()
        == "file,row,column,value,problem\nbatches.csv,2,capacity,ten,capacity is not a whole number\n"
    )


def test_check_json_on_valid_input_includes_the_summary_a_run_would_give(tmp_path: Path) -> None:
    """It reports no problems and the run's summary when the input is valid."""
    result = invoke("check", EXAMPLE, "--format", "json")
    assert result.exit_code == 0
    content = json.loads(result.stdout)
    expected = json.loads((GOLDEN / "example" / "summary.json").read_text())
    assert content == {"valid": True, "problem_count": 0, "problems": [], "summary": expected}


def test_report_lists_at_most_20_per_kind_with_the_total(tmp_path: Path) -> None:
    """It shows the first 20 problems of a kind and says how many more there are."""
    rows = "".join(f"B1,O1,I{index}\n" for index in range(30))
    folder = write_folder(
        tmp_path / "in",
        {
            "orders.csv": "order_id,status\nO1,Open\n",
            "batches.csv": "batch_id,status,capacity\nB1,Filling,4\n",
            "batch_items.csv": "batch_id,order_id,item_id\n"
            + rows.replace("B1,O1,I", "B1,O1,,I", 25),
            "cancellations.csv": "order_id\n",
        },
    )
    result = invoke("check", folder)
    assert result.exit_code == 65
    assert "wrong number of fields (25):" in result.stdout
    assert "... and 5 more (--report FILE lists them all)" in result.stdout


def test_a_typed_item_id_of_spaces_cancels_the_whole_order(tmp_path: Path) -> None:
    """It trims the ids of a cancellation file (contract v3): an item_id of only spaces is
    empty, so the row cancels the whole order (in contract v2 it was a line cancellation of
    no batched line)."""
    result = invoke(
        "run",
        case_folder(tmp_path, "cancellations", "item_id_only_spaces"),
        "--out",
        tmp_path / "out",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "orders.csv").read_text() == (
        "order_id,status\nO1,Cancelled\nO2,Open\n"
    )
    assert (tmp_path / "out" / "removed_items.csv").read_text().count("\n") == 2


def test_a_nul_byte_and_a_1mb_field_are_carried_through(tmp_path: Path) -> None:
    """It runs a night holding a NUL byte and a 1 MB value, and writes both back unchanged."""
    folder = case_folder(tmp_path, "batch_items", "nul_byte_in_field")
    big = "x" * 1_000_000
    with (folder / "batch_items.csv").open("a") as file:
        file.write(f"B1,O2,I3,{big}\n")
    result = invoke("run", folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    kept = (tmp_path / "out" / "batch_items.csv").read_text()
    removed = (tmp_path / "out" / "removed_items.csv").read_text()  # the base night cancels O1
    assert f"B1,O2,I3,{big}\n" in kept
    assert "B1,O1,I1,Post\x00er,Filling,refill,cancellations.csv:2\n" in removed


def test_a_run_on_a_terminal_shows_each_stage_as_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It tells a person at a terminal which stage a run is in, on stderr; --quiet, cron and
    pipes (no terminal) get nothing of it."""
    monkeypatch.setattr("reconcile.cli._stderr_is_terminal", lambda: True)
    shown = invoke("run", EXAMPLE, "--out", tmp_path / "a")
    assert shown.stderr.splitlines() == [
        "reconcile: [1/7] read...",
        "reconcile: [2/7] validate inputs...",
        "reconcile: [3/7] sort...",
        "reconcile: [4/7] rules...",
        "reconcile: [5/7] validate outputs...",
        "reconcile: [6/7] write...",
        "reconcile: [7/7] publish...",
    ]
    assert invoke("run", EXAMPLE, "--out", tmp_path / "b", "--quiet").stderr == ""


def test_timings_prints_each_stages_wall_and_cpu_time_then_the_total(tmp_path: Path) -> None:
    """It prints, with --timings, one stderr line per stage in order (wall seconds, then CPU
    seconds of all threads), then their totals; stdout keeps only the summary."""
    timed = invoke("run", EXAMPLE, "--out", tmp_path / "a", "--quiet", "--timings")
    assert (timed.exit_code, timed.stdout) == (0, "")
    number = r" +\d+\.\d{3} s"
    lines = timed.stderr.splitlines()
    stages = ["read", "validate inputs", "sort", "rules", "validate outputs", "write", "publish"]
    assert [line[len("timing: ") :].split("  ")[0].strip() for line in lines] == [
        *stages,
        "total",
    ]
    for line in lines:
        assert re.fullmatch(rf"timing: [a-z ]{{16}}{number}  CPU{number}", line), line


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("arguments", "status", "stdout_end", "stderr"),
    [
        (["run", EXAMPLE, "--out", "{out}"], 0, "outputs written to {out}\n", ""),
        (
            ["run", "{tmp}/missing", "--out", "{out}"],
            66,
            "",
            "reconcile: the input folder {tmp}/missing does not exist (or is not a folder)\n",
        ),
    ],
    ids=["written", "no-input"],
)
def test_the_program_ends_with_the_commands_status_and_all_its_output(
    tmp_path: Path, arguments: list[str | Path], status: int, stdout_end: str, stderr: str
) -> None:
    """It exits, as a program, with the command's status once its output is flushed (it
    skips Python's teardown): the whole summary on a pipe, the whole error message."""
    out = tmp_path / "out"

    def filled(text: str) -> str:
        return text.format(out=out, tmp=tmp_path)

    ended = subprocess.run(
        [sys.executable, "-m", "reconcile", *(filled(str(a)) for a in arguments)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ended.returncode == status
    assert ended.stdout.endswith(filled(stdout_end))
    assert ended.stderr == filled(stderr)
    if status == 0:
        assert snapshot(out) == snapshot(GOLDEN / "example")


# ---- the exit status says what OUT shows; no traceback, no hang (contract v3) -----------


def reconcile_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "reconcile", *map(str, args)]


@pytest.mark.subprocess
def test_a_full_stdout_after_publishing_is_noted_and_exits_0(
    previous_output: Path,
) -> None:
    """It exits 0 when the summary cannot be printed (stdout on /dev/full) once the new run
    is published, and says so on stderr (it exited 70, "internal error")."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            reconcile_command("run", EXAMPLE, "--out", previous_output),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0
    assert done.stderr == (
        "reconcile: the run is published, but its summary could not be printed "
        "(No space left on device)\n"
    )
    assert snapshot(previous_output) == snapshot(GOLDEN / "example")


@pytest.mark.subprocess
def test_a_closed_pipe_after_publishing_is_noted_and_exits_0(previous_output: Path) -> None:
    """It exits 0 when whoever reads stdout has gone (``| true``) once the new run is
    published."""
    process = subprocess.Popen(
        reconcile_command("run", EXAMPLE, "--out", previous_output, "--format", "json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the run prints
    message = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0
    assert message == (
        "reconcile: the run is published, but its summary could not be printed (Broken pipe)\n"
    )
    assert snapshot(previous_output) == snapshot(GOLDEN / "example")


def test_an_unwritable_report_is_refused_before_anything_with_2(
    previous_output: Path, tmp_path: Path
) -> None:
    """It exits 2 before reading when --report names a folder or a file in a folder that does
    not exist, and OUT still shows the previous run (it exited 73 after publishing)."""
    before = snapshot(previous_output)
    for report, problem in (
        (tmp_path / "nowhere" / "r.csv", f"the folder {tmp_path / 'nowhere'} does not exist"),
        (tmp_path, "is a folder, not a file"),
    ):
        result = invoke("run", EXAMPLE, "--out", previous_output, "--report", report)
        assert (result.exit_code, result.stderr) == (
            2,
            f"reconcile: --report {report}: {problem}\n",
        )
    assert snapshot(previous_output) == before


def test_bad_input_with_an_unwritable_report_prints_the_problems_without_a_traceback(
    tmp_path: Path,
) -> None:
    """It exits 2 without a traceback for bad input and --report /nonexistent/r.csv, and if
    the report fails only once the problems are found, it prints them, says so and exits 65."""
    bad = write_folder(tmp_path / "bad", {})
    shutil.copytree(EXAMPLE, bad, dirs_exist_ok=True)
    batches = bad / "batches.csv"
    batches.write_text(batches.read_text().replace("Filling", "Filing", 1))
    refused = invoke("run", bad, "--out", tmp_path / "o", "--report", "/nonexistent/r.csv")
    assert (refused.exit_code, refused.stderr) == (
        2,
        "reconcile: --report /nonexistent/r.csv: the folder /nonexistent does not exist\n",
    )
    report = tmp_path / "report.csv"
    from reconcile import pipeline
    from reconcile.errors import OutputError

    def failing(*_: object) -> None:
        raise OutputError(f"cannot write the report {report}: No space left on device")

    original, pipeline.write_report = pipeline.write_report, failing
    try:
        result = invoke("run", bad, "--out", tmp_path / "o", "--report", report)
    finally:
        pipeline.write_report = original
    assert result.exit_code == 65
    assert "unknown batch status" in result.stderr
    assert result.stderr.endswith(
        f"reconcile: cannot write the report {report}: No space left on device\n"
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_report_onto_an_input_is_refused_with_2(tmp_path: Path, command: str) -> None:
    """It exits 2, and overwrites nothing, when --report names an input file."""
    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    before = snapshot(night)
    orders = night / "orders.csv"
    result = invoke(command, night, "--out", tmp_path / "o", "--report", orders)
    if command == "check":
        result = invoke(command, night, "--report", orders)
    assert (result.exit_code, result.stderr) == (
        2,
        f"reconcile: --report {orders} would overwrite the input file {orders}; "
        "give the report a file of its own\n",
    )
    assert snapshot(night) == before


def interrupted(*_: object, **__: object) -> NoReturn:
    """Stands in for a step that Ctrl-C stops."""
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("module", "step"),
    [("pipeline", "write_outputs"), ("publish", "_fsync_tree"), ("publish", "_take_over")],
)
def test_an_interrupt_before_the_switch_exits_130_and_leaves_out_as_it_was(
    previous_output: Path, monkeypatch: pytest.MonkeyPatch, module: str, step: str
) -> None:
    """It exits 130 saying OUT still shows the previous run when Ctrl-C comes while the run
    is written or before its link is switched, and leaves no file of the new run (it printed
    "Aborted!" and exited 1)."""
    from reconcile import pipeline, publish

    monkeypatch.setattr({"pipeline": pipeline, "publish": publish}[module], step, interrupted)
    runs = previous_output.parent / ".out.reconcile" / "runs"
    before, kept = snapshot(previous_output), sorted(runs.iterdir())
    result = invoke("run", EXAMPLE, "--out", previous_output)
    assert (result.exit_code, result.stderr, result.stdout) == (
        130,
        "reconcile: interrupted; nothing was published: OUT still shows the previous run\n",
        "",
    )
    assert snapshot(previous_output) == before
    assert sorted(runs.iterdir()) == kept


def test_an_interrupt_once_out_shows_the_new_run_exits_0_with_a_note(
    previous_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 0 when Ctrl-C comes after the switch (while old runs are pruned), saying what
    is left to the next run, which does it (it exited 1 while OUT showed the new run)."""
    from reconcile import publish

    with monkeypatch.context() as patched:
        patched.setattr(publish, "prune", interrupted)
        result = invoke("run", EXAMPLE, "--out", previous_output, "-q", "--keep", "0")
    assert (result.exit_code, result.stderr) == (
        0,
        f"reconcile: warning: interrupted once {previous_output} showed the new run: syncing "
        "the switch to disk, keeping its summary in the history and pruning old runs are left "
        "to the next run\n",
    )
    assert snapshot(previous_output) == snapshot(GOLDEN / "example")
    runs = previous_output.parent / ".out.reconcile" / "runs"
    assert len(list(runs.iterdir())) == 2  # the previous run is not pruned yet
    assert invoke("run", EXAMPLE, "--out", previous_output, "-q", "--keep", "0").exit_code == 0
    assert len(list(runs.iterdir())) == 1
    assert len(list((runs.parent / "history").glob("*.json"))) == 3


def test_an_interrupt_while_printing_after_publishing_exits_0(
    previous_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 0, saying so, when Ctrl-C comes while the summary of a published run is
    printed: OUT shows the new run."""
    from reconcile import summary

    monkeypatch.setattr(summary, "human_summary", interrupted)
    result = invoke("run", EXAMPLE, "--out", previous_output)
    assert (result.exit_code, result.stderr) == (
        0,
        "reconcile: interrupted while printing; the run is published: OUT shows it\n",
    )
    assert snapshot(previous_output) == snapshot(GOLDEN / "example")


def test_an_interrupt_of_any_other_command_exits_130(
    previous_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 130 with one line, not Click's "Aborted!" and 1, when Ctrl-C stops diff."""
    from reconcile import api

    monkeypatch.setattr(api, "diff", interrupted)
    result = invoke("diff", previous_output, previous_output)
    assert (result.exit_code, result.stderr) == (130, "reconcile: interrupted\n")


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_report_into_another_output_folders_run_is_refused_with_2(
    tmp_path: Path, command: str
) -> None:
    """It exits 2, and writes nothing, when --report names a file in a run of another output
    folder or in the folder its runs are kept in (a run's files are its record)."""
    kept = tmp_path / "kept"
    assert invoke("run", EXAMPLE, "--out", kept, "-q").exit_code == 0
    before = snapshot(tmp_path)
    store = tmp_path / ".kept.reconcile"
    for report in (kept / "problems.csv", store / "problems.csv"):
        given = ["--out", tmp_path / "o"] if command == "run" else []
        result = invoke(command, EXAMPLE, *given, "--report", report)
        assert (result.exit_code, result.stderr) == (
            2,
            f"reconcile: --report {report} would lie in {store}, where a run's files are kept; "
            "give the report a file of its own\n",
        )
    assert snapshot(tmp_path) == before


@pytest.mark.subprocess
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_an_input_that_is_not_a_regular_file_exits_66_without_blocking(
    tmp_path: Path, special: str
) -> None:
    """It exits 66 naming the file when an input is a FIFO or a device, found without reading
    it (a FIFO hung holding the lock, and every later run exited 75)."""
    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    orders = night / "orders.csv"
    if special == "fifo":
        orders.unlink()
        os.mkfifo(orders)
        given: list[str | Path] = []
        kind = "a FIFO (named pipe)"
    else:
        orders = Path(special)
        given = ["--orders", orders]
        kind = "a device"
    done = subprocess.run(
        reconcile_command("run", night, *given, "--out", tmp_path / "o"),
        capture_output=True,
        text=True,
        timeout=120,  # a safety net only: the run takes a second; it hung for ever
    )
    assert done.returncode == 66
    assert f"{orders} is {kind}, not a regular file\n" in done.stderr
    assert invoke("run", night, *given, "--out", tmp_path / "o").exit_code == 66  # lock free


@pytest.mark.parametrize(
    ("arguments", "named", "wanted"),
    [
        (["run", EXAMPLE, "--ready-file", ""], "'--ready-file'", "the ready file's name"),
        (["run", EXAMPLE, "--orders", ""], "'--orders'", "a path"),
        (["check", ""], "'[INPUT_DIR]'", "a path"),
        (["diff", "", "out"], "'OLD_DIR'", "a path"),
        (["report", "out", "--output", ""], "'--output'", "a file, or - for stdout"),
    ],
)
def test_an_empty_path_or_name_exits_2(
    tmp_path: Path, arguments: list[str | Path], named: str, wanted: str
) -> None:
    """It exits 2 naming the option when a path or name is empty text, as an unset variable
    in a cron line gives (--ready-file "" turned the ready file's check off, and "" as a
    folder named the working folder)."""
    result = invoke(*arguments, *(["--out", tmp_path / "o"] if arguments[0] == "run" else []))
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for {named}: empty text (an unset variable?); give {wanted}\n"
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("wait", ["nan", "inf", "-1", "soon"])
def test_wait_must_be_a_finite_number_of_seconds(tmp_path: Path, wait: str) -> None:
    """It exits 2 for --wait nan, inf, a negative number or a word, as the file does."""
    result = invoke("run", EXAMPLE, "--out", tmp_path / "o", "--wait", wait)
    assert result.exit_code == 2
    assert f"Invalid value for '--wait': '{wait}' is not a number of seconds" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_lock_that_cannot_be_taken_exits_73_naming_the_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 73 naming the lock file when locking fails for another reason than another
    run (ENOLCK on NFS), not 70 "internal error"."""
    import errno
    import fcntl

    from reconcile import publish

    def no_locks(*_: object) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    out = tmp_path / "out"
    result = invoke("run", EXAMPLE, "--out", out)
    assert (result.exit_code, result.stderr) == (
        73,
        f"reconcile: cannot lock the output folder: {publish.store_for(out).lock_file}: "
        "No locks available\n",
    )


@pytest.mark.parametrize("option", ["--orders", "--extra-cancellations", "INPUT_DIR"])
def test_an_unreadable_input_on_the_command_line_exits_66(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    """It exits 66, as for the same file found in the input folder, when a path given on the
    command line cannot be read (Click's own check exited 2). Simulated, since root reads
    everything: access() and reading both say no."""
    from reconcile import regular

    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    denied = night if option == "INPUT_DIR" else night / "orders.csv"
    real_access, real_read = os.access, regular.read_bytes

    def access(path: object, mode: int, **kwargs: object) -> bool:
        return False if Path(str(path)) == denied else real_access(path, mode)  # type: ignore[arg-type]

    def read(path: Path) -> bytes:
        if denied in (path, path.parent):
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(regular, "read_bytes", read)
    given = [night] if option == "INPUT_DIR" else [night, option, denied]
    result = invoke("check", *given)
    assert result.exit_code == 66, result.output
    assert "Permission denied" in result.stdout


# ---- what was read, ids typed by people (contract v3) -----------------------------------


def test_the_summary_names_every_file_read_with_its_rows_and_ids_trimmed(tmp_path: Path) -> None:
    """It records each input file with its rows, and per cancellation file the ids it
    trimmed, in summary.json and on the first line of the human summary."""
    bulk = ROOT / "fixtures" / "bulk" / "cs-2026-11-26.csv"
    out = tmp_path / "out"
    result = invoke("run", EXAMPLE, "--extra-cancellations", bulk, "--out", out)
    assert result.stdout.splitlines()[0] == (
        "reconcile: read orders.csv (36 rows), batches.csv (11 rows), batch_items.csv "
        "(42 rows), cancellations.csv (17 rows), cs-2026-11-26.csv (6 rows; 3 ids trimmed)"
    )
    summary = json.loads((out / "summary.json").read_text())
    assert [
        (entry["file"], entry["rows"], entry["ids_trimmed"])
        for entry in summary["inputs"]["cancellations.csv"]
    ] == [("cancellations.csv", 17, 0), ("cs-2026-11-26.csv", 6, 3)]
    assert summary["cancellations"]["ids_trimmed"] == 3


def test_a_typed_order_id_of_only_white_space_is_an_empty_value(tmp_path: Path) -> None:
    """It exits 65 for a cancellation whose order_id is only White_Space: empty once trimmed."""
    folder = write_folder(tmp_path / "in", {})
    shutil.copytree(CASES / "base", folder, dirs_exist_ok=True)
    (folder / "cancellations.csv").write_text("order_id,item_id\n \u00a0,I1\n")
    result = invoke("check", folder)
    assert result.exit_code == 65
    assert 'required value is empty (1):\n    row 2, column order_id, value " \\u00a0"' in (
        result.stdout
    )


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("shell", "opening"),
    [
        ("bash", "_reconcile_completion() {"),
        ("zsh", "#compdef reconcile"),
        ("fish", "function _reconcile_completion"),
    ],
)
def test_shell_completion_scripts_come_from_clicks_own_mechanism(shell: str, opening: str) -> None:
    """It prints the completion script the README's set-up lines source, for each shell."""
    done = subprocess.run(
        [sys.executable, "-m", "reconcile"],
        env={**os.environ, "_RECONCILE_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert done.stdout.startswith(opening)
