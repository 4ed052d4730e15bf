"""reconcile.toml: keys, precedence, files and globs, column names, values, refusals."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile import pipeline
from reconcile.config import FileSettings, Options, resolve
from reconcile.config_file import load_config
from reconcile.contract import INPUTS, JOB_COLUMNS, InputFile
from reconcile.errors import InputChangedError
from tests.conftest import EXAMPLE, GOLDEN, ROOT, invoke, snapshot, write_folder

KORNIT = ROOT / "fixtures" / "kornit-x"
PLAIN = ROOT / "fixtures" / "plain-english"


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "reconcile.toml"
    path.write_text(text)
    return path


def rows_under_contract_names(path: Path, headers: dict[str, str]) -> list[list[str]]:
    """A CSV's rows, its header spelled back in the contract's names."""
    rows = list(csv.reader(io.StringIO(path.read_text())))
    back = {header: column for column, header in headers.items()}
    return [[back.get(name, name) for name in rows[0]], *rows[1:]]


@pytest.mark.parametrize(("night", "golden"), [(KORNIT, "kornit-x"), (PLAIN, "plain-english")])
def test_configured_nights_match_golden_files(tmp_path: Path, night: Path, golden: str) -> None:
    """It reads a platform's own file and column names from the configuration and writes the
    golden outputs, under the export's headers."""
    out = tmp_path / "out"
    result = invoke("run", "--config", night / "reconcile.toml", "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert snapshot(out) == snapshot(GOLDEN / golden)


def test_kornit_x_gives_the_example_nights_rows(tmp_path: Path) -> None:
    """It gives the same rows as the example night: only headers and the run's values differ."""
    mapped = {
        "batch_id": "batch.id",
        "order_id": "order.external_ref",
        "item_id": "item.id",
        "capacity": "batch.max_item_count",
    }
    status = {"orders.csv": "order.status"}
    for name in (path.name for path in (GOLDEN / "example").glob("*.csv")):
        headers = {**mapped, "status": status.get(name, "batch.status")}
        got = rows_under_contract_names(GOLDEN / "kornit-x" / name, headers)
        text = (GOLDEN / "example" / name).read_text()
        expected = list(csv.reader(io.StringIO(text)))
        # [values]: the statuses this run sets (the example's inputs hold neither)
        written, configured = (
            ("Cancelled", "128") if name == "orders.csv" else ("Archived", "Closed")
        )
        if "status" in expected[0]:
            at = expected[0].index("status")
            for row in expected[1:]:
                row[at] = configured if row[at] == written else row[at]
        assert got == expected, name


def test_the_environment_variable_names_the_file_and_the_option_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It reads RECONCILE_CONFIG when --config is not given; --config wins over it."""
    monkeypatch.setenv("RECONCILE_CONFIG", str(KORNIT / "reconcile.toml"))
    by_variable = invoke("run", "--out", tmp_path / "a", "--format", "json")
    assert '"file": "jobs.csv"' in by_variable.stdout
    broken = write_config(tmp_path / "cfg", "[inputs]\nfoldr = 'x'\n")
    by_option = invoke("run", "--config", broken, "--out", tmp_path / "b")
    assert by_option.exit_code == 2
    assert by_option.stderr == (
        f"reconcile: configuration file {broken}: unknown key inputs.foldr "
        "(not a key of [inputs]; the valid ones are folder, orders, batches, batch_items, "
        "cancellations, pick, ready_file, max_age)\n"
    )


def test_command_line_options_win_over_the_file(tmp_path: Path) -> None:
    """It takes --out and --cancellations from the command line over the file's, and adds
    --extra-cancellations after whichever list is in force."""
    extra = write_folder(tmp_path / "extra", {"more.csv": "order.external_ref\nO-0009\n"})
    out = tmp_path / "out"
    result = invoke(
        "run",
        "--config",
        KORNIT / "reconcile.toml",
        "--out",
        out,
        "--cancellations",
        KORNIT / "exports" / "cancellations.csv",
        "--extra-cancellations",
        extra / "more.csv",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert '"file": "cs-list.csv"' not in result.stdout
    assert '"file": "more.csv"' in result.stdout
    assert "O-0009,128," in (out / "orders.csv").read_text()


def test_pick_last_reads_the_file_that_sorts_last_and_says_so(tmp_path: Path) -> None:
    """It reads orders-2026-11-26.csv of two dated exports and records the choice."""
    result = invoke(
        "run", "--config", KORNIT / "reconcile.toml", "--out", tmp_path / "o", "--format", "json"
    )
    assert '"file": "orders-2026-11-26.csv"' in result.stdout
    assert '"picked": {\n    "orders.csv": 2\n  }' in result.stdout


def test_a_pattern_must_match_exactly_one_file(tmp_path: Path) -> None:
    """It exits 66 listing what matched when a pattern names several files without pick, or none."""
    exports = shutil.copytree(KORNIT / "exports", tmp_path / "exports")
    config = (KORNIT / "reconcile.toml").read_text().replace('pick = "last"', "")
    path = write_config(tmp_path, config)
    several = invoke("run", "--config", path, "--out", tmp_path / "o")
    assert several.exit_code == 66
    assert several.stderr == (
        f'reconcile: [inputs] orders = "orders-*.csv" must match exactly one file; it matched '
        f"{exports}/orders-2026-11-25.csv, {exports}/orders-2026-11-26.csv "
        '(set [inputs] pick = "last" to take the one that sorts last)\n'
    )
    shutil.rmtree(exports / "bulk")
    none = invoke("run", "--config", write_config(tmp_path, config.replace("orders-*", "o-*")))
    assert none.exit_code == 66
    assert f"must match exactly one file; it matched nothing in {exports}\n" in none.stderr


def test_a_cancellation_pattern_matching_nothing_exits_66(tmp_path: Path) -> None:
    """It exits 66 when a cancellations pattern matches no file."""
    shutil.copytree(KORNIT / "exports", tmp_path / "exports")
    shutil.rmtree(tmp_path / "exports" / "bulk")
    path = write_config(tmp_path, (KORNIT / "reconcile.toml").read_text())
    result = invoke("run", "--config", path, "--out", tmp_path / "o")
    assert result.exit_code == 66
    assert result.stderr == (
        'reconcile: [inputs] cancellations pattern "bulk/*.csv" matches no file in '
        f"{tmp_path / 'exports'}\n"
    )


def test_problems_name_the_cancellation_file_and_row(tmp_path: Path) -> None:
    """It validates each cancellation file on its own, naming it and the row in a problem."""
    exports = shutil.copytree(KORNIT / "exports", tmp_path / "exports")
    with (exports / "bulk" / "cs-list.csv").open("a") as file:
        file.write(",,cs-dana,order id forgotten\n")
    path = write_config(tmp_path, (KORNIT / "reconcile.toml").read_text())
    result = invoke("check", "--config", path)
    assert result.exit_code == 65
    assert 'cs-list.csv:\n  required value is empty (1):\n    row 8, column order_id, value ""' in (
        result.stdout
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[input]\nfolder = 'x'\n", "unknown key input"),
        ("[output]\nkeep = '7'\n", 'key output.keep = "7": input should be a valid integer'),
        (
            "[output]\nwait = -1\n",
            "key output.wait = -1: input should be greater than or equal to 0",
        ),
        (
            "[inputs]\npick = 'first'\n",
            "key inputs.pick = \"first\": input should be 'only' or 'last'",
        ),
        (
            "[inputs]\ncancellations = [1]\n",
            "key inputs.cancellations.0 = 1: input should be a valid string",
        ),
        (
            "[columns.orders]\nid = 'x'\n",
            "unknown key columns.orders.id (not a key of [columns.orders]; the valid ones are "
            "order_id, status)",
        ),
        (
            "[columns.jobs]\nbatch_id = 'x'\n",
            "unknown key columns.jobs (not a key of [columns]; the valid ones are orders, "
            "batches, batch_items, cancellations)",
        ),
        (
            "[values]\norder_cancelled = 128\n",
            "key values.order_cancelled = 128: input should be a valid string "
            '(quote it: order_cancelled = "128")',
        ),
        (
            "[columns.batches]\nbatch_id = 'Job'\nstatus = 'Job'\n",
            '[columns.batches] batch_id and status both map to the header "Job"; '
            "each column needs its own header",
        ),
        (
            "[columns.batch_items]\nitem_id = 'action'\n",
            '[columns.batch_items] item_id = "action" names a column the job writes itself',
        ),
        (
            "[values]\nbatch_archived = 'Filling'\n",
            '[values]: batch_archived = "Filling" is the listed status "Filling"',
        ),
        (
            "[actions]\nClosed = 'refill'\n[values]\nbatch_archived = 'Closed'\n",
            '[values]: batch_archived = "Closed" is a status the policy maps to "refill"',
        ),
        (
            "[values]\nbatch_archived = '   '\n",
            '[values]: batch_archived = "   " is empty once trimmed; give the status to write',
        ),
        (
            "[values]\norder_cancelled = '\u00a0'\n",
            '[values]: order_cancelled = "\u00a0" is empty once trimmed',
        ),
        (
            "[inputs]\nready_file = ''\n",
            'key inputs.ready_file = "": empty; give a value, or leave it out',
        ),
        (
            "[inputs]\ncancellations = ['cs.csv', '']\n",
            'key inputs.cancellations.1 = "": empty; give a value, or leave it out',
        ),
        ("[output]\nwait = inf\n", "key output.wait = inf: input should be a finite number"),
        ("[output]\nwait = nan\n", "key output.wait = nan: input should be a finite number"),
        ("[actions]\nFilling = 'keep'\n", '[actions]: key "Filling" has value "keep"'),
        ("inputs = 3\n", "key inputs = 3: input should be a valid dictionary"),
        ("[inputs\n", "not valid TOML"),
    ],
)
def test_every_refusal_exits_2_naming_the_file_and_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    """It never ignores a typo: an unknown key, a wrong type or a forbidden mapping exits 2."""
    path = write_config(tmp_path, toml)
    result = invoke("run", EXAMPLE, "--config", path, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"reconcile: configuration file {path}: ")
    assert message in result.stderr
    assert not (tmp_path / "o").exists()


def test_paths_in_the_file_are_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It resolves [inputs] folder and [output] folder against the file's folder, whatever the
    working folder (cron starts in $HOME)."""
    shutil.copytree(EXAMPLE, tmp_path / "srv" / "exports")
    path = write_config(
        tmp_path / "srv", '[inputs]\nfolder = "exports"\n[output]\nfolder = "out"\n'
    )
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "--config", path, "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "srv" / "out" / "orders.csv").exists()


def test_a_missing_input_folder_is_one_line(tmp_path: Path) -> None:
    """It says once that the input folder does not exist (exit 66), not once per file."""
    result = invoke("run", tmp_path / "nope", "--out", tmp_path / "o")
    assert result.exit_code == 66
    assert result.stderr == (
        f"reconcile: the input folder {tmp_path / 'nope'} does not exist (or is not a folder)\n"
    )


def test_a_missing_column_names_the_headers_found_and_the_line_to_add(tmp_path: Path) -> None:
    """It lists the file's headers, the closest one, and the [columns.*] line that maps it."""
    folder = shutil.copytree(EXAMPLE, tmp_path / "in")
    text = (folder / "orders.csv").read_text().replace("order_id,status", "Order ID,status", 1)
    (folder / "orders.csv").write_text(text)
    result = invoke("check", folder)
    assert result.exit_code == 65
    assert (
        "row 1, column order_id: required column order_id is missing; the file's headers are "
        '"Order ID", "status", "customer"; the closest is "Order ID": if that is it, add to the '
        'configuration [columns.orders] order_id = "Order ID"'
    ) in result.stdout


def test_a_mapped_column_missing_names_both_names(tmp_path: Path) -> None:
    """It names the export's header and the contract column it stands for."""
    folder = shutil.copytree(KORNIT, tmp_path / "k")
    jobs = folder / "exports" / "jobs.csv"
    jobs.write_text(jobs.read_text().replace("batch.max_item_count", "max_items", 1))
    result = invoke("check", "--config", folder / "reconcile.toml")
    assert result.exit_code == 65
    assert (
        "jobs.csv:\n  required column is missing (1):\n    row 1, column batch.max_item_count: "
        "required column batch.max_item_count (the contract's capacity) is missing"
    ) in result.stdout


def test_a_semicolon_separated_file_is_reported_as_such(tmp_path: Path) -> None:
    """It says the header looks semicolon-separated instead of listing every missing column."""
    folder = write_folder(
        tmp_path / "in",
        {
            "orders.csv": "order_id;status\nO1;Open\n",
            "batches.csv": "batch_id,status,capacity\n",
            "batch_items.csv": "batch_id,order_id,item_id\n",
            "cancellations.csv": "order_id\n",
        },
    )
    result = invoke("check", folder)
    assert result.exit_code == 65
    assert "the header looks semicolon-separated: export the file comma-separated" in (
        result.stdout
    )


def test_problems_name_columns_as_the_export_spells_them(tmp_path: Path) -> None:
    """It reports a problem in a mapped column under the export's header."""
    folder = shutil.copytree(KORNIT, tmp_path / "k")
    jobs = folder / "exports" / "jobs.csv"
    jobs.write_text(jobs.read_text().replace("B-1002,Filling,4", "B-1002,Filling,four", 1))
    result = invoke("check", "--config", folder / "reconcile.toml")
    assert result.exit_code == 65
    assert 'row 3, column batch.max_item_count, value "four"' in result.stdout


def test_an_input_changed_while_being_read_exits_75_and_writes_nothing(tmp_path: Path) -> None:
    """It compares each input's size and mtime before and after reading; a change is exit 75."""
    folder = shutil.copytree(EXAMPLE, tmp_path / "in")
    out = tmp_path / "out"
    settings = resolve(Options(input_dir=folder, out=out))

    def append_a_row() -> None:
        with (folder / "cancellations.csv").open("a") as file:
            file.write("O-0001,,late,still exporting\n")

    with pytest.raises(InputChangedError, match=r"input changed while being read: .*cancellations"):
        pipeline.run(settings, after_read=append_a_row)
    assert not out.exists()
    assert InputChangedError.exit_code == 75


def test_the_ready_file_must_exist_and_be_newer_than_every_input(tmp_path: Path) -> None:
    """It exits 75 without a ready file or with one older than an input, and runs with a fresh one."""
    folder = shutil.copytree(EXAMPLE, tmp_path / "in")
    args = ("run", folder, "--ready-file", "_READY", "--out", tmp_path / "o", "-q")
    missing = invoke(*args)
    assert missing.exit_code == 75
    assert "the ready file" in missing.stderr and "is missing" in missing.stderr
    ready = folder / "_READY"
    ready.touch()
    stale = (folder / "orders.csv").stat().st_mtime_ns - 10**9
    os.utime(ready, ns=(stale, stale))
    older = invoke(*args)
    assert older.exit_code == 75
    assert "was left by an earlier export" in older.stderr
    ready.touch()
    assert invoke(*args).exit_code == 0


def test_init_writes_a_starter_and_never_overwrites(tmp_path: Path) -> None:
    """It writes a commented configuration that loads as it is, and exits 73 rather than
    overwrite an existing file."""
    path = tmp_path / "reconcile.toml"
    first = invoke("init", "--output", path)
    assert (first.exit_code, first.stdout) == (0, f"wrote {path}\n")
    written = path.read_text()
    assert "[columns.orders]" in written and '# order_id = "order_id"' in written
    again = invoke("init", "--output", path)
    assert again.exit_code == 73
    assert again.stderr == (
        f"reconcile: {path} exists already; it is never overwritten (give --output FILE)\n"
    )
    assert path.read_text() == written


def test_init_proposes_mappings_from_the_exports_headers(tmp_path: Path) -> None:
    """It maps headers equal to a contract column but for case, spaces, dots and underscores,
    places the rest by their values, and says which it placed so, to be checked."""
    path = tmp_path / "reconcile.toml"
    result = invoke("init", PLAIN, "--output", path)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [
        'placed by their values (check them): Jobs.csv: batch_id = "Job ID", Jobs.csv: '
        'capacity = "Slots", Job Lines.csv: batch_id = "Job ID", Job Lines.csv: item_id = '
        '"Line ID", Cancellations.csv: item_id = "Line ID"'
    ]
    written = path.read_text()
    for line in (
        'batch_items = "Job Lines.csv"',
        'order_id = "Order ID"',
        'status = "Job Status"',
        'capacity = "Slots"   # placed by its values: check it',
    ):
        assert f"\n{line}\n" in written, line


@pytest.mark.parametrize("night", [KORNIT, PLAIN], ids=["kornit-x", "plain-english"])
def test_init_places_every_required_column_and_its_configuration_runs(
    tmp_path: Path, night: Path
) -> None:
    """It places every required column of a platform's exports, by name or by values (the
    column of batch lines holding the orders' keys is order_id, the digits-only column of
    batches capacity, ...), and the night runs under what it wrote to the same outputs as
    under the hand-written configuration."""
    exports = night / "exports" if (night / "exports").is_dir() else night
    path = tmp_path / "reconcile.toml"
    result = invoke("init", exports, "--output", path)
    assert result.exit_code == 0
    assert "could not place" not in result.stdout
    # the same cancellation file for both (the hand-written one reads bulk/ too)
    listed = ["--cancellations", next(exports.glob("[Cc]ancellations.csv"))]
    by_init = invoke("run", "--config", path, *listed, "--out", tmp_path / "init", "-q")
    assert by_init.exit_code == 0, by_init.output
    by_hand = invoke(
        "run", "--config", night / "reconcile.toml", *listed, "--out", tmp_path / "hand", "-q"
    )
    assert by_hand.exit_code == 0
    ours, theirs = snapshot(tmp_path / "init"), snapshot(tmp_path / "hand")
    for name in theirs:
        if name not in ("summary.json", "orders.csv", "batches.csv", "archive_list.csv"):
            assert ours[name] == theirs[name], name  # ([values] differ: 128, Closed)


def test_init_places_by_values_only_where_exactly_one_column_fits(tmp_path: Path) -> None:
    """It leaves a column unplaced when two columns fit its values (two digits-only columns
    of batches), and names the file by its pattern; the one column of the batch lines that
    holds the jobs' keys is batch_id."""
    folder = write_folder(
        tmp_path / "exports",
        {
            "orders-2026-12-04.csv": "ref,status\nA1,Open\nA2,Open\n",
            "jobs.csv": "job,status,slots,copies\nJ1,Filling,4,2\n",
            "job_items.csv": "job,ref,line\nJ1,A1,L1\nJ1,A2,L2\n",
            "cancellations.csv": "ref\nA1\n",
        },
    )
    result = invoke("init", folder, "--output", tmp_path / "r.toml")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "could not place (edit [columns.*] by hand): jobs.csv: capacity"
    )
    assert 'orders-2026-12-04.csv: order_id = "ref"' in result.stdout
    assert 'job_items.csv: batch_id = "job"' in result.stdout


