"""Exporting a table or a query's rows to CSV, Parquet or JSON with DuckDB's COPY."""

from __future__ import annotations

import os
import re
import tempfile
from enum import StrEnum
from pathlib import Path

import duckdb

from asn_sql import db
from asn_sql.errors import QueryError, UsageError, first_line


class ExportFormat(StrEnum):
    """File formats of `asnsql export`; ndjson is one JSON object a line."""

    csv = "csv"
    parquet = "parquet"
    json = "json"
    ndjson = "ndjson"


_BY_EXTENSION = {
    ".csv": ExportFormat.csv,
    ".parquet": ExportFormat.parquet,
    ".pq": ExportFormat.parquet,
    ".json": ExportFormat.json,
    ".ndjson": ExportFormat.ndjson,
    ".jsonl": ExportFormat.ndjson,
}
_COPY_OPTIONS = {
    ExportFormat.csv: "format csv, header true",
    ExportFormat.parquet: "format parquet",
    ExportFormat.json: "format json, array true",
    ExportFormat.ndjson: "format json",
}
# A table or view name, optionally schema-qualified; anything else is taken as a query.
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def format_for(output: Path, given: ExportFormat | None = None) -> ExportFormat:
    """The format asked for, else the one the output's extension names."""
    if given is not None:
        return given
    try:
        return _BY_EXTENSION[output.suffix.lower()]
    except KeyError:
        known = ", ".join(_BY_EXTENSION)
        raise UsageError(
            f"cannot tell the format from the name; end it in {known} or give --format",
            path=output,
        ) from None


def export(db_path: Path, source: str, output: Path, fmt: ExportFormat | None = None) -> int:
    """Write the rows of ``source`` (a table or view name, or a query) to ``output``, from a
    read-only database; the file appears only when complete. Returns the rows written."""
    fmt = format_for(output, fmt)
    if not output.parent.is_dir():
        raise UsageError("the output folder does not exist", path=output)
    fd, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    con = db.open_database(db_path, read_only=True)
    try:
        count = con.execute(copy_sql(source, Path(temporary), fmt)).fetchone()
        os.replace(temporary, output)
    except duckdb.Error as exc:
        raise QueryError(f"export failed: {first_line(exc)}") from None
    finally:
        con.close()
        Path(temporary).unlink(missing_ok=True)
    return int(count[0]) if count else 0


def copy_sql(source: str, output: Path, fmt: ExportFormat) -> str:
    """The COPY statement, without running it. COPY takes no bound parameter for its
    path, so the path goes in as a quoted literal."""
    return f"copy ({select_sql(source)}) to {quote_literal(str(output))} ({_COPY_OPTIONS[fmt]})"


def select_sql(source: str) -> str:
    """A query for ``source``: every row of a named table or view, or the query itself."""
    text = source.strip().rstrip(";").strip()
    if not text:
        raise UsageError("give a table name or a query to export")
    if _TABLE_NAME.match(text):
        return "select * from " + ".".join(quote_identifier(p) for p in text.split("."))
    return text


def quote_literal(value: str) -> str:
    """A SQL string literal: quotes doubled, so no value can end it early."""
    if "\x00" in value:
        raise UsageError("a path cannot contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes, its own quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def parse_format(text: str | None) -> ExportFormat | None:
    """The --format value as an ExportFormat; None when it is not given."""
    if text is None:
        return None
    try:
        return ExportFormat(text.lower())
    except ValueError:
        known = ", ".join(f.value for f in ExportFormat)
        raise UsageError(f"--format must be one of {known}, not {text!r}") from None
