"""Analysts' SQL over the database, opened read-only."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from asn_sql import db
from asn_sql.errors import QueryError, UsageError


@dataclass
class QueryResult:
    """Column names and rows of one query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_query(db_path: Path, sql: str) -> QueryResult:
    """Run ``sql`` on a read-only view of the database."""
    con = db.open_database(db_path, read_only=True)
    try:
        return fetch(con, sql)
    finally:
        con.close()


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> QueryResult:
    """Run one SQL statement on ``con``; a DuckDB error becomes a one-line QueryError."""
    try:
        cursor = con.execute(sql, params or {})
        rows = cursor.fetchall() if cursor.description else []
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {_one_line(exc)}") from None
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return QueryResult(columns, rows)


def read_sql_text(sql: str | None, file: str | None) -> str:
    """The SQL of `asnsql query`: the argument, or the text of ``file``; ``-`` reads stdin.

    Raises UsageError for both or neither, QueryError for an unreadable or empty file."""
    if sql is None and file is None:
        raise UsageError(
            "missing argument 'SQL': give the SQL as an argument or with --file FILE"
            " (- for stdin) (see 'asnsql query --help')"
        )
    if sql is not None and file is not None:
        raise UsageError("give the SQL as an argument or with --file FILE, not both")
    source = file if file is not None else sql
    if source == "-":
        text = sys.stdin.read()
    elif file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"cannot read the SQL: {exc}", path=file) from None
    else:
        text = str(sql)
    if not text.strip():
        raise QueryError("the SQL is empty", path=file if file not in (None, "-") else None)
    return text


def _one_line(exc: duckdb.Error) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:1] + [line for line in lines[1:2] if line.startswith("LINE")])
