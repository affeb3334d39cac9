"""The read-only connection for analysts' SQL: it can read, never write.

Two locks; the first alone stops every write, the second stops on its own every write
outside the readable folders, every change of settings and every extension, should
the first ever let a statement through:

1. DuckDB's parser takes the text apart and exactly one statement of type SELECT may
   run (select, with, from, values, describe, show, summarize, unpivot), and it runs as
   parsed; COPY, ATTACH, DETACH, USE, SET, PRAGMA, CALL, INSTALL, LOAD, EXPORT,
   CREATE (SECRET), EXPLAIN and every data change are refused before anything runs.
2. The connection itself is locked before the user's SQL reaches it: the database is
   attached read-only, extensions are neither installed nor loaded, file access is
   off except for the folders named in :func:`readable_folders` (and a private folder
   ``export`` writes into), spilling goes to the system's temporary folder, and
   ``lock_configuration`` stops any later SET.

Reading stays allowed for analysis: files under the current folder and under the
database's folder (``read_csv('pools/x.csv')``, ``'runs.parquet'``); nothing outside
them, and nothing over the network. DuckDB's allowed folders cannot be made
read-only, so inside them it is the first lock that stops a write.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb

from asn_sql import db
from asn_sql.errors import QueryError, UsageError

# Statement types DuckDB's parser gives a query that only reads.
_READING = {duckdb.StatementType.SELECT}


def readable_folders(db_path: Path) -> list[Path]:
    """The folders user SQL may read files from: the current one and the database's."""
    return sorted({Path.cwd().resolve(), db_path.resolve().parent})


def open_read_only(
    db_path: Path, *, writable_folder: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """The database at ``db_path``, attached read-only, on a locked connection.

    ``writable_folder`` is a private folder asnsql itself writes an export into.
    Raises DatabaseError when the file cannot be opened.
    """
    con = db.open_database(db_path, read_only=True)
    try:
        lock(con, readable_folders(db_path), [writable_folder] if writable_folder else [])
    except BaseException:
        con.close()
        raise
    return con


def lock(
    con: duckdb.DuckDBPyConnection, readable: Iterable[Path], writable: Iterable[Path] = ()
) -> None:
    """Switch off what a reading query never needs, then forbid changing it back."""
    folders = [str(p.resolve()).rstrip("/") + "/" for p in [*readable, *writable]]
    # A query larger than memory spills to the system's temporary folder, never to a
    # .tmp folder beside the user's files; DuckDB removes it when the connection closes.
    spill = Path(tempfile.gettempdir()) / f"asnsql-spill-{os.getpid()}"
    con.execute("set temp_directory = $spill", {"spill": str(spill)})
    con.execute("set autoinstall_known_extensions = false")
    con.execute("set autoload_known_extensions = false")
    con.execute("set allowed_directories = $folders", {"folders": folders})
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def one_select(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """The one SELECT statement of ``sql``, parsed by DuckDB and not yet run.

    Raises UsageError for empty SQL, several statements or a statement that is not a
    query, and QueryError for SQL DuckDB cannot parse.
    """
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {error_line(exc)}") from None
    if not statements:
        raise UsageError("no SQL given: the text is empty or only comments")
    if len(statements) > 1:
        raise UsageError(
            f"give one query, not {len(statements)} statements; "
            "read-only commands run a single SELECT"
        )
    (statement,) = statements
    if statement.type not in _READING:
        raise UsageError(
            f"only a query can run here, not {_first_word(statement.query)}; "
            "read-only commands run one SELECT (select, with, from, values, describe, show)"
        )
    return statement


def _first_word(sql: str) -> str:
    """The statement's keyword as written (INSTALL, PIVOT), for the refusal: DuckDB's own
    statement type can be another's (INSTALL is a LOAD, PIVOT several statements)."""
    words = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S).split()
    return words[0].upper() if words else "a statement"


def error_line(exc: duckdb.Error) -> str:
    """DuckDB's message on one line: its lines up to the LINE pointer (the error, then
    any hint such as ``Did you mean "exposures"?``) and that pointer's first line; a
    refused file access also says which files read-only commands may read."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    pointer = next((i for i, line in enumerate(lines) if line.startswith("LINE ")), len(lines))
    # at most three lines of message and hints; below the pointer only its caret: dropped
    text = " ".join(lines[: min(pointer, 3)] + lines[pointer : pointer + 1])
    if isinstance(exc, duckdb.PermissionException):
        text += f" ({_READ_HINT})"
    return text


_READ_HINT = (
    "read-only commands read files only under the current folder and the database's "
    "folder, and write none"
)
