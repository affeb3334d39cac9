"""Printing query results as a rich table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from asn_sql.query import QueryResult


class OutputFormat(StrEnum):
    """How `query` and `pools` print rows."""

    table = "table"
    csv = "csv"
    json = "json"


def to_text(value: Any) -> str:
    """A value as a person reads it; NULL is empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(to_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={to_text(v)}" for k, v in value.items())
    return str(value)


def format_rows(result: QueryResult, output: OutputFormat) -> str:
    """The rows as CSV or JSON text (tables are printed by :func:`print_rows`)."""
    if output is OutputFormat.json:
        records = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        return json.dumps(records, indent=2, default=str)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([[to_text(v) for v in row] for row in result.rows])
    return buffer.getvalue().rstrip("\n")


def print_rows(result: QueryResult, output: OutputFormat, console: Console) -> None:
    """Print the rows on ``console`` in the requested format."""
    if output is not OutputFormat.table:
        console.print(format_rows(result, output), markup=False, highlight=False, soft_wrap=True)
        return
    texts = [[to_text(v) for v in row] for row in result.rows]
    widths = [
        max([len(name), *(len(row[i]) for row in texts)]) for i, name in enumerate(result.columns)
    ]
    names = [i for i, name in enumerate(result.columns) if _NAME_COLUMN.search(name)]
    # The narrowest the table can be: name columns whole, others folded to a few characters.
    narrowest = sum(widths[i] if i in names else min(widths[i], 8) for i in range(len(widths)))
    if result.columns and narrowest + 3 * len(widths) + 1 > console.width:
        _print_records(result.columns, texts, console)
        return
    table = Table(show_lines=False)
    for i, name in enumerate(result.columns):
        whole = i in names
        table.add_column(
            name,
            no_wrap=whole,
            min_width=widths[i] if whole else min(widths[i], 8),
            overflow="ellipsis" if whole else "fold",
        )
    for row in texts:
        table.add_row(*row)
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
