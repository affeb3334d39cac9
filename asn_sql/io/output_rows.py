"""A query's rows for printing or export, with the slow conversions left to DuckDB.

DuckDB's Python client builds a Decimal or a dict for each DECIMAL or MAP value at
10 to 40 times the cost of a string; a pool's ``extra`` MAP alone dominates an export.
So columns of those types, and lists, arrays, structs and maps of text, integers,
booleans and decimals, are turned into JSON text by DuckDB (``to_json``, or a cast for
a decimal, which keeps its digits) and handed on as text; asn_sql/values.py converts
the rest. Either way the value written is the same JSON value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from asn_sql import sandbox

_LEAVES = {
    "varchar",
    "boolean",
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
    "decimal",
}
_NESTED = {"list", "array", "struct", "map"}


@dataclass
class Rows:
    """A query not yet run: its column names, which columns arrive as JSON text, and
    the relation that yields them on ``con``."""

    columns: list[str]
    json_columns: frozenset[int]
    relation: duckdb.DuckDBPyRelation
    con: duckdb.DuckDBPyConnection

    def batches(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows, ``size`` at a time, from one run of the query, streamed: memory holds
        about one batch however many rows there are (``iter_rows`` would keep the whole
        result in DuckDB's memory). The connection is busy until the last batch.

        The relation's text (the user's statement inside asnsql's projection) is parsed
        again and must still be one SELECT (asn_sql/sandbox.py) before it runs."""
        cursor = self.con.execute(sandbox.one_select(self.con, self.relation.sql_query()))
        while batch := cursor.fetchmany(size):
            yield batch


def open_rows(con: duckdb.DuckDBPyConnection, query: duckdb.Statement) -> Rows:
    """``query`` (one parsed SELECT) with DuckDB converting what it converts faster.
    Raises duckdb.Error when the query cannot be bound."""
    relation = con.sql(query)
    columns = list(relation.columns)
    json_columns = frozenset(i for i, t in enumerate(relation.types) if as_json_text(t))
    if json_columns:
        # Positional references (#1, #2, ...) name each column even when names repeat;
        # the projection is an expression list over the parsed relation, not new SQL
        # around the user's text.
        expressions = [
            (f"#{i + 1}::varchar" if t.id == "decimal" else f"to_json(#{i + 1})")
            if i in json_columns
            else f"#{i + 1}"
            for i, t in enumerate(relation.types)
        ]
        relation = relation.project(", ".join(expressions))
    return Rows(columns, json_columns, relation, con)


def as_json_text(column_type: Any) -> bool:
    """Whether DuckDB writes this type (a relation's column type; its class moves
    between DuckDB versions) as JSON text equal in value to
    asn_sql/values.py's: a decimal, or a nested type of text, integers, booleans and
    decimals whose maps have text keys."""
    return column_type.id == "decimal" or (column_type.id in _NESTED and _simple(column_type))


def _simple(column_type: Any) -> bool:
    if column_type.id in _LEAVES:
        return True
    if column_type.id not in _NESTED:
        return False
    # an array's children include its size and a decimal's its precision: keep the types
    children = [c for _, c in column_type.children if hasattr(c, "id")]
    if column_type.id == "map" and children[0].id != "varchar":
        return False
    return all(_simple(child) for child in children)


# Types whose VARCHAR cast is exactly the cell asn_sql/values.py writes.
_CAST_AS_CELL = (_LEAVES - {"varchar"}) | {"date", "uuid"}


def as_cells(
    con: duckdb.DuckDBPyConnection, query: duckdb.Statement
) -> duckdb.DuckDBPyRelation | None:
    """``query`` with every column turned into its CSV cell text by DuckDB, so DuckDB
    can write the CSV itself; None when a column's type needs asn_sql/values.py (floats,
    blobs, intervals, times, timestamps, nested values of those)."""
    relation = con.sql(query)
    expressions = []
    for i, column_type in enumerate(relation.types):
        reference = f"#{i + 1}"
        if column_type.id == "varchar":
            expressions.append(reference)
        elif column_type.id in _CAST_AS_CELL:
            expressions.append(f"{reference}::varchar")
        elif as_json_text(column_type):
            expressions.append(f"to_json({reference})")
        else:
            return None
    # The original names head the file; DuckDB quotes them as it quotes cells.
    names = ", ".join(
        f"{e} as {_quote(c)}" for e, c in zip(expressions, relation.columns, strict=True)
    )
    return relation.project(names)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
