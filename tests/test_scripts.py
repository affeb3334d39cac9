"""Running a rendered script: bound parameters, and the blocks skipped when their table is empty."""

from __future__ import annotations

import duckdb

from asn_sql import db

SCRIPT = """
create table work as select * from source where n > $floor;
create table log (what varchar);
-- asnsql: unless_empty work
insert into log values ('outer');
-- asnsql: unless_empty nothing
insert into log values ('inner');
-- asnsql: end
insert into log values ('outer again');
-- asnsql: end
insert into log values ('after');
"""


def run(floor: int) -> list[str]:
    con = duckdb.connect()
    con.execute("create table source as select range as n from range(3)")
    con.execute("create table nothing (n integer)")
    db.execute_script(con, SCRIPT, {"floor": floor})
    return [what for (what,) in con.execute("select what from log").fetchall()]


def test_a_block_runs_when_its_table_has_rows_and_a_nested_empty_one_is_skipped() -> None:
    assert run(floor=0) == ["outer", "outer again", "after"]


def test_a_block_whose_table_is_empty_is_skipped_with_the_blocks_inside_it() -> None:
    assert run(floor=5) == ["after"]


def test_a_skipped_block_is_never_planned() -> None:
    # A statement inside a skipped block may name a table that does not exist.
    con = duckdb.connect()
    con.execute("create table empty (n integer)")
    script = (
        "-- asnsql: unless_empty empty\nselect * from no_such_table;\n"
        "-- asnsql: end\nselect 42 as answer"
    )
    assert db.execute_script(con, script).fetchall() == [(42,)]
