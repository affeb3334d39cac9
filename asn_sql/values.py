"""DuckDB values as strict JSON and as plain text: the one conversion every output uses.

JSON is strict (RFC 8259): NaN and the infinities become null; decimals are exact JSON
numbers; blobs are base64 strings; dates, times and timestamps are ISO 8601 strings;
intervals are ISO 8601 durations (DuckDB's Python values count a month as 30 days);
lists, structs and maps are arrays and objects. The text form, for CSV and tables,
is the same value written for a cell: scalars as in JSON but unquoted, NULL empty,
nested values as their JSON text.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any


def json_text(value: Any) -> str:
    """``value`` (as DuckDB's Python client returns it) as one strict JSON text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, dict):
        items = (f"{json.dumps(_key(k))}:{json_text(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    return json.dumps(_scalar(value))


def document_json(value: Any, indent: str = "") -> str:
    """A whole JSON document (``--format json``) as strict JSON text, two spaces an
    indent: dicts, lists and tuples nest; a Path is its text; every other value is
    written as :func:`json_text` writes it (NaN as null, strings escaped)."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = (
            f"{inner}{json.dumps(_key(k))}: {document_json(v, inner)}" for k, v in value.items()
        )
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list | tuple) and value:
        items = (inner + document_json(v, inner) for v in value)
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    if isinstance(value, PurePath):
        return json.dumps(str(value))
    return json_text(value)


def cell_text(value: Any) -> str:
    """``value`` as one CSV or table cell: NULL is empty, nested values are JSON."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, bool | int | float | Decimal | dict | list | tuple):
        return json_text(value)
    return _scalar(value)


def records_json(
    columns: list[str], rows: list[tuple[Any, ...]], json_columns: frozenset[int] = frozenset()
) -> str:
    """Rows as a JSON array of objects, one object a line. ``json_columns`` are the
    indexes of columns whose values arrive as JSON text already (asn_sql/io/output_rows.py)."""
    if not rows:
        return "[]"
    keys = json_keys(columns)
    lines = ("  " + record_line(keys, row, json_columns) for row in rows)
    return "[\n" + ",\n".join(lines) + "\n]"


def json_keys(columns: list[str]) -> list[str]:
    """Column names as JSON strings, ready for :func:`record_line`."""
    return [json.dumps(c) for c in columns]


def record_line(
    keys: list[str], row: tuple[Any, ...], json_columns: frozenset[int] = frozenset()
) -> str:
    """One row as a compact JSON object; ``keys`` are the column names already as JSON."""
    values = (
        ascii_json(v) if i in json_columns and v is not None else json_text(v)
        for i, v in enumerate(row)
    )
    return "{" + ",".join(f"{k}:{v}" for k, v in zip(keys, values, strict=True)) + "}"


def row_cells(row: tuple[Any, ...], json_columns: frozenset[int] = frozenset()) -> list[str]:
    """One row as CSV or table cells; JSON-text columns are already their cell."""
    return [v if i in json_columns and v is not None else cell_text(v) for i, v in enumerate(row)]


def csv_line(cells: list[str]) -> str:
    """One RFC 4180 record ending in ``\\n``: a cell holding a comma, a quote, a
    newline or a carriage return is quoted (Python's csv module leaves a lone ``\\r``
    bare), and a record of one empty cell is ``""`` so it is not an empty line."""
    if cells == [""]:
        return '""\n'
    return ",".join(_csv_cell(c) for c in cells) + "\n"


def _csv_cell(cell: str) -> str:
    if _CSV_SPECIAL.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


_CSV_SPECIAL = re.compile('[,"\r\n]')


def ascii_json(text: str) -> str:
    """JSON text with every non-ASCII character as a ``\\u`` escape, as json.dumps
    writes strings (DuckDB's to_json leaves them raw; they only occur inside strings)."""
    return text if text.isascii() else _NON_ASCII.sub(_json_escape, text)


_NON_ASCII = re.compile("[^\x00-\x7f]")


def _json_escape(match: re.Match[str]) -> str:
    return json.dumps(match.group(0))[1:-1]


def _key(key: Any) -> str:
    return key if isinstance(key, str) else cell_text(key)


def _scalar(value: Any) -> str:
    """A value JSON has no type for, as a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def iso_duration(delta: dt.timedelta) -> str:
    """An ISO 8601 duration: ``P1DT2H3M4.5S``, ``PT0S``, ``-P30D``."""
    total = delta // dt.timedelta(microseconds=1)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, micros = divmod(rest, 60_000_000)
    seconds = f"{micros // 1_000_000}.{micros % 1_000_000:06d}".rstrip("0").rstrip(".")
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n) + (
        f"{seconds}S" if micros else ""
    )
    text = (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return f"{sign}P{text}" if text else "PT0S"


# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide
# text on a terminal (bidi overrides and isolates, zero-width marks).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every control or invisible formatting character written as an
    escape (``\\n``, ``\\x1b``, ``\\u202e``), so it stays on one line and cannot drive
    the terminal."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 member", "0 members", "2 rows"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
