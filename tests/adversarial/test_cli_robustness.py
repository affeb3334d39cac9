"""Command-line defects found from outside: each test drives the real command and checks
how it ends (output, exit code) and what it leaves (the database's bytes, the files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import query_rows

from .failure_harness import POOLS, SMALL_POOL, assert_one_error_line, digest, run, tree


def _two_runs(small_db: Path) -> None:
    for pool in (SMALL_POOL, POOLS / "pool_003_image_nircam.csv"):
        outcome = run("generate", pool, "--dry-run", "--db", small_db)
        assert outcome.code == 0, outcome.stderr


# -- runs --delete, repeated ---------------------------------------------------------


def test_runs_delete_given_twice_deletes_both_in_one_transaction(small_db: Path) -> None:
    _two_runs(small_db)
    outcome = run("runs", "--delete", 1, "--delete", 2, "--delete", 1, "--db", small_db)
    assert (outcome.code, outcome.stdout) == (0, "")
    assert outcome.error_lines == [
        "deleted run 1 (9 associations)",
        "deleted run 2 (20 associations)",
    ]
    left = query_rows(
        small_db,
        "select (select count(*) from runs), (select count(*) from associations), "
        "(select count(*) from products), (select count(*) from members), "
        "(select count(*) from orphan_reasons)",
    )
    assert left == [(0, 0, 0, 0, 0)]


def test_runs_delete_of_a_missing_run_deletes_none(tmp_path: Path, small_db: Path) -> None:
    _two_runs(small_db)
    before = tree(tmp_path)
    outcome = run("runs", "--delete", 1, "--delete", 7, "--delete", 9, "--db", small_db)
    line = assert_one_error_line(outcome, 2)
    assert line == "Error: there are no runs 7, 9 (asnsql runs lists them); nothing deleted"
    assert outcome.stdout == ""
    assert tree(tmp_path) == before
    assert digest(small_db) == before["db/asn.duckdb"]


# -- paths with control characters, echoed -------------------------------------------

# A newline, an escape sequence (red text) and a bidi override in one folder name.
ODD = "o\nu\x1b[31mt\u202e"
ODD_SHOWN = "o\\nu\\x1b[31mt\\u202e"


def test_paths_echoed_on_stdout_stay_one_line_each(tmp_path: Path, small_db: Path) -> None:
    folder = tmp_path / ODD
    outcome = run("generate", "-p", folder, "--db", small_db)
    assert outcome.code == 0, outcome.stderr
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 9
    shown = str(tmp_path / ODD_SHOWN)
    assert outcome.stdout.splitlines() == [f"{shown}/{name}" for name in written]

    target = folder / "runs.csv"
    outcome = run("export", "runs", "-o", target, "--db", small_db)
    assert (outcome.code, outcome.stdout) == (0, f"{shown}/runs.csv\n"), outcome.stderr
    header, row = target.read_text().splitlines()
    assert (header.split(",")[:2], row.split(",")[:2]) == (["run_id", "pool_id"], ["1", "1"])

    asn = folder / "mine_asn.json"
    outcome = run("from-list", "a_rate.fits", "-o", asn, "--type", "image2")
    assert (outcome.code, outcome.stdout) == (0, f"{shown}/mine_asn.json\n"), outcome.stderr
    outcome = run("edit", asn, "--add", "b_rate.fits")
    assert (outcome.code, outcome.stdout) == (0, f"{shown}/mine_asn.json\n"), outcome.stderr
    assert outcome.error_lines == ["0 members removed, 1 added"]
    outcome = run("gather", asn, tmp_path / "dest", "--dry-run")
    assert outcome.code == 2  # a_rate.fits is not there; the one line shows the path escaped
    assert "\x1b" not in outcome.stderr and ODD_SHOWN in outcome.stderr


def test_rule_check_lines_and_errors_stay_one_line(tmp_path: Path) -> None:
    folder = tmp_path / ODD
    folder.mkdir()
    (folder / "bad.sql").write_text("select 1\n", encoding="utf-8")
    outcome = run("rules", "--check", folder)
    assert (outcome.code, outcome.stdout) == (2, "")
    [line] = outcome.error_lines
    assert line.startswith(f"Error: {tmp_path / ODD_SHOWN}/bad.sql, line 1: ")


# -- an output named like a folder ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["export", "runs", "-o", "x.csv/"], "-o x.csv/"),
        (["export", "runs", "-f", "csv", "-o", "x/"], "-o x/"),
        (["from-list", "a_rate.fits", "-t", "image2", "-o", "x.json/"], "-o x.json/"),
        (
            ["from-query", "select 'a_rate.fits' as filename", "-t", "image2", "-o", "x.json/"],
            "-o x.json/",
        ),
        (["edit", "asn.json", "--add", "b_rate.fits", "-o", "x.json/"], "-o x.json/"),
        (["make-pool", "x.csv/", "a_uncal.fits"], "POOL x.csv/"),
        (["generate", "--save-orphans", "x.csv/", "-p", "out"], "--save-orphans x.csv/"),
    ],
)
def test_an_output_ending_in_a_slash_is_refused(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    made = run("from-list", "a_rate.fits", "-t", "image2", "-o", "asn.json")
    assert made.code == 0, made.stderr
    before = tree(tmp_path)
    outcome = (
        run(*args, "--db", small_db)
        if args[0] in ("export", "from-query", "generate")
        else run(*args)
    )
    line = assert_one_error_line(outcome, 2)
    assert line == f"Error: {named}: ends in '/', so it names a folder; give the file to write"
    assert outcome.stdout == ""
    assert tree(tmp_path) == before


def test_export_to_an_existing_folder_says_so(tmp_path: Path, small_db: Path) -> None:
    (tmp_path / "d").mkdir()
    before = tree(tmp_path)
    outcome = run("export", "runs", "-o", tmp_path / "d", "--db", small_db)
    assert (
        assert_one_error_line(outcome, 2)
        == f"Error: {tmp_path / 'd'}: is a folder; give the file to write"
    )
    assert (outcome.stdout, tree(tmp_path)) == ("", before)


# -- edit and symbolic links ---------------------------------------------------------


@pytest.mark.parametrize("in_place", [True, False])
def test_edit_writes_no_symbolic_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_place: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("from-list", "a_rate.fits", "-t", "image2", "-o", "real.json").code == 0
    Path("link.json").symlink_to("real.json")
    Path("elsewhere").mkdir()
    Path("dangling.json").symlink_to("elsewhere/none.json")
    before = tree(tmp_path)
    if in_place:
        outcome = run("edit", "link.json", "--add", "b_rate.fits")
        tail = "edit the file it points to, or write the result elsewhere (see -o/--output)"
        shown = "link.json: is a symbolic link (to real.json)"
    else:
        outcome = run("edit", "real.json", "--add", "b_rate.fits", "-o", "dangling.json")
        tail = "edit the file it points to"
        shown = "dangling.json: is a symbolic link (to elsewhere/none.json)"
    line = assert_one_error_line(outcome, 2)
    assert line == f"Error: {shown}; asnsql writes no link: {tail}"
    assert outcome.stdout == ""
    assert tree(tmp_path) == before
    assert Path("link.json").is_symlink() and Path("dangling.json").is_symlink()


def test_edit_reads_through_a_link_and_writes_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("from-list", "a_rate.fits", "-t", "image2", "-o", "real.json").code == 0
    Path("link.json").symlink_to("real.json")
    original = Path("real.json").read_text()
    outcome = run("edit", "link.json", "--add", "b_rate.fits", "-o", "new.json")
    assert (outcome.code, outcome.stdout) == (0, "new.json\n"), outcome.stderr
    assert Path("real.json").read_text() == original
    expected = json.loads(original)
    for product in expected["products"]:
        product["members"].append({"expname": "b_rate.fits", "exptype": "science"})
    assert json.loads(Path("new.json").read_text()) == expected


# -- user rule files, bounded --------------------------------------------------------

NOT_REGULAR = "is not a regular file (a device, a pipe or a socket); give a file"


def _bad_rule_files(folder: Path) -> dict[str, str]:
    """One rule folder of each kind asnsql refuses to read; the error of each."""
    folder.mkdir()
    rule = (Path(__file__).resolve().parents[2] / "sql/rules/level3/lv3_image.sql").read_bytes()
    (folder / "big.sql").write_bytes(b"-- level: 3\n" + b"-- padding\n" * 100_000 + rule)
    (folder / "latin1.sql").write_bytes(b"-- level: 3\n-- rule: caf\xe9\n")
    (folder / "zero.sql").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.sql")
    return {
        "big.sql": "holds more than 1,048,576 bytes, the most asnsql reads from such a file",
        "fifo.sql": NOT_REGULAR,
        "latin1.sql": "line 2: is not UTF-8 text",
        "zero.sql": NOT_REGULAR,
    }


def test_rules_check_names_each_unreadable_rule_file(tmp_path: Path) -> None:
    errors = _bad_rule_files(tmp_path / "mine")
    outcome = run("rules", "--check", tmp_path / "mine")
    assert (outcome.code, outcome.stdout, outcome.exception) == (2, "", None)
    assert outcome.error_lines == [
        f"Error: {tmp_path / 'mine' / name}{', ' if error.startswith('line') else ': '}{error}"
        for name, error in sorted(errors.items())
    ]


@pytest.mark.parametrize("name", ["big.sql", "fifo.sql", "latin1.sql", "zero.sql"])
def test_generate_with_an_unreadable_rule_file_changes_nothing(
    tmp_path: Path, small_db: Path, name: str
) -> None:
    errors = _bad_rule_files(tmp_path / "all")
    (tmp_path / "mine").mkdir()
    os.replace(tmp_path / "all" / name, tmp_path / "mine" / name)
    before = tree(tmp_path / "db"), digest(small_db)
    outcome = run("generate", "-r", tmp_path / "mine", "-p", tmp_path / "out", "--db", small_db)
    line = assert_one_error_line(outcome, 2)
    separator = ", " if errors[name].startswith("line") else ": "
    assert line == f"Error: {tmp_path / 'mine' / name}{separator}{errors[name]}"
    assert outcome.stdout == ""
    assert (tree(tmp_path / "db"), digest(small_db)) == before
    assert not (tmp_path / "out").exists()


# -- diff and files it cannot read ---------------------------------------------------


def test_diff_with_an_unreadable_file_is_an_error_not_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for side in ("a", "b"):
        Path(side).mkdir()
        made = run("from-list", "x_rate.fits", "-t", "image2", "-o", f"{side}/x_asn.json")
        assert made.code == 0, made.stderr
    same = run("diff", "a", "b")
    assert (same.code, same.stdout, same.error_lines) == (
        0,
        "",
        ["1 same, 0 renamed, 0 changed, 0 removed, 0 added"],
    )
    # An association cut short, a link to a device and a file of the wrong encoding: what
    # they hold is unknown, so "the same" would be a guess.
    Path("b/y_asn.json").write_text('{"products": [', encoding="utf-8")
    Path("b/z_asn.json").symlink_to("/dev/zero")
    Path("a/w_asn.json").write_bytes(b'{"asn_id": "caf\xe9"}')
    # Valid JSON that is not an association is still skipped with a warning.
    Path("a/config.json").write_text('{"threads": 4}', encoding="utf-8")
    before = tree(tmp_path)
    outcome = run("diff", "a", "b")
    line = assert_one_error_line(outcome, 2)
    assert line == (
        "Error: cannot compare, a file cannot be read: a/w_asn.json: not readable JSON "
        "('utf-8' codec can't decode byte 0xe9 in position 15: invalid continuation byte)"
    )
    assert outcome.stdout == ""
    Path("a/w_asn.json").unlink()
    outcome = run("diff", "a", "b")
    line = assert_one_error_line(outcome, 2)
    assert line == (
        "Error: cannot compare, 2 files cannot be read: b/y_asn.json: not readable JSON "
        "(Expecting value: line 1 column 15 (char 14)); b/z_asn.json: is not a regular file "
        "(a device or a socket)"
    )
    del before["a/w_asn.json"]
    assert tree(tmp_path) == before


# -- query streams its rows ----------------------------------------------------------

MANY = "select range as i, 'r' || range as s, [range] as l from range(25001)"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_query_streams_rows_a_batch_at_a_time_in_the_same_format(
    small_db: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from asn_sql.cli import formats

    seen: list[int] = []
    real = formats.RowPrinter.write

    def spy(self: formats.RowPrinter, part: object) -> None:
        seen.append(len(part.rows))  # type: ignore[attr-defined]
        real(self, part)  # type: ignore[arg-type]

    monkeypatch.setattr(formats.RowPrinter, "write", spy)
    before = digest(small_db)
    outcome = run("query", MANY, "-f", fmt, "--db", small_db)
    assert (outcome.code, outcome.stderr) == (0, "")
    # handed to stdout 10,000 rows at a time, never the whole result at once
    assert seen == [10_000, 10_000, 5_001]
    if fmt == "csv":
        expected = "i,s,l\n" + "".join(f"{i},r{i},[{i}]\n" for i in range(25001))
    else:
        records = ",\n".join(f'  {{"i":{i},"s":"r{i}","l":[{i}]}}' for i in range(25001))
        expected = "[\n" + records + "\n]\n"
    assert outcome.stdout == expected
    assert digest(small_db) == before


@pytest.mark.parametrize(("fmt", "expected"), [("csv", "i,s\n"), ("json", "[]\n")])
def test_query_of_no_rows_prints_the_empty_document(
    small_db: Path, fmt: str, expected: str
) -> None:
    outcome = run("query", "select 1 as i, 'a' as s where false", "-f", fmt, "--db", small_db)
    assert (outcome.code, outcome.stdout, outcome.stderr) == (0, expected, "")


# -- Ctrl-C once the run is committed ------------------------------------------------

# Runs the real entry point with SIGINT sent to the process at one point of generate:
# "hold" right after Ctrl-C starts being held (before the commit), "publish" as the
# files start moving into place (after the commit).
_SIGINT_AT = """
import os, signal, sys
from asn_sql import interrupt
from asn_sql.io import staged_files
where = sys.argv[1]
def kill():
    os.kill(os.getpid(), signal.SIGINT)
