"""`asnsql report`: a run as one HTML page, opened in headless Chromium (Debian's package).

The browser tests skip when chromium is not installed (.ci/run installs it). They drive
it with playwright, pointed at /usr/bin/chromium: no browser is downloaded.
Set ASNSQL_DOCS_SCREENSHOT=1 to write docs/_static/report.png again.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import POOLS, file_digest, query_rows
from typer.testing import CliRunner

from asn_sql.api import generate_documents, read_run
from asn_sql.cli.main import app
from asn_sql.engine.run import GenerateOptions
from asn_sql.tools.diff import change_lines, diff_documents
from asn_sql.tools.report import write_report

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
# The switches that keep a headless Chromium off the network and out of the home folder.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def generate(db_path: Path, pool: Path, **options: Any) -> int:
    result = generate_documents(db_path, str(pool), GenerateOptions(**options), output_dir=None)
    return result.summary.run_id


@pytest.fixture(scope="module")
def mega(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A database holding a run of mega_pool (858 associations)."""
    db_path = tmp_path_factory.mktemp("mega") / "asn.duckdb"
    return db_path, generate(db_path, POOLS / "mega_pool.csv")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, through playwright."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(120_000)
        yield context
        context.close()


class Page:
    """A report open in the browser, with the requests it made and the dialogs it opened."""

    def __init__(self, context: Any, path: Path) -> None:
        self.page = context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready]", state="attached")

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def visible_associations(self) -> list[str]:
        return self.js(
            "[...document.querySelectorAll('#associations tbody tr')]"
            ".filter(tr => !tr.hidden).map(tr => tr.querySelector('.asn').textContent)"
        )

    def cells(self) -> int:
        return self.js("document.querySelectorAll('#grid rect.cell').length")

    def choose(self, select: str, label_start: str) -> None:
        labels = self.js(f"[...document.querySelectorAll('{select} option')].map(o => o.text)")
        index = next(i for i, label in enumerate(labels) if label.startswith(label_start))
        self.page.select_option(select, index=index)


def _member_rows(db_path: Path, run_id: int) -> dict[str, list[list[str]]]:
    rows = query_rows(
        db_path,
        f"""select a.name, m.expname, m.exptype from associations as a
            join members as m using (run_id, asn_no)
            where run_id = {run_id} order by a.asn_no, m.product_no, m.position""",
    )
    members: dict[str, list[list[str]]] = {}
    for name, expname, role in rows:
        members.setdefault(name, []).append([expname, role])
    return members


@needs_chromium
def test_the_report_of_mega_pool_shows_every_association_member_and_orphan(
    mega: tuple[Path, int], browser: Any, tmp_path: Path
) -> None:
    db_path, run_id = mega
    clock = time.process_time()
    written = write_report(db_path, tmp_path / "report.html", run_id)
    assert time.process_time() - clock < 5  # about 0.3 s on an idle machine
    page = Page(browser, written.path)
    assert page.errors == [] and page.dialogs == []
    # Nothing but the file itself was asked for: the page needs no network.
    assert page.requests == [page.url]

    # Every association, in output order, with its members and roles in document order.
    shown = page.js(
        """[...document.querySelectorAll('#associations tbody tr')].map(tr => [
             tr.querySelector('.asn').textContent,
             [...tr.querySelectorAll('.m')].map(m => [m.textContent, m.title])])"""
    )
    names = [name for (name,) in query_rows(
        db_path, f"select name from associations where run_id = {run_id} order by asn_no"
    )]  # fmt: skip
    assert len(names) == 858
    assert [name for name, _ in shown] == names
    assert dict(shown) == _member_rows(db_path, run_id)

    # The orphans, each with its reason.
    orphans = page.js(
        """[...document.querySelectorAll('#orphans tbody tr')].map(tr =>
             [...tr.querySelectorAll('td')].map(td => td.textContent))"""
    )
    expected = query_rows(
        db_path,
        f"""select row_no::varchar, filename, exp_type, reason from orphans
            where run_id = {run_id} order by row_no""",
    )
    assert [[row[0], row[1], row[2], row[4]] for row in orphans] == [list(r) for r in expected]

    # The summary's counts by type.
    by_type = page.js(
        """[...document.querySelectorAll('.count-table')[0].querySelectorAll('tbody tr')]
             .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent))"""
    )
    assert [(t, int(n)) for t, n in by_type] == query_rows(
        db_path,
        f"""select asn_type, count(*) as n from associations where run_id = {run_id}
            group by all order by n desc, 1""",
    )

    # The grid: a cell for every member that is a pool row, an orphan mark for each orphan.
    [(pool_members,)] = query_rows(
        db_path, f"select count(*) from members where run_id = {run_id} and row_no is not null"
    )
    assert page.cells() == pool_members
    assert page.js("document.querySelectorAll('#grid rect.orph').length") == len(orphans)
    assert page.js("document.getElementById('shown').textContent") == (
        "837 exposures × 858 associations"
    )
    page.page.screenshot(path=str(tmp_path / "report-top.png"))

    # Filter by a candidate: its associations only, in the list and in the grid.
    page.choose("#f-candidate", "o021 (observation)")
    of_o021 = [name for (name,) in query_rows(
        db_path,
        f"select name from associations where run_id = {run_id} and asn_id = 'o021' "
        "order by asn_no",
    )]  # fmt: skip
    assert page.visible_associations() == of_o021
    [(o021_members,)] = query_rows(
        db_path,
        f"""select count(*) from members join associations using (run_id, asn_no)
            where run_id = {run_id} and asn_id = 'o021' and row_no is not null""",
    )
    assert page.cells() == o021_members
    page.js("document.getElementById('grid-section').scrollIntoView()")
    page.page.screenshot(path=str(tmp_path / "report-grid.png"))
    if os.environ.get("ASNSQL_DOCS_SCREENSHOT"):
        page.page.screenshot(path=str(ROOT / "docs" / "_static" / "report.png"))

    # ... and by an exposure type as well: the associations holding one, its rows only.
    page.choose("#f-type", "nrs_msaspec,")
    with_type = [name for name, _ in query_rows(
        db_path,
        f"""select distinct a.name, a.asn_no from associations as a
            join members as m using (run_id, asn_no)
            join exposures as x on x.pool_id = a.pool_id and x.row_no = m.row_no
            where run_id = {run_id} and asn_id = 'o021' and x.exp_type = 'nrs_msaspec'
            order by a.asn_no""",
    )]  # fmt: skip
    assert with_type and page.visible_associations() == with_type
    rows = page.js("document.getElementById('shown').textContent")
    assert re.fullmatch(rf"\d+ exposures × {len(with_type)} associations", rows)

    # A click on a cell picks its association in the list.
    page.page.locator("#grid rect.cell").first.click()
    picked = page.js("document.querySelector('tr.picked .asn').textContent")
    assert picked in with_type

    # Back to everything.
    page.page.select_option("#f-candidate", index=0)
    page.page.select_option("#f-type", index=0)
    assert len(page.visible_associations()) == 858
    assert page.cells() == pool_members
    assert page.errors == []


