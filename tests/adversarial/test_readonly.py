"""Read-only commands cannot write: whatever SQL `query`, `export` and `from-query` are
given, the database keeps its bytes and no file appears (reliability kind 1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from asn_sql import sandbox

from .readonly_support import POOL, assert_one_error_line, invoke, make_database, snapshot

# SQL that tries to change the database, write a file, reach the network or change the
# connection. {elsewhere} is a folder outside the current one and the database's.
WRITE_ATTEMPTS = [
    # the shared trigger, and the same through other doors
    "use memory; detach asn; attach 'asn.duckdb' as w; delete from w.exposures; select 1",
    "use memory",
    "detach asn",
    "attach 'asn.duckdb' as w",
    "attach 'other.duckdb'",
    "attach '{elsewhere}/other.duckdb' as o",
    "copy (select 1) to 'x.csv'",
    "copy exposures to '{elsewhere}/x.parquet' (format parquet)",
    "copy (select 1) to 'asn.duckdb'",
    "export database 'dump'",
    "install httpfs",
    "load json",
    "force install json",
    "set enable_external_access = true",
    "set lock_configuration = false",
    "reset threads",
    "set variable x = 1",
    "pragma enable_profiling = 'json'",
    "set profiling_output = 'profile.json'",
    "create secret s (type s3, key_id 'k', secret 's')",
    "create persistent secret p (type s3, key_id 'k', secret 's')",
    "create table memory.t as select 1",
    "create view v as select 1",
    "delete from exposures",
    "insert into pools select * from pools",
    "update exposures set filename = 'x'",
    "drop table exposures",
    "alter table exposures rename to e",
    "truncate exposures",
    "checkpoint",
    "vacuum",
    "begin transaction",
    "call enable_logging(storage = 'file', storage_config = {{'path': 'logs'}})",
    "explain analyze copy (select 1) to 'e.csv'",
    "pivot exposures on exp_type",
    # several statements, however they are dressed
    "select 1; copy (select 1) to 'x.csv'",
    "select 1; delete from exposures",
    "select 1 /* ; */ ; copy (select 1) to 'x.csv'",
    "select 1 -- ;\n; copy (select 1) to 'x.csv'",
    ";; select 1 ;; detach asn",
    # text that closes the parenthesis `export` once pasted it into
    "select 1) to 'x.csv'; copy (select 2",
    "select 1) to 'x.csv' (format csv); --",
    # a SELECT whose table function writes, or reaches outside
    "select * from enable_logging(storage = 'file', storage_config = {{'path': 'logs'}})",
    "select * from query('copy (select 1) to ''q.csv''')",
    "select * from read_csv('{elsewhere}/secret.csv')",
    "select * from read_text('/etc/hostname')",
    "select * from read_json('https://example.com/x.json')",
    "select * from glob('{elsewhere}/*')",
    "select * from read_csv('../outside.csv')",
    # empty or not SQL at all
    "",
    "   \n\t ",
    "/* only a comment */",
    ";",
    "selec 1",
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A loaded database, built once and copied into each test."""
    return make_database(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def work(tmp_path: Path, pristine: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder of a test, holding asn.duckdb and a pool; a sibling folder
    ``elsewhere`` holds a file nothing may read."""
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(pristine, folder / "asn.duckdb")
    shutil.copy(POOL, folder / "pool.csv")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.csv").write_text("a\n1\n")
    (tmp_path / "outside.csv").write_text("a\n1\n")
    monkeypatch.chdir(folder)
    return folder


def _command(name: str, sql: str, tmp_path: Path) -> list[str]:
    output = str(tmp_path / "work" / "named-output")
    if name == "query":
        return ["query", "--", sql]
    if name == "export":
        return ["export", "-o", output + ".csv", "--", sql]
    return ["from-query", "-o", output + ".json", "-t", "image2", "--", sql]


# export and from-query take their SQL through the same gate as query: a sample of
# every family above is enough there.
SAMPLE = [WRITE_ATTEMPTS[i] for i in (0, 4, 5, 6, 9, 10, 12, 19, 23, 35, 38, 40, 42, 43, 50)]
CASES = [("query", a) for a in WRITE_ATTEMPTS] + [
    (command, a) for command in ("export", "from-query") for a in SAMPLE
]


@pytest.mark.parametrize(("command", "attempt"), CASES)
def test_sql_that_would_write_is_refused_and_nothing_changes(
    command: str, attempt: str, work: Path, tmp_path: Path
) -> None:
    sql = attempt.format(elsewhere=tmp_path / "elsewhere")
    before = snapshot(tmp_path)
    result = invoke(*_command(command, sql, tmp_path))
    assert_one_error_line(result)
    assert snapshot(tmp_path) == before  # database bytes, every file, no new file


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("", "no SQL given"),
        ("  ", "no SQL given"),
        ("-- nothing", "no SQL given"),
        ("select 1; select 2", "not 2 statements"),
        ("copy (select 1) to 'x.csv'", "not COPY"),
        ("attach 'x.duckdb'", "not ATTACH"),
        ("use memory", "not USE"),
        ("install httpfs", "not INSTALL"),
        ("/* a note */ pivot exposures on exp_type", "not PIVOT"),
        ("select * from read_csv('/etc/hostname')", "read-only commands read files only"),
    ],
)
def test_refusals_say_what_was_refused(sql: str, words: str, work: Path) -> None:
    assert_one_error_line(invoke("query", "--", sql), words)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select count(*) as n from read_csv('pool.csv', delim = '|')", "n\n8"),
        ("select count(*) as n from read_csv('./sub/../pool.csv', delim = '|')", "n\n8"),
        ("select file from glob('*.csv')", "file\npool.csv"),
        ("select count(*) as n from exposures", "n\n8"),
        ("describe pools", None),
        ("show tables", None),
        ("summarize select 1 as x", None),
        ("with a as (select 2 as n) select n from a", "n\n2"),
        ("from (values (1), (2)) as v(n) select sum(n) as n", "n\n3"),
        ("select 1 as n;", "n\n1"),
        ("  /* why */ select 1 as n -- done", "n\n1"),
    ],
)
def test_reading_queries_and_local_files_stay_allowed(
    sql: str, expected: str | None, work: Path, tmp_path: Path
) -> None:
    (work / "sub").mkdir()
    before = snapshot(tmp_path)
    result = invoke("query", "-f", "csv", "--", sql)
    assert result.exit_code == 0, result.output
    if expected is not None:
        assert result.stdout.strip() == expected
    assert snapshot(tmp_path) == before


def test_export_writes_only_its_output_file(work: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    result = invoke("export", "-o", "rows.csv", "select filename from exposures order by 1")
    assert result.exit_code == 0, result.output
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if k != "work/rows.csv"} == before
    assert (work / "rows.csv").read_text().splitlines()[:2] == ["filename", "jw_00001_uncal.fits"]


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet", "rows.json", "rows.ndjson"])
def test_a_failed_export_leaves_no_file_and_an_old_file_untouched(
    name: str, work: Path, tmp_path: Path
) -> None:
    (work / name).write_text("old contents\n")
    before = snapshot(tmp_path)
    # fails while rows are being written: the error comes from the data, not the parser
    sql = "select case when row_no = 5 then error('boom') else row_no end as r from exposures"
    assert_one_error_line(invoke("export", "-o", name, sql), "boom")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("out.csv", "is a folder"),
        (".", "is a folder"),
        ("asn.duckdb", "is the database"),
        ("pipe.csv", "is not a regular file"),
    ],
)
def test_export_over_a_folder_or_the_database_is_one_error_line(
    output: str, words: str, work: Path, tmp_path: Path
) -> None:
    (work / "out.csv").mkdir()
    os.mkfifo(work / "pipe.csv")
    before = snapshot(tmp_path)
    result = invoke("export", "-o", output, "-f", "csv", "exposures")
    assert_one_error_line(result, words)
    assert snapshot(tmp_path) == before


# The second lock on its own: even SQL that got past the parser cannot write outside
# the readable folders, change settings, or load code.
LOCKED_OUT = [
    "copy (select 1) to '{elsewhere}/x.csv'",
    "attach '{elsewhere}/new.duckdb' as n",
    "export database '{elsewhere}/dump'",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "set allowed_directories = ['/']",
    "set threads = 1",
    "pragma threads = 1",
    "call enable_logging(storage = 'file', storage_config = {{'path': '{elsewhere}/log'}})",
    "create persistent secret p (type s3, key_id 'k', secret 's')",
    "select * from read_text('{elsewhere}/secret.csv')",
]


@pytest.mark.parametrize("statement", LOCKED_OUT)
def test_the_locked_connection_refuses_what_the_parser_would(
    statement: str, work: Path, tmp_path: Path
) -> None:
    before = snapshot(tmp_path)
    con = sandbox.open_read_only(work / "asn.duckdb")
    try:
        with pytest.raises(duckdb.Error):
            con.execute(statement.format(elsewhere=tmp_path / "elsewhere"))
        with pytest.raises(duckdb.Error):
            con.execute("delete from exposures")  # attached read-only
    finally:
        con.close()
    assert snapshot(tmp_path) == before
