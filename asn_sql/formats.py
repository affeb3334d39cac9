"""Printing query results as a rich table, CSV or JSON.

Values are data, never markup: table cells and headers are rich Text (no markup, no
emoji codes) with control characters shown as escapes; CSV and JSON go out exactly,
converted by asn_sql/values.py.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from asn_sql.query import QueryResult
from asn_sql.values import cell_text, csv_line, printable, records_json, row_cells


class OutputFormat(StrEnum):
    """How `query` and `pools` print rows."""

    table = "table"
    csv = "csv"
    json = "json"


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


def print_rows(result: QueryResult, output: OutputFormat, console: Console) -> None:
    """Print the rows on ``console`` in the requested format. CSV and JSON are written
    as they are (rich would drop some control characters); on a terminal, CSV cells
    show control characters as escapes, as ``ls`` does with file names."""
    if output is not OutputFormat.table:
        text = format_rows(result, output, escape=console.is_terminal)
        console.file.write(text + "\n")
        console.file.flush()
        return
    table = Table(show_lines=False)
    for column in result.columns:
        table.add_column(Text(printable(column)))
    for row in result.rows:
        table.add_row(*(Text(printable(cell)) for cell in row_cells(row, result.json_columns)))
    console.print(table)