if where == "hold":
    real_hold = interrupt.HeldInterrupt.hold
    def hold(self):
        real_hold(self)
        kill()
    interrupt.HeldInterrupt.hold = hold
else:
    real_publish = staged_files.StagedFolder.publish
    def publish(self):
        kill()
        return real_publish(self)
    staged_files.StagedFolder.publish = publish
sys.argv = ["asnsql", *sys.argv[2:]]
from asn_sql.cli.entry import run
run()
"""


def _generate_with_sigint(where: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SIGINT_AT, where, "generate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _associations(db: Path) -> list[str]:
    return [name for (name,) in query_rows(db, "select name from associations order by name")]


@pytest.mark.parametrize("where", ["hold", "publish"])
def test_ctrl_c_after_the_commit_says_what_was_kept(
    tmp_path: Path, small_db: Path, where: str
) -> None:
    done = _generate_with_sigint(where, tmp_path, "-p", "out", "--db", str(small_db))
    names = _associations(small_db)
    assert len(names) == 9
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"{name}.json" for name in names]  # every file, no staging folder
    assert (done.returncode, done.stdout) == (130, "".join(f"out/{f}\n" for f in files))
    assert done.stderr.splitlines() == [
        "run 1: wrote 9 associations (image2 8, image3 1); 0 exposures in no association",
        "Error: interrupted after run 1 was committed; its 9 files are in out "
        "(asnsql runs --delete 1 removes the run)",
    ]


def test_ctrl_c_after_the_commit_of_a_dry_run(tmp_path: Path, small_db: Path) -> None:
    done = _generate_with_sigint("hold", tmp_path, "--dry-run", "--db", str(small_db))
    assert len(_associations(small_db)) == 9
    assert (done.returncode, done.stdout) == (130, "")
    assert done.stderr.splitlines() == [
        "run 1: would write 9 associations (image2 8, image3 1); 0 exposures in no association",
        "Error: interrupted after run 1 was committed; no file written (a dry run) "
        "(asnsql runs --delete 1 removes the run)",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]


def test_ctrl_c_while_the_paths_print_says_the_run_is_kept(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asn_sql.cli import main

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(main, "echo_lines", interrupted)
    outcome = run("generate", "-p", tmp_path / "out", "--db", small_db)
    line = assert_one_error_line(outcome, 130)
    assert line == (
        f"Error: interrupted after run 1 was committed; its 9 files are in {tmp_path / 'out'} "
        "(asnsql runs --delete 1 removes the run)"
    )
    assert len(list((tmp_path / "out").iterdir())) == len(_associations(small_db)) == 9
