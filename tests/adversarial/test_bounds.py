"""Bounded work (reliability kind 9): one pathological cell is refused with one line naming
file, line, column and the limit, or handled in time linear in its size."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asn_sql import db as database
from asn_sql.io.pool import MAX_FIELD_CHARS
from asn_sql.names import ACID_PATTERN, UNSAFE_PATTERN
from asn_sql.templates import render_sql

from .failure_harness import (
    assert_one_error_line,
    digest,
    line_of,
    pool_with,
    run,
    tree,
)


def _ids(n: int) -> str:
    return "[" + ", ".join(f"('c{1000 + i}', 'mosaic')" for i in range(n)) + "]"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ASN_CANDIDATE", _ids(40_000)),  # the shared trigger: 40,000 ids in one cell
        ("FILTER", "f" * 1_000_000),  # a megabyte value
        ("FILENAME", "x" * (MAX_FIELD_CHARS + 1)),
        ("TARGETID", "1" * 100_000),
        ("ASN_CANDIDATE", "[" + "(" * 70_000),
    ],
)
def test_a_value_over_the_limit_is_refused_with_its_place_and_the_limit(
    tmp_path: Path, small_db: Path, column: str, value: str
) -> None:
    pool = pool_with(tmp_path / "big.csv", {(3, column): value})
    before = digest(small_db), tree(tmp_path)
    for command in (["load", pool], ["generate", pool, "--dry-run"]):
        line = assert_one_error_line(run(*command, "--db", small_db), 2, "65,536")
        assert line.startswith(f"Error: {pool}, line {line_of(3)}, column ")
        assert f"the {column} value is {len(value):,} characters long" in line
    assert (digest(small_db), tree(tmp_path)) == before


def test_a_value_at_the_limit_loads(tmp_path: Path) -> None:
    pool = pool_with(tmp_path / "big.csv", {(3, "TARGNAME"): "t" * MAX_FIELD_CHARS})
    assert run("load", pool, "--db", tmp_path / "asn.duckdb").code == 0


def test_a_thousand_candidates_on_one_row_make_a_thousand_scopes(tmp_path: Path) -> None:
    # Under the limit a cell's ids are handled in linear time (sql/engine/scopes.sql);
    # bench/bench_candidates.py measures the growth.
    cell = _ids(1000)[:-1] + ", ('o001', 'observation')]"
    pool = pool_with(tmp_path / "many.csv", {(0, "ASN_CANDIDATE"): cell})
    db = tmp_path / "asn.duckdb"
    outcome = run("generate", pool, "--level", "3", "--dry-run", "--db", db)
    assert outcome.code == 0, outcome.stderr
    assert "1 association (image3 1)" in outcome.stderr


# -- the linear membership test is jwst's substring test ------------------------------


@pytest.fixture(scope="module")
def scope_con() -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the two tables the scopes are built from."""
    con = database.connect_memory()
    con.execute(
        "create table exposures (pool_id integer, row_no integer, line_no integer, "
        "filename varchar, asn_candidate varchar)"
    )
    con.execute(
        "create table exposure_candidates (pool_id integer, row_no integer, "
        "position integer, acid varchar, ctype varchar)"
    )
    return con


def _scopes_sql() -> str:
    return render_sql("engine/scopes.sql", columns=["filename", "asn_candidate"])


_CELL = st.text(alphabet="oc1020a3x'(), []", max_size=40)
_ACID = st.from_regex(r"[oca]?[0-9]{1,4}", fullmatch=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(_CELL, min_size=1, max_size=6), acids=st.lists(_ACID, min_size=1, max_size=6))
def test_scope_membership_is_the_substring_test_of_the_raw_cell(
    scope_con: duckdb.DuckDBPyConnection, cells: list[str], acids: list[str]
) -> None:
    con = scope_con
    con.execute("delete from exposures; delete from exposure_candidates")
    con.executemany(
        "insert into exposures values (1, ?, ?, ?, ?)",
        [(row_no, row_no + 2, f"f{row_no}", cell) for row_no, cell in enumerate(cells)],
    )
    con.executemany(
        "insert into exposure_candidates values (1, 0, ?, ?, 'observation')",
        list(enumerate(dict.fromkeys(acids))),
    )
    # the statements of sql/engine/scopes.sql up to scope_rows; scope_exposures is
    # not needed here and costs most of the time
    params = {"pool_ids": [1], "ids": None, "candidates": True, "discover": True}
    params |= {"acid_pattern": ACID_PATTERN, "unsafe_pattern": UNSAFE_PATTERN}
    for statement in con.extract_statements(_scopes_sql()):
        if "scope_exposures" not in statement.query:
            wanted = {name: params[name] for name in statement.named_parameters}
            con.execute(statement, wanted)
    found = set(
        con.execute(
            "select s.acid, r.row_no from scope_rows as r join scopes as s using (scope_id) "
            "where s.ctype <> 'discovered'"
        ).fetchall()
    )
    expected = {
        (acid, row_no) for acid in set(acids) for row_no, cell in enumerate(cells) if acid in cell
    }
    assert found == expected
