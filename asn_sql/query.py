"""Analysts' SQL over the database: one query on a connection that cannot write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from asn_sql import interrupt, sandbox
from asn_sql.errors import QueryError


@dataclass
class QueryResult:
    """Column names and rows of one query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_query(db_path: Path, sql: str) -> QueryResult:
    """Run the one SELECT of ``sql`` on a read-only, locked view of the database
    (asn_sql/sandbox.py says what it may read). Raises UsageError for anything but one
    query, QueryError when DuckDB fails, KeyboardInterrupt after Ctrl-C stopped it."""
    con = sandbox.open_read_only(db_path)
    try:
        return fetch(con, sandbox.one_select(con, sql))
    finally:
        con.close()


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
