"""Printing query results as a rich table, CSV or JSON, and a command's result as text
for people or as one JSON document for scripts (``--format json``).

Values are data, never markup: table cells and headers are rich Text (no markup, no
emoji codes) with control characters shown as escapes; CSV and JSON go out exactly,
converted by asn_sql/values.py.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from asn_sql.values import (
    cell_text,
    csv_line,
    document_json,
    json_keys,
    printable,
    record_line,
    records_json,
    row_cells,
)

if TYPE_CHECKING:
    from rich.console import Console

    from asn_sql.io.query import QueryResult


class OutputFormat(StrEnum):
    """How `query` and `pools` print rows."""

    table = "table"
    csv = "csv"
    json = "json"


class ReportFormat(StrEnum):
    """How a command that reports what it did prints it: lines for people, or one JSON
    document for scripts (its keys are listed in docs/commands.md, "JSON output")."""

    text = "text"
    json = "json"


def print_document(document: dict[str, Any], console: Console) -> None:
    """Print ``document`` as one strict JSON document, written as it is (not through rich,
    which would take it for markup or wrap it). A command printing JSON prints nothing
    else on stdout: its messages for people go to stderr."""
    console.file.write(document_json(document) + "\n")
    console.file.flush()


def records(result: QueryResult) -> list[dict[str, Any]]:
    """The rows as objects keyed by column name, for a JSON document; values whose
    column is JSON text already (asn_sql/io/output_rows.py) are parsed back."""
    return [
        {
            name: json.loads(value) if i in result.json_columns and value is not None else value
            for i, (name, value) in enumerate(zip(result.columns, row, strict=True))
        }
        for row in result.rows
    ]


def to_text(value: Any) -> str:
    """A value as one table or CSV cell; NULL is empty (see asn_sql/values.py)."""
    return cell_text(value)


def format_rows(result: QueryResult, output: OutputFormat, *, escape: bool = False) -> str:
    """The rows as CSV or strict JSON text (tables are printed by :func:`print_rows`).
    With ``escape``, CSV cells show control characters as escapes (for a terminal)."""
    if output is OutputFormat.json:
        return records_json(result.columns, result.rows, result.json_columns)
    rows = [row_cells(row, result.json_columns) for row in result.rows]
    header = list(result.columns)
    if escape:
        header = [printable(c) for c in header]
        rows = [[printable(c) for c in row] for row in rows]
    return "".join(csv_line(cells) for cells in [header, *rows])[:-1]


class RowPrinter:
    """Rows printed as they come, a batch at a time (``asnsql query``): CSV and JSON text
    exactly as :func:`print_rows` prints the whole result, written batch by batch; a
    table, laid out from the widths of all its rows, is printed at :meth:`close`."""

    def __init__(self, output: OutputFormat, console: Console) -> None:
        self.output, self.console = output, console
        self._escape = console.is_terminal
        self._started = False
        self._rows = 0
        self._table: QueryResult | None = None

    def write(self, part: QueryResult) -> None:
        """Print one batch of rows (the first also prints the CSV header)."""
        if self.output is OutputFormat.table:
            if self._table is None:
                self._table = part
            else:
                self._table.rows.extend(part.rows)
            return
        chunks: list[str] = []
        if self.output is OutputFormat.json:
            keys = json_keys(part.columns)
            for row in part.rows:
                chunks.append("[\n  " if not self._rows else ",\n  ")
                chunks.append(record_line(keys, row, part.json_columns))
                self._rows += 1
        else:
            if not self._started:
                chunks.append(_csv_lines([list(part.columns)], self._escape))
            cells = [row_cells(row, part.json_columns) for row in part.rows]
            chunks.append(_csv_lines(cells, self._escape))
        self._started = True
        self.console.file.write("".join(chunks))
        self.console.file.flush()

    def close(self) -> None:
        """End the output: the JSON array's close, or the whole table."""
        if self.output is OutputFormat.table:
            if self._table is not None:
                print_rows(self._table, self.output, self.console)
            return
        if self.output is OutputFormat.json:
            self.console.file.write("\n]\n" if self._rows else "[]\n")
            self.console.file.flush()


def _csv_lines(rows: list[list[str]], escape: bool) -> str:
    if escape:
        rows = [[printable(cell) for cell in row] for row in rows]
    return "".join(csv_line(cells) for cells in rows)


def print_rows(result: QueryResult, output: OutputFormat, console: Console) -> None:
    """Print the rows on ``console`` in the requested format. CSV and JSON are written
    as they are (rich would drop some control characters); on a terminal, CSV cells
    show control characters as escapes, as ``ls`` does with file names."""
    if output is not OutputFormat.table:
        text = format_rows(result, output, escape=console.is_terminal)
        console.file.write(text + "\n")
        console.file.flush()
        return
    texts = [
        [printable(cell) for cell in row_cells(row, result.json_columns)] for row in result.rows
    ]
    columns = [printable(name) for name in result.columns]
    widths = [max([len(name), *(len(row[i]) for row in texts)]) for i, name in enumerate(columns)]
    names = [i for i, name in enumerate(result.columns) if _NAME_COLUMN.search(name)]
    # The narrowest the table can be: name columns whole, others folded to a few characters.
    narrowest = sum(widths[i] if i in names else min(widths[i], 8) for i in range(len(widths)))
    if columns and narrowest + 3 * len(widths) + 1 > console.width:
        _print_records(columns, texts, console)
        return
    # rich only here: the other formats and most commands never need it
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False)
    for i, name in enumerate(columns):
        whole = i in names
        table.add_column(
            Text(name),
            no_wrap=whole,
            min_width=widths[i] if whole else min(widths[i], 8),
            overflow="ellipsis" if whole else "fold",
        )
    for row in texts:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


# Columns that hold names people copy (files, associations, rules): never cut.
_NAME_COLUMN = re.compile(
    r"(^|_)(name|filename|expname|file|path|pool|association|product|member|science|rule)$"
)


def _print_records(columns: list[str], rows: list[list[str]], console: Console) -> None:
    """Rows too wide for the terminal, one `column  value` line each, a rule between rows."""
    width = max(len(name) for name in columns)
    for n, row in enumerate(rows, start=1):
        console.print(f"-[ row {n} ]-", markup=False, highlight=False)
        for name, value in zip(columns, row, strict=True):
            console.print(f"{name.ljust(width)}  {value}", markup=False, highlight=False)
