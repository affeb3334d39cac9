"""A user rule runs in the sandbox of `query`: it reads the run's tables and never a
file, nor adds statements of its own around the engine's; `rules --check` and
`generate -r` refuse it before the database is touched (reliability-2 kind 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asn_sql.resources import sql_dir

from .failure_harness import assert_one_error_line, digest, run, tree

BUILT_IN = sql_dir() / "rules" / "level3" / "lv3_image.sql"
FROM = "from scope_exposures as e"
NAME_MACRO = "{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}"


def _rule(folder: Path, *, body: str | None = None, name_sql: str | None = None) -> Path:
    """lv3_image.sql as a new level-3 rule, its FROM clause or its product name changed."""
    text = BUILT_IN.read_text(encoding="utf-8").replace("Asn_Lv3Image", "My_Image")
    assert FROM in text and NAME_MACRO in text
    if body is not None:
        text = text.replace(FROM, body)
    if name_sql is not None:
        text = text.replace(NAME_MACRO, name_sql)
    folder.mkdir(exist_ok=True)
    path = folder / "my_image.sql"
    path.write_text("-- level: 3\n" + text, encoding="utf-8")
    return path


# Every way DuckDB reads a file or lists a folder, in a rule's FROM clause.
READS = [
    "read_text('/etc/hostname')",
    "read_blob('/etc/hostname')",
    "glob('/etc/*')",
    "read_csv('/etc/passwd')",
    "read_csv_auto('/etc/passwd')",
    "read_json('/etc/hostname')",
    "parquet_scan('/tmp/x.parquet')",
    "read_parquet('/tmp/*.parquet')",
    "sniff_csv('/etc/passwd')",
]


@pytest.mark.parametrize("read", READS)
def test_a_rule_that_reads_a_file_is_refused_by_check_and_generate(
    read: str, tmp_path: Path, small_db: Path
) -> None:
    rules = tmp_path / "rules"
    path = _rule(rules, body=f"{FROM}, (select count(*) as n from {read}) as leak")
    _assert_refused(rules, path, tmp_path, small_db, "never a file")


def test_a_file_named_as_a_table_is_no_table(tmp_path: Path, small_db: Path) -> None:
    # DuckDB's replacement scan would read a quoted file name as a table
    rules = tmp_path / "rules"
    path = _rule(rules, body=f"{FROM}, (select count(*) as n from '/etc/hostname') as leak")
    _assert_refused(rules, path, tmp_path, small_db, "/etc/hostname does not exist")


def test_a_product_name_that_reads_a_file_is_refused(tmp_path: Path, small_db: Path) -> None:
    rules = tmp_path / "rules"
    path = _rule(rules, name_sql="(select content from read_text('/etc/hostname'))")
    _assert_refused(rules, path, tmp_path, small_db, "never a file")


@pytest.mark.parametrize(
    "body",
    [
        # closes the engine's "from (" and adds statements of its own
        f"{FROM}) as e; attach 'leak.duckdb' as leak; select * from (select 1 as x",
        f"{FROM}; copy (select 1) to 'leak.csv'; select 1 as x {FROM}",
        f"{FROM}; delete from exposures; select 1 as x {FROM}",
    ],
)
def test_a_rule_with_statements_of_its_own_is_refused(
    body: str, tmp_path: Path, small_db: Path
) -> None:
    rules = tmp_path / "rules"
    path = _rule(rules, body=body)
    _assert_refused(rules, path, tmp_path, small_db, "one SELECT")


def test_a_product_name_macro_with_a_statement_of_its_own_is_refused(
    tmp_path: Path, small_db: Path
) -> None:
    rules = tmp_path / "rules"
    path = _rule(rules, name_sql="'x'; delete from exposures; select 'y'")
    _assert_refused(rules, path, tmp_path, small_db, "one SELECT")


def test_a_rule_that_reads_only_tables_still_runs(tmp_path: Path, small_db: Path) -> None:
    rules = tmp_path / "rules"
    _rule(rules, body=f"{FROM}, (select count(*) as n from pools) as p")
    checked = run("rules", "--check", rules)
    assert checked.code == 0, checked.stderr
    outcome = run("generate", "-r", rules, "-p", tmp_path / "out", "--db", small_db)
    assert outcome.code == 0, outcome.stderr
    assert any("my_image" not in line for line in outcome.stdout.splitlines())


def _assert_refused(rules: Path, path: Path, tmp_path: Path, db: Path, words: str) -> None:
    checked = run("rules", "--check", rules)
    assert checked.code == 2, (checked.stdout, checked.stderr)
    assert checked.stdout == ""
    (line,) = checked.error_lines
    assert line.startswith(f"Error: {path}"), line
    assert words in line, line
    before, files = digest(db), tree(tmp_path)
    outcome = run("generate", "-r", rules, "-p", tmp_path / "out", "--db", db)
    line = assert_one_error_line(outcome, 2, str(path))
    assert words in line, line
    assert (digest(db), tree(tmp_path)) == (before, files)
