"""reconcile report: one self-contained, escaped HTML page of a run and its history."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reconcile import page
from tests.conftest import EXAMPLE, invoke, snapshot

# Chromium's own services (updates, accounts, time): it asks them whatever the page is;
# the flags below send every request to a closed port on this machine, none leaves it.
CHROMIUM_SERVICES = re.compile(r"^https?://[^/]*(google\.com|googleapis\.com|gvt1\.com)/")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--enable-logging=stderr",
    "--v=0",
]


def page_of(out: Path, *options: str) -> str:
    result = invoke("report", out, "--output", "-", *options)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_the_page_shows_the_night_its_changes_lists_and_history(night_out: Path) -> None:
    """It shows the night's figures, the files read, the changes against the previous run,
    the lists with their hints and cancelled_by, and both runs in the history."""
    html = page_of(night_out)
    for shown in (
        "<b>15</b>cancellations applied",
        "3 unknown_order",
        'cs-2026-11-26.csv</td><td class="n">6</td>',
        "3 ids trimmed",
        '<td>regeneration_queue.csv</td><td class="n">0</td><td class="n">0</td><td class="n">1</td>',
        "did you mean order O-0024?",
        "cs-2026-11-26.csv:2",
        "Regeneration queue: 2 row(s)",
    ):
        assert shown in html, shown
    runs = [
        line
        for line in html.splitlines()
        if "<tr" in line and "Z-" in line and "</td><td>20" in line
    ]
    assert len(runs) == 2 and sum("&#9654;" in line for line in runs) == 1


def test_a_damaged_history_entry_is_left_out_of_the_chart(tmp_path: Path) -> None:
    """It draws the runs whose history entries are summaries and leaves out one torn or
    edited by hand (the page failed with an internal error, exit 70)."""
    out = tmp_path / "out"
    for _ in range(3):
        assert invoke("run", EXAMPLE, "--out", out, "-q", "--keep", "0").exit_code == 0
    history = sorted((tmp_path / ".out.reconcile" / "history").iterdir())
    assert len(history) == 3
    history[0].write_text('{"actions": {"refill": {"lines_removed": 3}')  # torn
    history[1].write_text('{"actions": {"refill": {"lines_removed": "many"}}}')
    html = page_of(out)
    drawn = [
        line
        for line in html.splitlines()
        if "<tr" in line and "Z-" in line and "</td><td>20" in line
    ]
    assert len(drawn) == 1 and "&#9654;" in drawn[0] and history[2].stem in drawn[0]


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ('{"actions": ', "not a JSON object"),
        ('{"actions": {}}', "KeyError: 'outputs'"),
    ],
)
def test_a_damaged_summary_of_the_current_run_exits_2(
    tmp_path: Path, content: str, what: str
) -> None:
    """It exits 2 naming the run's summary.json, as diff does, when it is torn or edited into
    another shape (the page failed with an internal error, exit 70), and writes no page."""
    out = tmp_path / "out"
    assert invoke("run", EXAMPLE, "--out", out, "-q").exit_code == 0
    summary = Path(os.path.realpath(out)) / "summary.json"
    summary.write_text(content)
    result = invoke("report", out, "--output", tmp_path / "night.html")
    assert (result.exit_code, result.stderr) == (
        2,
        f"reconcile: cannot read {summary}: {what}; it is not a run's summary as reconcile "
        "writes it (damaged, or edited by hand)\n",
    )
    assert not (tmp_path / "night.html").exists()


def test_every_value_from_the_inputs_is_escaped(tmp_path: Path) -> None:
    """It shows a status, a note or a hint holding markup as text: no tag, no attribute
    (with autoescaping off this test fails)."""
    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    with (night / "cancellations.csv").open("a") as file:
        file.write('O-7777,,"<script>alert(1)</script>","x"" onmouseover=""alert(2)"\n')
    batches = night / "batches.csv"
    batches.write_text(batches.read_text().replace("Dispatched", "<b>Dispatched</b>"))
    policy = tmp_path / "policy.toml"
    policy.write_text('[actions]\n"<b>Dispatched</b>" = "hold"\n')
    out = tmp_path / "out"
    assert invoke("run", night, "--out", out, "--policy", policy, "-q").exit_code == 0
    html = page_of(out)
    assert "<script" not in html and "<b>Dispatched" not in html
    assert '" onmouseover="' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Dispatched&lt;/b&gt;" in html


def test_a_list_with_a_field_over_the_csv_modules_limit_is_shown(tmp_path: Path) -> None:
    """It shows a list whose field is longer than Python's csv module reads (128 KB), as
    it shows any other."""
    night = shutil.copytree(EXAMPLE, tmp_path / "night")
    note = "n" * 200_000
    with (night / "cancellations.csv").open("a") as file:
        file.write(f"O-7777,,cs-dana,{note}\n")
    out = tmp_path / "out"
    assert invoke("run", night, "--out", out, "-q").exit_code == 0
    html = page_of(out)
    assert "O-7777" in html and note in html


class _Fetches(HTMLParser):
    """Every attribute of the page that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.policy = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "meta" and named.get("http-equiv") == "Content-Security-Policy":
            self.policy = named.get("content") or ""
        for name in ("src", "href", "srcset", "data", "action", "poster", "background"):
            if named.get(name) is not None:
                self.found.append(f"<{tag} {name}={named[name]}>")
        if tag in ("script", "iframe", "object", "embed", "link", "img", "video", "audio"):
            self.found.append(f"<{tag}>")


