"""Printing query results as a rich table, CSV or JSON.

Values are data, never markup: table cells and headers are rich Text (no markup, no
emoji codes) with control characters shown as escapes; CSV and JSON go out exactly,
converted by asn_sql/values.py.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from asn_sql.values import cell_text, csv_line, printable, records_json, row_cells

if TYPE_CHECKING:
    from asn_sql.io.query import QueryResult


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
