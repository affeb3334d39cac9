"""Exporting a table or a query's rows to CSV, Parquet or JSON, from a read-only database."""

from __future__ import annotations

import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import duckdb

from asn_sql import db, interrupt, sandbox, values
from asn_sql.errors import QueryError, UsageError
from asn_sql.io.output_rows import as_cells, open_rows
from asn_sql.io.staged_files import Staging


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
            f"cannot tell the format from the name; end it in {known} or give the format",
            path=output,
            settings=("file_format",),
        ) from None


def export(db_path: Path, source: str, output: Path, fmt: ExportFormat | None = None) -> int:
    """Write the rows of ``source`` (a table or view name, or one SELECT) to ``output``,
    from a read-only, locked database (asn_sql/sandbox.py). The file appears complete,
    by a rename from a private folder beside it, or not at all. Returns the rows written.

    Raises UsageError for a bad output path or anything but one query, QueryError when
    DuckDB fails, KeyboardInterrupt after Ctrl-C stopped it.
    """
    if output.is_dir():
        raise UsageError("is a folder; give the file to write", path=output)
    fmt = format_for(output, fmt)
    if output.exists() and not output.is_file():
        # a device or a pipe: a rename would replace it, not write into it
        raise UsageError("is not a regular file; give the file to write", path=output)
    if not output.parent.is_dir():
        raise UsageError("the output folder does not exist", path=output)
    if db.same_file(output, db_path):
        raise UsageError("is the database being read; give another output file", path=output)
    if db.is_duckdb_file(output):
        raise UsageError("is a DuckDB database; give another output file", path=output)
    try:
        # Named for this process and locked: a later command removes it if we are killed.
        area = Staging(output.parent)
    except OSError as exc:
        raise UsageError(f"cannot write here: {exc.strerror}", path=output) from None
    staging = area.path
    try:
        con = sandbox.open_read_only(db_path, writable_folder=staging)
        try:
            rows = sandbox.one_select(con, select_sql(source))
            staged = staging / "rows"
            count = interrupt.run(con, lambda: _write(con, rows, staged, fmt))
        except duckdb.Error as exc:
            raise QueryError(f"export failed: {sandbox.error_line(exc)}") from None
        except OSError as exc:
            raise UsageError(f"cannot write the file: {exc.strerror}", path=output) from None
        finally:
            con.close()
        try:
            with interrupt.HeldInterrupt():
                os.replace(staged, output)
                interrupt.keep(f"{output} was written (it is kept: remove it to undo)")
        except OSError as exc:
            raise UsageError(f"cannot write the file: {exc.strerror}", path=output) from None
    finally:
        area.remove()
    return count


def _write(
    con: duckdb.DuckDBPyConnection, query: duckdb.Statement, path: Path, fmt: ExportFormat
) -> int:
    """Run the parsed ``query`` and write its rows to ``path``: CSV and JSON with
    asn_sql/values.py's conversion (the one `query -f` prints), Parquet with DuckDB's
    typed writer. Returns the rows written."""
    if fmt is ExportFormat.parquet:
        con.sql(query).write_parquet(str(path))
        counted = con.execute("select count(*) from read_parquet($p)", {"p": str(path)})
        return int(counted.fetchone()[0])  # type: ignore[index]
    cells = as_cells(con, query) if fmt is ExportFormat.csv else None
    if cells is not None:
        # Every column's text is DuckDB's own cast: let DuckDB write the file too.
        cells.write_csv(str(path), header=True)
        counted = con.execute(_COUNT_CSV, {"p": str(path)})
        return int(counted.fetchone()[0])  # type: ignore[index]
    rows = open_rows(con, query)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = _RowWriter(file, rows.columns, rows.json_columns, fmt)
        for batch in rows.batches(_BATCH):
            writer.write(batch)
            count += len(batch)
        writer.close()
    return count


_BATCH = 10_000
_COUNT_CSV = (
    "select count(*) from read_csv($p, header = true, delim = ',', quote = '\"', "
    "escape = '\"', all_varchar = true)"
)


class _RowWriter:
    """CSV with a header, a JSON array, or one JSON object a line."""

    def __init__(
        self, file: TextIO, columns: list[str], json_columns: frozenset[int], fmt: ExportFormat
    ) -> None:
        self.file, self.fmt, self.first = file, fmt, True
        self.json_columns = json_columns
        self.keys = values.json_keys(columns)
        if fmt is ExportFormat.csv:
            file.write(values.csv_line(columns))
        elif fmt is ExportFormat.json:
            file.write("[")

    def write(self, batch: list[tuple[Any, ...]]) -> None:
        if self.fmt is ExportFormat.csv:
            self.file.write(
                "".join(values.csv_line(values.row_cells(r, self.json_columns)) for r in batch)
            )
            return
        for row in batch:
            line = values.record_line(self.keys, row, self.json_columns)
            if self.fmt is ExportFormat.ndjson:
                self.file.write(line + "\n")
            else:
                self.file.write(("\n  " if self.first else ",\n  ") + line)
            self.first = False

    def close(self) -> None:
        if self.fmt is ExportFormat.json:
            self.file.write("]\n" if self.first else "\n]\n")


def select_sql(source: str) -> str:
    """A query for ``source``: every row of a named table or view, or the text itself,
    which :func:`asn_sql.sandbox.one_select` then parses (it is never pasted into other SQL)."""
    text = source.strip()
    name = text.rstrip(";").strip()
    if _TABLE_NAME.match(name):
        return "select * from " + ".".join(quote_identifier(p) for p in name.split("."))
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
    """The format asked for by name, as an ExportFormat; None when it is not given."""
    if text is None:
        return None
    try:
        return ExportFormat(text.lower())
    except ValueError:
        known = ", ".join(f.value for f in ExportFormat)
        raise UsageError(
            f"the format must be one of {known}, not {text!r}", settings=("file_format",)
        ) from None