def _newer_pool(folder: Path) -> Path:
    """pool_010 grown different: two science exposures and an orphan gone, and an
    exposure of a type no rule takes."""
    lines = (POOLS / "pool_010_spec_nirspec_lv2bkg.csv").read_text().splitlines()
    kept = [line for line in lines if not line.startswith(("jw_00002_", "jw_00009_", "jw_00011_"))]
    assert len(kept) == len(lines) - 3
    kept = [
        line.replace("|NRS_IFU|", "|NRS_NOTHING|") if line.startswith("jw_00003_") else line
        for line in kept
    ]
    path = folder / "pool_010_newer.csv"
    path.write_text("\n".join(kept) + "\n")
    return path


@needs_chromium
def test_against_marks_what_diff_finds(browser: Any, tmp_path: Path) -> None:
    db_path = tmp_path / "asn.duckdb"
    old = generate(db_path, POOLS / "pool_010_spec_nirspec_lv2bkg.csv")
    new = generate(db_path, _newer_pool(tmp_path))
    diff = diff_documents(read_run(db_path, old), read_run(db_path, new))
    written = write_report(db_path, tmp_path / "changes.html", new, against=old)
    assert written.changes == "8 same, 3 renamed, 5 changed, 3 removed, 0 added"
    page = Page(browser, written.path)
    assert page.errors == []

    marked = page.js(
        """[...document.querySelectorAll('#associations tbody tr')].map(tr =>
             [tr.querySelector('.asn').textContent, tr.className,
              [...tr.querySelectorAll('ul.change li')].map(li => li.textContent)])"""
    )
    name = lambda file: file.removesuffix(".json")  # noqa: E731
    expected = {name(c.new): ("changed", c) for c in diff.changed}
    expected |= {name(c.new): ("renamed", c) for c in diff.renamed}
    assert {asn: mark for asn, mark, _ in marked if mark} == {
        asn: mark for asn, (mark, _) in expected.items()
    }
    # Each changed pair with diff's lines under it; a renamed one with its old name.
    for asn, mark, lines in marked:
        if mark:
            change = expected[asn][1]
            was = [f"was {change.old}"] if change.old != change.new else []
            assert lines == was + change_lines(change)
    assert ["- member jw_00002_cal.fits (science)"] in [lines for _, _, lines in marked]
    removed = page.js(
        "[...document.querySelectorAll('#removed tbody tr td:first-child')]"
        ".map(td => td.textContent)"
    )
    assert removed == [asn.file for asn in diff.removed]
    # The orphans that came and went, by file name.
    came, went = (
        page.js(f"[...document.querySelectorAll('#{table} tbody tr')].map(tr => tr.innerText)")
        for table in ("new-orphans", "no-longer-orphans")
    )
    orphans = {
        run: {
            name
            for (name,) in query_rows(db_path, f"from orphans select filename where run_id = {run}")
        }
        for run in (old, new)
    }
    assert [row.split("\t")[0] for row in came] == sorted(orphans[new] - orphans[old])
    assert [row.split("\t")[0] for row in went] == sorted(orphans[old] - orphans[new])
    assert came and went

    # Only what changed: the changed associations' columns, in the list and the grid.
    page.page.check("#f-changed")
    assert set(page.visible_associations()) == set(expected)
    assert page.js("document.querySelectorAll('#grid rect.chg').length") == len(expected)