def test_init_proposes_a_pattern_for_dated_exports(tmp_path: Path) -> None:
    """It turns dated file names into a pattern and sets pick = "last"."""
    path = tmp_path / "reconcile.toml"
    assert invoke("init", KORNIT / "exports", "--output", path).exit_code == 0
    written = path.read_text()
    assert '\norders = "orders-*.csv"\n' in written
    assert '\npick = "last"\n' in written
    assert '\nbatch_id = "batch.id"\n' in written


def test_what_init_writes_for_contract_named_files_runs_as_it_is(tmp_path: Path) -> None:
    """It writes, for the example night, a configuration that run takes without an edit."""
    path = tmp_path / "cfg" / "reconcile.toml"
    path.parent.mkdir()
    assert invoke("init", EXAMPLE, "--output", path).stdout == f"wrote {path}\n"
    result = invoke("run", "--config", path, "-q")
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path / "cfg" / "out") == snapshot(GOLDEN / "example")


@pytest.mark.parametrize("file", INPUTS, ids=lambda file: file.role)
@pytest.mark.parametrize("job_column", JOB_COLUMNS)
def test_a_mapping_onto_a_column_the_job_writes_is_refused(
    tmp_path: Path, file: InputFile, job_column: str
) -> None:
    """It refuses, for every input, to read a column under a name the job appends or computes."""
    column = file.required[0]
    path = write_config(tmp_path, f'[columns.{file.role}]\n{column} = "{job_column}"\n')
    result = invoke("check", EXAMPLE, "--config", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"reconcile: configuration file {path}: [columns.{file.role}] {column} = "
        f'"{job_column}" names a column the job writes itself; map it to the export\'s own header\n'
    )