def test_the_page_requests_nothing(night_out: Path) -> None:
    """It has no element or attribute that fetches anything (no script, stylesheet, font or
    image from anywhere), no url() in its style, and forbids every fetch by its policy."""
    html = page_of(night_out)
    fetches = _Fetches()
    fetches.feed(html)
    assert fetches.found == []
    assert "default-src 'none'" in fetches.policy
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style


def test_the_page_is_written_whole_and_trouble_exits_2(night_out: Path, tmp_path: Path) -> None:
    """It writes the file given (the same page as on stdout), and exits 2 for a folder that
    is not an output folder."""
    target = tmp_path / "night.html"
    assert invoke("report", night_out, "--output", target).exit_code == 0
    assert target.read_text() == page_of(night_out)
    assert [path.name for path in tmp_path.iterdir()] == ["night.html"]
    assert invoke("report", tmp_path, "--output", "-").exit_code == 2


def test_a_page_behind_a_link_is_written_through_it(night_out: Path, tmp_path: Path) -> None:
    """It writes the page into the file a link at --output names, and the link stays (a
    page linked into a web server's folder was replaced by a file)."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "night.html").write_text("yesterday's page")
    served = tmp_path / "served.html"
    served.symlink_to(pages / "night.html")
    assert invoke("report", night_out, "--output", served).exit_code == 0
    assert served.is_symlink()
    assert (pages / "night.html").read_text() == page_of(night_out)
    assert sorted(path.name for path in tmp_path.rglob("*")) == [
        "night.html",
        "pages",
        "served.html",
    ]


def test_the_page_never_replaces_an_output_folder_nor_lies_in_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits 73, writing nothing, when --output is the output folder (its link), or a file
    in its current run or in the folder its runs are kept in: the page renamed over the link
    would take the place of the folder people read."""
    monkeypatch.chdir(tmp_path)
    assert invoke("run", EXAMPLE, "--out", "out", "-q").exit_code == 0
    run = Path(os.readlink("out"))
    before = snapshot(tmp_path)
    refused = {
        "out": "out is an output folder (a link to its current run); a file written there would "
        "replace it: give --output a file of its own, e.g. --output out.html",
        "out/": "out is an output folder (a link to its current run); a file written there would "
        "replace it: give --output a file of its own, e.g. --output out.html",
    }
    for inside in ("out/night.html", ".out.reconcile/night.html", f"{run}/night.html"):
        refused[inside] = (
            f"{inside} would lie in {tmp_path / '.out.reconcile'}, where a run's files are kept; "
            "give --output a file of its own"
        )
    for target, message in refused.items():
        result = invoke("report", "out", "--output", target)
        assert (result.exit_code, result.stderr) == (73, f"reconcile: {message}\n"), target
    assert Path("out").is_symlink()
    assert snapshot(tmp_path) == before
    assert invoke("report", "out", "--output", "out.html").exit_code == 0


def test_the_shipped_compiled_templates_are_those_of_the_sources(
    night_out: Path, tmp_path: Path
) -> None:
    """It ships each template compiled exactly as its source compiles now (``make goldens``
    rewrites them), renders the page from the compiled module, and that page is the one the
    source renders."""
    page.compile_templates(tmp_path)
    fresh = {path.name: path.read_text() for path in tmp_path.iterdir()}
    shipped = {path.name: path.read_text() for path in page.COMPILED.glob("*.py")}
    assert shipped == fresh, "the compiled templates are stale: run make goldens"
    compiled = page.template()
    from_source = page.environment(precompiled=False).get_template(page.PAGE_TEMPLATE)
    assert str(compiled.filename).endswith(".py")
    assert str(from_source.filename).endswith(".j2")
    gathered = page.gather(night_out)
    assert page.render(gathered, compiled) == page.render(gathered, from_source)


@pytest.mark.subprocess
def test_the_report_is_never_imported_by_run_check_or_help(tmp_path: Path) -> None:
    """It keeps Jinja2 and the page out of --help, run and check (start-up time)."""
    code = (
        "import sys\nfrom reconcile.cli import cli\n"
        "for args in (['--help'], ['check', sys.argv[1]], ['run', sys.argv[1], '--out', sys.argv[2], '-q']):\n"
        "    try:\n        cli(args, prog_name='reconcile')\n    except SystemExit:\n        pass\n"
        "print(sorted(name for name in sys.modules if name in ('jinja2', 'reconcile.page')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.stdout.splitlines()[-1] == "[]"


@pytest.mark.subprocess
def test_the_page_in_a_real_browser(night_out: Path, tmp_path: Path) -> None:
    """It opens in headless Chromium with the example night's figures in the rendered page,
    no console message, no request by the page, and a screenshot."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium (CI does)")
    page = tmp_path / "night.html"
    assert invoke("report", night_out, "--output", page).exit_code == 0
    net_log = tmp_path / "net.json"
    dumped = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--log-net-log={net_log}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = dumped.stdout
    for figure in (
        "cancellations applied",
        "did you mean order O-0024?",
        "Regeneration queue: 2 row(s)",
    ):
        assert figure in dom, figure
    assert [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line] == []
    urls = set(re.findall(r'"url":"([^"]+)"', net_log.read_text()))
    assert {
        url for url in urls if not CHROMIUM_SERVICES.match(url) and not url.startswith("file:")
    } == set()
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            "--window-size=1280,2000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(net_log.read_text() or "{}") is not None


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("20261205T183613.959392Z-18374", "2026-12-05 18:36"),
        ("20261205T000000.000000Z-taken-over", "2026-12-05 00:00"),
        ("not-a-run", "not-a-run"),
        ("2026", "2026"),
    ],
)
def test_a_run_is_dated_by_its_name(name: str, shown: str) -> None:
    """It shows a run's UTC minute from its name, and the name itself when that holds none."""
    assert page._when(name) == shown
