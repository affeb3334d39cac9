"""`asnsql load`, `pools`, `query` and `--version` from the command line, good input and bad."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BAD, POOLS, file_digest
from typer import main as typer_main
from typer.testing import CliRunner, Result

from asn_sql import __version__, db
from asn_sql.cli.main import app
from asn_sql.io.load import load_pools

runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every command in an empty directory, with no $ASNSQL_DB from the caller."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(db.DB_ENV, raising=False)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding one pool, built once and copied by `populated`."""
    path = tmp_path_factory.mktemp("template") / "asn.duckdb"
    load_pools(path, [POOLS / "pool_002_image_miri.csv"], delimiter="|", replace=False)
    return path


@pytest.fixture
def populated(template_db: Path, tmp_path: Path) -> Path:
    """A database file of this test's own, already holding pool_002_image_miri.csv."""
    path = tmp_path / "populated.duckdb"
    shutil.copyfile(template_db, path)
    return path


def asnsql(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], env=env)


def assert_one_error_line(result: Result, *words: str) -> str:
    """Exit code 2, nothing on stdout, and exactly one `Error: ...` line on stderr."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


# (bad input, words the message must contain); the path itself is always checked.
BAD_INPUTS = [
    ("empty.csv", ["the file is empty"]),
    ("comments_only.csv", ["no header row"]),
    ("too_few_fields.csv", ["line 6", "column 95", "10 fields, expected 11"]),
    ("too_many_fields.csv", ["line 7", "column 122", "12 fields, expected 11"]),
    ("comma_delimited.csv", ["line 6", "no FILENAME column", "--delimiter"]),
    ("missing_filename.csv", ["line 3", "no FILENAME column"]),
    ("missing_exp_type.csv", ["line 3", "no EXP_TYPE column"]),
    ("not_utf8.csv", ["line 6", "column 89", "not UTF-8"]),
    ("header_case_collision.csv", ["line 3", "'FILTER' and 'Filter'", "lower-cased"]),
]


@pytest.mark.parametrize(("name", "words"), BAD_INPUTS)
def test_a_bad_pool_is_one_error_line_and_leaves_the_database_as_it_was(
    populated: Path, name: str, words: list[str]
) -> None:
    before = file_digest(populated)
    result = asnsql("load", "--db", populated, BAD / name)
    assert_one_error_line(result, str(BAD / name), *words)
    assert file_digest(populated) == before


@pytest.mark.parametrize(("name", "words"), BAD_INPUTS)
def test_a_bad_pool_creates_no_database(tmp_path: Path, name: str, words: list[str]) -> None:
    target = tmp_path / "new.duckdb"
    assert_one_error_line(asnsql("load", "--db", target, BAD / name), str(BAD / name), *words)
    assert not target.exists()


def test_a_missing_pool_file_is_named(populated: Path, tmp_path: Path) -> None:
    before = file_digest(populated)
    missing = tmp_path / "nowhere.csv"
    assert_one_error_line(asnsql("load", "--db", populated, missing), str(missing), "no such file")
    assert file_digest(populated) == before


def test_a_directory_is_not_a_pool(populated: Path) -> None:
    before = file_digest(populated)
    assert_one_error_line(asnsql("load", "--db", populated, POOLS), str(POOLS), "directory")
    assert file_digest(populated) == before


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    result = asnsql("load", "--db", folder, POOLS / "pool_002_image_miri.csv")
    assert_one_error_line(result, str(folder), "directory")


def test_a_delimiter_of_two_characters_is_refused(populated: Path) -> None:
    before = file_digest(populated)
    result = asnsql("load", "-d", "||", "--db", populated, POOLS / "pool_008_exposerr.csv")
    assert_one_error_line(result, "--delimiter", "'||'")
    assert file_digest(populated) == before


@pytest.fixture
def locked(populated: Path) -> Iterator[Path]:
    """The populated database, held open read-write by another process."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('holding', flush=True);"
            " sys.stdin.read()",
            str(populated),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield populated
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_database_locked_by_another_process_is_refused(locked: Path) -> None:
    before = file_digest(locked)
    result = asnsql("load", "--db", locked, POOLS / "pool_008_exposerr.csv")
    assert_one_error_line(result, str(locked), "locked by another process")
    assert_one_error_line(asnsql("query", "--db", locked, "select 1"), "locked")
    assert file_digest(locked) == before


def test_a_failing_query_keeps_duckdbs_suggestion_on_its_one_line(populated: Path) -> None:
    result = asnsql("query", "--db", populated, "select * from exposure")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: query failed: Catalog Error: Table with name exposure does not exist! "
        'Did you mean "exposures"?\n'
    )


def test_a_failing_query_is_one_error_line(populated: Path) -> None:
    before = file_digest(populated)
    result = asnsql("query", "--db", populated, "select no_such_column from exposures")
    assert_one_error_line(result, "query failed", "no_such_column")
    assert_one_error_line(asnsql("query", "--db", populated, "selec 1"), "syntax error")
    assert file_digest(populated) == before


