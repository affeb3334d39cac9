"""Analysts' SQL over the database: one query on a connection that cannot write."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from asn_sql import interrupt, sandbox
from asn_sql.bounded import MAX_INPUT_BYTES, read_bounded
from asn_sql.errors import QueryError, UsageError
from asn_sql.io.output_rows import open_rows


@dataclass
class QueryResult:
    """Column names and rows of one query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    # Columns whose values are JSON text already (asn_sql/io/output_rows.py).
    json_columns: frozenset[int] = frozenset()


def run_query(db_path: Path, sql: str, *, for_output: bool = False) -> QueryResult:
    """Run the one SELECT of ``sql`` on a read-only, locked view of the database
    (asn_sql/sandbox.py says what it may read). ``for_output`` lets DuckDB turn decimals
    and simple nested values into JSON text (for printing only). Raises UsageError for
    anything but one query, QueryError when DuckDB fails, KeyboardInterrupt after
    Ctrl-C stopped it."""
    with reading(db_path) as con:
        statement = sandbox.one_select(con, sql)
        return _fetch_for_output(con, statement) if for_output else fetch(con, statement)


# Rows printed a batch at a time: large enough that the per-batch work is negligible.
STREAM_BATCH_ROWS = 10_000


def stream_query(
    db_path: Path,
    sql: str,
    write: Callable[[QueryResult], None],
    *,
    batch_rows: int = STREAM_BATCH_ROWS,
) -> int:
    """Run the one SELECT of ``sql`` as :func:`run_query` does (``for_output``), handing
    its rows to ``write`` ``batch_rows`` at a time, so that memory holds one batch however
    many rows there are. Each call gets the query's columns; ``write`` is called once with
    no rows for an empty result. Returns the number of rows. Raises as :func:`run_query`,
    and whatever ``write`` raises (the rows already written stay written)."""
    with reading(db_path) as con:
        statement = sandbox.one_select(con, sql)

        def work() -> int:
            rows = open_rows(con, statement)
            count = 0
            for batch in rows.batches(batch_rows):
                write(QueryResult(rows.columns, batch, rows.json_columns))
                count += len(batch)
            if not count:
                write(QueryResult(rows.columns, [], rows.json_columns))
            return count

        try:
            return interrupt.run(con, work)
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {sandbox.error_line(exc)}") from None


@contextmanager
def reading(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database opened for reading only, on the locked connection user SQL gets
    (asn_sql/sandbox.py), closed on leaving; for `query` and the commands that print
    asnsql's own queries (`runs`, `orphans`). Raises DatabaseError when it cannot open."""
    con = sandbox.open_read_only(db_path)
    try:
        yield con
    finally:
        con.close()


def _fetch_for_output(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> QueryResult:
    def work() -> QueryResult:
        rows = open_rows(con, statement)
        return QueryResult(rows.columns, rows.relation.fetchall(), rows.json_columns)

    try:
        return interrupt.run(con, work)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {sandbox.error_line(exc)}") from None


def fetch(
    con: duckdb.DuckDBPyConnection,
    sql: str | duckdb.Statement,
    params: dict[str, Any] | None = None,
) -> QueryResult:
    """Run one SQL statement on ``con``; a DuckDB error becomes a one-line QueryError."""

    def work() -> QueryResult:
        cursor = con.execute(sql, params) if params else con.execute(sql)
        if not cursor.description:
            return QueryResult([], [])
        return QueryResult([d[0] for d in cursor.description], cursor.fetchall())

    try:
        return interrupt.run(con, work)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {sandbox.error_line(exc)}") from None


def read_sql_text(sql: str | None, file: str | None) -> str:
    """The SQL of `asnsql query`: the argument, or the text of ``file``; ``-`` reads stdin.

    Raises UsageError for both or neither, QueryError for an unreadable or empty file."""
    if sql is None and file is None:
        raise UsageError(
            "no SQL given: give it as an argument or in a file (- for stdin)", settings=("file",)
        )
    if sql is not None and file is not None:
        raise UsageError("give the SQL as an argument or in a file, not both", settings=("file",))
    source = file if file is not None else sql
    if source == "-":
        text = sys.stdin.read(MAX_INPUT_BYTES + 1)
        if len(text) > MAX_INPUT_BYTES:
            raise QueryError(f"the SQL on stdin is longer than {MAX_INPUT_BYTES:,} characters")
    elif file is not None:
        try:
            text = read_bounded(Path(file), QueryError).decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError("cannot read the SQL: the file is not UTF-8 text", path=file) from None
    else:
        text = str(sql)
    if not text.strip():
        raise QueryError(
            "no SQL given: the text is empty", path=file if file not in (None, "-") else None
        )
    return text
