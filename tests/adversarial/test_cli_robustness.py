"""Command-line defects found from outside: each test drives the real command and checks
how it ends (output, exit code) and what it leaves (the database's bytes, the files)."""

from __future__ import annotations

from pathlib import Path

from asn_sql import db as database

from .failure_harness import POOLS, SMALL_POOL, assert_one_error_line, digest, run, tree


def _rows(db: Path, sql: str) -> list[tuple]:
    con = database.open_database(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


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
    left = _rows(
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