def test_a_query_cannot_write(populated: Path) -> None:
    before = file_digest(populated)
    assert_one_error_line(asnsql("query", "--db", populated, "delete from exposures"), "read-only")
    assert file_digest(populated) == before


def test_a_query_without_a_database_says_to_load_a_pool_first(tmp_path: Path) -> None:
    assert_one_error_line(asnsql("query", "--db", tmp_path / "none.duckdb", "select 1"), "load")
    assert not (tmp_path / "none.duckdb").exists()


def test_every_fixture_pool_loads_in_one_command(tmp_path: Path) -> None:
    pools = sorted(POOLS.glob("*.csv"))
    result = asnsql("load", "--db", tmp_path / "all.duckdb", *pools)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    for pool in pools:
        assert f"{pool.name}: loaded " in result.stderr
    listed = json.loads(asnsql("pools", "--db", tmp_path / "all.duckdb", "-f", "json").stdout)
    assert [p["name"] for p in listed] == [pool.name for pool in pools]


def test_loading_the_same_pool_twice_says_it_is_unchanged(populated: Path) -> None:
    before = file_digest(populated)
    result = asnsql("load", "--db", populated, POOLS / "pool_002_image_miri.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == "pool_002_image_miri.csv: already loaded, unchanged (pool 1)"
    assert file_digest(populated) == before


def test_generate_of_a_changed_pool_says_to_load_it_again_with_load_replace(
    populated: Path, tmp_path: Path
) -> None:
    # generate has no --replace: the hint names the command that has it.
    changed = tmp_path / "pool_002_image_miri.csv"
    changed.write_text((POOLS / "pool_008_exposerr.csv").read_text())
    before = file_digest(populated)
    result = asnsql("generate", "--db", populated, changed, "-p", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: {changed}: a different pool named {changed.name} is already loaded; "
        "replacing it reloads it and removes its runs "
        "(load it again with asnsql load --replace)\n"
    )
    assert file_digest(populated) == before


def test_every_option_hint_is_one_the_failing_command_has() -> None:
    """Whatever setting an error names, under whatever command: the hint is an option of
    that command, or names the command whose option it is."""
    import re

    from asn_sql.cli.common import OPTION_OF_SETTING, command_option_names, error_line

    group = typer_main.get_command(app)
    commands = {name: group.get_command(None, name) for name in group.commands}
    options_of = {name: command_option_names(command) for name, command in commands.items()}
    for name, options in options_of.items():
        for setting in OPTION_OF_SETTING:
            line = error_line("x", [setting], options)
            for hint in re.findall(r"\(([^)]*)\)", line):
                other = re.search(r"asnsql (\S+) (-\S+)", hint)
                if other:
                    assert other[2] in options_of[other[1]], (name, setting, line)
                else:
                    named = set(re.findall(r"-[-\w]+", hint))
                    assert named and named <= options, (name, setting, line)


def test_a_changed_pool_of_a_loaded_name_needs_replace(populated: Path, tmp_path: Path) -> None:
    changed = tmp_path / "pool_002_image_miri.csv"
    changed.write_text((POOLS / "pool_008_exposerr.csv").read_text())
    before = file_digest(populated)
    assert_one_error_line(asnsql("load", "--db", populated, changed), "--replace", changed.name)
    assert file_digest(populated) == before

    result = asnsql("load", "--replace", "--db", populated, changed)
    assert result.exit_code == 0, result.output
    assert "pool_002_image_miri.csv: replaced 4 exposures" in result.stderr
    rows = asnsql(
        "query", "--db", populated, "-f", "csv", "select name, row_count, source from pools"
    )
    assert rows.stdout.splitlines() == ["name,row_count,source", f"{changed.name},4,{changed}"]


def test_warnings_go_to_stderr_and_the_pool_still_loads(tmp_path: Path) -> None:
    result = asnsql("load", "--db", tmp_path / "w.duckdb", BAD / "malformed_candidate.csv")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Warning"] * 3 + ["malformed_candidate.csv"]
    assert "line 9" in lines[0] and "[('o001', 'observation'" in lines[0]


def test_a_comma_delimited_pool_loads_with_the_delimiter_option(tmp_path: Path) -> None:
    target = tmp_path / "comma.duckdb"
    result = asnsql("load", "-d", ",", "--db", target, BAD / "comma_delimited.csv")
    assert result.exit_code == 0, result.output
    rows = asnsql(
        "query",
        "--db",
        target,
        "-f",
        "json",
        "select filename, filter, asn_candidate from exposures order by row_no",
    )
    # jwst 3.0.0 (`AssociationPool.read(path, delimiter=',')`) reads these values
    assert json.loads(rows.stdout) == [
        {
            "filename": "jw01234001001_02101_00001_nrca1_uncal.fits",
            "filter": "f200w",
            "asn_candidate": "[('o001', 'observation')]",
        },
        {
            "filename": "jw01234001001_02101_00002_nrca1_uncal.fits",
            "filter": "f200w",
            "asn_candidate": "[('o001', 'observation'), ('c1000', 'mosaic')]",
        },
        {
            "filename": "jw01234002001_02101_00001_nrca1_uncal.fits",
            "filter": "f444w",
            "asn_candidate": "[('o002', 'observation'), ('c1000', 'mosaic')]",
        },
    ]
    (delimiter,) = json.loads(
        asnsql("query", "--db", target, "-f", "json", "select delimiter from pools").stdout
    )
    assert delimiter == {"delimiter": ","}


def test_a_quoted_field_may_hold_the_delimiter(tmp_path: Path) -> None:
    pool = tmp_path / "quoted.csv"
    pool.write_text('FILENAME|EXP_TYPE|TARGNAME\n"a|b.fits"|NRC_IMAGE|"x|y"\n')
    assert asnsql("load", "--db", tmp_path / "q.duckdb", pool).exit_code == 0
    rows = asnsql(
        "query",
        "--db",
        tmp_path / "q.duckdb",
        "-f",
        "csv",
        "select filename, targname from exposures",
    )
    assert list(csv.reader(io.StringIO(rows.stdout))) == [
        ["filename", "targname"],
        ["a|b.fits", "x|y"],
    ]


def test_the_database_is_asnsql_db_unless_db_is_given(tmp_path: Path) -> None:
    pool = POOLS / "pool_008_exposerr.csv"
    from_env = tmp_path / "env.duckdb"
    from_option = tmp_path / "option.duckdb"
    env = {db.DB_ENV: str(from_env)}
    assert asnsql("load", pool, env=env).exit_code == 0
    assert from_env.exists()
    assert (
        asnsql("load", "--db", from_option, POOLS / "pool_002_image_miri.csv", env=env).exit_code
        == 0
    )
    assert from_option.exists()
    names = json.loads(asnsql("pools", "-f", "json", env=env).stdout)
    assert [p["name"] for p in names] == ["pool_008_exposerr.csv"]
    names = json.loads(asnsql("pools", "-f", "json", "--db", from_option, env=env).stdout)
    assert [p["name"] for p in names] == ["pool_002_image_miri.csv"]
    assert not (tmp_path / db.DEFAULT_DB).exists()


def test_without_either_the_database_is_asn_duckdb_here(tmp_path: Path) -> None:
    assert asnsql("load", POOLS / "pool_008_exposerr.csv").exit_code == 0
    assert (tmp_path / db.DEFAULT_DB).is_file()


def test_query_prints_csv_and_json(populated: Path) -> None:
    sql = "select row_no, filename, extra from exposures where row_no < 2 order by row_no"
    as_csv = asnsql("query", "--db", populated, "--format", "csv", sql)
    assert as_csv.exit_code == 0, as_csv.output
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [
        ["row_no", "filename", "extra"],
        # nested values (extra is a MAP) are written as their JSON text
        ["0", "jw_00001_uncal.fits", "{}"],
        ["1", "jw_00002_uncal.fits", "{}"],
    ]
    as_json = asnsql("query", "--db", populated, "--format", "json", sql)
    assert json.loads(as_json.stdout) == [
        {"row_no": 0, "filename": "jw_00001_uncal.fits", "extra": {}},
        {"row_no": 1, "filename": "jw_00002_uncal.fits", "extra": {}},
    ]


def test_query_prints_a_table_by_default(populated: Path) -> None:
    result = asnsql("query", "--db", populated, "select count(*) as exposures from exposures")
    assert result.exit_code == 0, result.output
    assert "exposures" in result.stdout and "8" in result.stdout


def test_pools_lists_each_loaded_pool(populated: Path) -> None:
    # rich fits a table to the terminal; give it room so the name is not wrapped
    table = asnsql("pools", "--db", populated, env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "pool_002_image_miri.csv" in table.stdout
    (pool,) = json.loads(asnsql("pools", "--db", populated, "-f", "json").stdout)
    assert (pool["pool_id"], pool["name"], pool["exposures"]) == (1, "pool_002_image_miri.csv", 8)


def test_version_prints_the_package_version() -> None:
    result = asnsql("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"asnsql {__version__}"


def test_sql_in_pool_cells_is_stored_and_runs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "inj.duckdb"
    result = asnsql("load", "--db", target, BAD / "sql_injection.csv")
    assert result.exit_code == 0, result.output
    counts = asnsql(
        "query",
        "--db",
        target,
        "-f",
        "json",
        "select (select count(*) from pools) as pools, (select count(*) from exposures) as rows, "
        "(select list(targname order by row_no) from exposures) as names",
    )
    assert json.loads(counts.stdout) == [
        {
            "pools": 1,
            "rows": 3,
            "names": [
                "'; drop table exposures; --",
                "o'brien's \"star\"; select 1",
                "$1 {{ pool_id }} %s ?",
            ],
        }
    ]