def _hostile_pool(folder: Path) -> Path:
    """pool_002 with markup and quotes in its values: file names, an exposure type, a
    candidate type."""
    text = (POOLS / "pool_002_image_miri.csv").read_text()
    text = text.replace(
        "jw_00001_uncal.fits", "jw_00001<script>alert('x')</script>&amp;_uncal.fits"
    )
    text = text.replace("jw_00002_uncal.fits", 'jw_00002"onmouseover="alert(1)\'_uncal.fits')
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("jw_00003_uncal.fits"):
            lines[n] = line.replace("MIR_IMAGE", "</script><img src=x onerror=alert(2)>")
        if line.startswith("jw_00004_uncal.fits"):
            hostile = "[('o001', 'observation'), ('c1000', '\\'><em>e</em>')]"
            lines[n] = line.replace("[('o001', 'observation')]", hostile)
    path = folder / "hostile.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_pool_values_stay_data_in_the_report(tmp_path: Path) -> None:
    db_path = tmp_path / "asn.duckdb"
    generate(db_path, _hostile_pool(tmp_path))
    html = write_report(db_path, tmp_path / "hostile.html").path.read_text()
    parsed = _Tags()
    parsed.feed(html)
    # Our two scripts (the data and the code), no element from the pool.
    assert parsed.tags.count("script") == 2
    assert "img" not in parsed.tags and "em" not in parsed.tags
    assert not [name for name in parsed.attributes if name.startswith("on")]
    text = "".join(parsed.text)
    assert "jw_00001<script>alert('x')</script>&amp;_uncal.fits" in text
    assert 'jw_00002"onmouseover="alert(1)\'_cal.fits' in text
    # The embedded JSON cannot end its script element.
    data = html.split('<script type="application/json" id="report-data">')[1]
    assert data.index("</script>") > data.index("\\u003c/script\\u003e")


@needs_chromium
def test_pool_values_stay_data_in_the_browser(browser: Any, tmp_path: Path) -> None:
    db_path = tmp_path / "asn.duckdb"
    generate(db_path, _hostile_pool(tmp_path))
    page = Page(browser, write_report(db_path, tmp_path / "hostile.html").path)
    page.page.locator("#grid rect.cell").first.hover()
    assert page.dialogs == [] and page.errors == []
    assert page.js("document.querySelectorAll('script').length") == 2
    assert page.js("document.querySelectorAll('img, em, [onmouseover], [onerror]').length") == 0
    members = page.js("[...document.querySelectorAll('#associations .m')].map(m => m.textContent)")
    assert 'jw_00002"onmouseover="alert(1)\'_cal.fits' in members
    orphans = page.js("[...document.querySelectorAll('#orphans tbody tr')].map(tr => tr.innerText)")
    assert any("jw_00001<script>alert('x')</script>&amp;_uncal.fits" in row for row in orphans)
    assert any("</script><img src=x onerror=alert(2)>" in row for row in orphans)
    # The grid's labels (a filtered grid is small enough to have them) are text too.
    page.choose("#f-type", "</script>")
    labels = page.js("[...document.querySelectorAll('#grid text')].map(t => t.textContent)")
    assert labels == ["jw_00003_uncal.fits"]


def test_the_command_writes_the_latest_runs_report(mega: tuple[Path, int], tmp_path: Path) -> None:
    db_path, run_id = mega
    target = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "-o", str(target), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{target}\n"
    assert result.stderr.startswith(f"run {run_id}: 858 associations, 180 orphans, ")
    assert target.read_text().startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["7"], "there is no run 7"),
        (["--against", "9"], "there is no run 9"),
        (["-o", "{folder}"], "is a folder"),
        (["-o", "{db}"], "is the database"),
    ],
)
def test_a_report_that_cannot_be_written_writes_nothing(
    mega: tuple[Path, int], tmp_path: Path, args: list[str], words: str
) -> None:
    db_path, _ = mega
    target = tmp_path / "report.html"
    target.write_text("the old report\n")
    before = file_digest(db_path)
    args = [a.format(folder=tmp_path, db=db_path) for a in args]
    if "-o" not in args:
        args = [*args, "-o", str(target)]
    result = CliRunner().invoke(app, ["report", *args, "--db", str(db_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and words in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert target.read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert file_digest(db_path) == before