def test_batch_archived_naming_archived_is_written_canonically(tmp_path: Path) -> None:
    """It writes a batch_archived value that spells Archived otherwise as Archived, as it writes
    every known status, so that a second run writes the same."""
    path = write_config(tmp_path, '[values]\nbatch_archived = " ARCHIVED "\n')
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--config", path, "--out", out, "-q").exit_code == 0
    assert "B-1002,Archived," in (out / "batches.csv").read_text()


def test_a_tab_separated_file_is_reported_as_such(tmp_path: Path) -> None:
    """It says the header looks tab-separated."""
    folder = shutil.copytree(EXAMPLE, tmp_path / "in")
    (folder / "batches.csv").write_text("batch_id\tstatus\tcapacity\nB1\tFilling\t4\n")
    result = invoke("check", folder)
    assert result.exit_code == 65
    assert "the header looks tab-separated: export the file comma-separated" in result.stdout


def test_an_absolute_pattern_is_used_as_it_is(tmp_path: Path) -> None:
    """It reads a pattern given as an absolute path from there, not under [inputs] folder."""
    orders = EXAMPLE / "orders.csv"
    path = write_config(tmp_path, f'[inputs]\nfolder = "{EXAMPLE}"\norders = "{orders}"\n')
    result = invoke("run", "--config", path, "--out", tmp_path / "o", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"file": "orders.csv"' in result.stdout


def test_a_policy_file_replaces_the_configured_actions_whole(tmp_path: Path) -> None:
    """It takes --policy's [actions] instead of the configuration's, not merged with them."""
    path = write_config(
        tmp_path, '[actions]\n"Pending Production" = "regenerate"\n"Sent to RIP" = "refill"\n'
    )
    policy = tmp_path / "policy.toml"
    policy.write_text('[actions]\n"Dispatched" = "hold"\n')
    configured = invoke("check", EXAMPLE, "--config", path, "--format", "json")
    replaced = invoke("check", EXAMPLE, "--config", path, "--policy", policy, "--format", "json")
    assert '"Pending Production": "regenerate"' in configured.stdout
    overrides = json.loads(replaced.stdout)["summary"]["policy"]["overrides"]
    assert overrides == {"Dispatched": "hold"}


def test_check_ignores_output_and_run_takes_keep_from_the_file(tmp_path: Path) -> None:
    """It never touches [output] in check; run keeps as many previous runs as [output] keep
    says when --keep is not given."""
    path = write_config(
        tmp_path, f'[inputs]\nfolder = "{EXAMPLE}"\n[output]\nfolder = "out"\nkeep = 0\n'
    )
    assert invoke("check", "--config", path).exit_code == 0
    assert not (tmp_path / "out").exists()
    for _ in range(2):
        assert invoke("run", "--config", path, "-q").exit_code == 0
    assert len(list((tmp_path / ".out.reconcile" / "runs").iterdir())) == 1
    assert invoke("run", "--config", path, "-q", "--keep", "1").exit_code == 0
    assert len(list((tmp_path / ".out.reconcile" / "runs").iterdir())) == 2


def test_an_empty_configuration_file_sets_what_no_file_sets(tmp_path: Path) -> None:
    """It reads an empty configuration file as every default, the same settings a run
    without a file uses (so the two lists of defaults cannot drift apart)."""
    assert load_config(write_config(tmp_path, "")) == FileSettings()


@pytest.mark.subprocess
def test_a_run_without_a_configuration_file_does_not_import_pydantic() -> None:
    """It resolves a run's settings without importing pydantic when no configuration file
    is given (importing it and building the file's models took 0.1 s of every run)."""
    code = (
        "import sys; from pathlib import Path; from reconcile.config import Options, resolve; "
        f"resolve(Options(input_dir=Path({str(EXAMPLE)!r}))); print('pydantic' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout == "False\n"


# ---- messages that point at the fix (issue 25) -------------------------------------------


def test_an_unknown_status_under_a_configuration_points_at_its_actions(tmp_path: Path) -> None:
    """It says to map an unknown batch status in [actions] of the configuration in use, not
    with --policy."""
    exports = shutil.copytree(KORNIT / "exports", tmp_path / "exports")
    jobs = exports / "jobs.csv"
    jobs.write_text(jobs.read_text().replace("Pending Generation", "Pending Gen", 1))
    path = write_config(tmp_path, (KORNIT / "reconcile.toml").read_text())
    result = invoke("check", "--config", path)
    assert result.exit_code == 65
    assert result.stdout.endswith(
        '  unknown batch status (1):\n    "Pending Gen" on 1 row(s), first at row 4\n'
        f"    fix: fix the spelling, or map the status to an action in [actions] of {path} "
        '(e.g. "Quality Check" = "hold")\n'
    )


def test_a_missing_file_typed_on_the_command_line_names_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It says that paths on the command line are relative to the working folder, and shows it."""
    monkeypatch.chdir(tmp_path)
    result = invoke(
        "check", "--config", KORNIT / "reconcile.toml", "--extra-cancellations", "bulk.csv"
    )
    assert result.exit_code == 66
    assert (
        "bulk.csv:\n  file is missing (1):\n    no file at bulk.csv (paths on the command line "
        f"are relative to the working folder, {tmp_path})\n"
    ) in result.stdout


def test_a_mapped_header_the_file_lacks_says_which_line_to_change(tmp_path: Path) -> None:
    """It names the configuration's line for a mapped header a file lacks and the line to
    write instead (exit 65, like every missing column: the export may be what changed)."""
    config = (KORNIT / "reconcile.toml").read_text().replace('"order.external_ref"', '"order.ref"')
    shutil.copytree(KORNIT / "exports", tmp_path / "exports")
    result = invoke("check", "--config", write_config(tmp_path, config))
    assert result.exit_code == 65
    assert (
        "required column order.ref (the contract's order_id) is missing; the file's headers "
        'are "order.external_ref", "item.id", "requested_by", "note"; the configuration\'s '
        '[columns.cancellations] order_id = "order.ref" names a header this file does not '
        'have: if "order.external_ref" is it, change that line to order_id = '
        '"order.external_ref"'
    ) in result.stdout


def test_check_of_a_folder_without_the_contracts_columns_suggests_init(tmp_path: Path) -> None:
    """It suggests `reconcile init FOLDER` when none of the files has the contract's columns,
    and when none of the contract's files is there but CSV files are."""
    renamed = write_folder(
        tmp_path / "renamed",
        {
            "orders.csv": (PLAIN / "Orders.csv").read_bytes(),
            "batches.csv": (PLAIN / "Jobs.csv").read_bytes(),
            "batch_items.csv": (PLAIN / "Job Lines.csv").read_bytes(),
            "cancellations.csv": (PLAIN / "Cancellations.csv").read_bytes(),
        },
    )
    unmapped = invoke("check", renamed)
    assert unmapped.exit_code == 65
    assert unmapped.stdout.endswith(
        "\n\nNone of the files has the contract's columns: if these are your platform's own "
        f"exports, `reconcile init {renamed}` proposes a configuration that maps their names "
        "(then run with --config reconcile.toml).\n"
    )
    elsewhere = invoke("check", PLAIN)
    assert elsewhere.exit_code == 66
    assert (
        f"None of the contract's files is here: if these are your platform's own exports, `reconcile init {PLAIN}`"
        in elsewhere.stdout
    )


@pytest.mark.subprocess
def test_a_python_without_the_dependencies_says_how_to_install(tmp_path: Path) -> None:
    """It exits 2 with how to install, not 70 "internal error", under a Python that lacks
    reconcile's libraries (-S leaves out every installed package)."""
    done = subprocess.run(
        [sys.executable, "-S", "-m", "reconcile", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"reconcile: this Python ({sys.executable}) does not have ")
    assert "`python -m pip install .` from reconcile's folder.\n" in done.stderr
