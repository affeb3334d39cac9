"""The sandbox of user rules (`generate -r`, `rules --check`): a rule's SQL reads the
run's tables and nothing else, as `query` does (asn_sql/sandbox.py).

Two locks: each user rule's SQL (and each macro it gives the engine) must parse as one
SELECT on its own, so that it cannot close the engine's statement around it and add
statements of its own (ATTACH, COPY, DELETE); and the connection a user rule runs on
has DuckDB's external access switched off (:func:`forbid_files`), so that no function
(read_text, read_csv, glob, parquet_scan, …) reads a file or the network, which
DuckDB keeps off until the connection closes.
"""

from __future__ import annotations

import duckdb

from asn_sql.errors import RuleError

# Said with DuckDB's refusal of a file read.
FILES_HINT = "a rule reads only the run's tables, never a file"


def check_one_select(sql: str, path: object, what: str = "its SQL") -> None:
    """Raise RuleError naming ``path`` unless ``sql`` parses as exactly one SELECT."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuleError(
            f"{what} must be one SELECT; it does not parse alone: {message}", path=path
        ) from None
    kinds = [statement.type for statement in statements]
    if kinds != [duckdb.StatementType.SELECT]:
        raise RuleError(
            f"{what} must be one SELECT, not {len(kinds)} statements"
            if len(kinds) != 1
            else f"{what} must be one SELECT, not a {kinds[0].name} statement",
            path=path,
        )


def check_expression(sql: str, path: object, what: str) -> None:
    """Raise RuleError unless ``sql`` is one expression: ``select SQL`` is one SELECT."""
    check_one_select(f"select {sql}\n", path, what)


def forbid_files(con: duckdb.DuckDBPyConnection) -> None:
    """From now on ``con`` reads and writes no file but the databases it has attached
    already (and its own spill files), and no extension: how user rules run."""
    con.execute("set enable_external_access = false")


def with_hint(message: str, exc: BaseException) -> str:
    """DuckDB's message, with what a rule may read when it was a refused file access."""
    if isinstance(exc, duckdb.PermissionException):
        return f"{message} ({FILES_HINT})"
    return message
