"""Printing query results as a rich table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
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
    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*(to_text(v) for v in row))
    console.print(table)
