"""All the rules of one level in one INSERT: their eligible rows into l2_/l3_eligible.

DuckDB spends far more time planning a statement than running it on a pool's
few thousand rows, so the rules of a level are run as the branches of one
UNION ALL. Each branch lists every column of the table: the rule's own, the
engine's constants (rule, asn_type, ...), and the table's default for the keys
the rule does not set ('' for "not a key"), so the defaults keep their meaning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from asn_sql import db
from asn_sql.errors import RuleError, first_line
from asn_sql.rules import Rule
from asn_sql.templates import cached


@dataclass(frozen=True)
class Branch:
    """One rule's part of the insert: its rendered SQL and the constants it adds."""

    rule: Rule
    sql: str
    constants: dict[str, object]


def insert_eligible(con: duckdb.DuckDBPyConnection, table: str, branches: Sequence[Branch]) -> None:
    """Insert every branch's rows into ``table``; a failing rule is named in the error."""
    if not branches:
        return
    columns = _table_columns(con, table)
    parts, params = [], {}
    for n, branch in enumerate(branches):
        produced = set(_rule_columns(con, branch))
        select = []
        for name, default in columns:
            if name in branch.constants:
                select.append(f"${name}_{n} as {name}")
                params[f"{name}_{n}"] = branch.constants[name]
            elif name in produced:
                select.append(f"e.{name}")
            else:
                select.append(f"{default or 'null'} as {name}")
        parts.append(f"select {', '.join(select)}\nfrom (\n{branch.sql}\n) as e")
    names = ", ".join(name for name, _ in columns)
    try:
        db.execute_script(
            con, f"insert into {table} ({names})\n" + "\nunion all\n".join(parts), params
        )
    except duckdb.Error as exc:
        # Name the rule: run each branch alone until one fails.
        for n, part in enumerate(parts):
            try:
                con.execute(f"explain select * from ({part})", _own(params, n))
            except duckdb.Error as inner:
                raise RuleError(first_line(inner), path=branches[n].rule.path) from None
        raise RuleError(f"the rules of {table} failed together: {first_line(exc)}") from None


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str | None]]:
    return con.execute(
        "select column_name, column_default from information_schema.columns "
        "where table_catalog = 'temp' and table_name = $table order by ordinal_position",
        {"table": table},
    ).fetchall()


def _rule_columns(con: duckdb.DuckDBPyConnection, branch: Branch) -> list[str]:
    """The columns the rule's SQL returns (remembered with the rendered SQL)."""

    def describe() -> str:
        try:
            cursor = con.execute(f"select * from (\n{branch.sql}\n) limit 0")
        except duckdb.Error as exc:
            raise RuleError(first_line(exc), path=branch.rule.path) from None
        return json.dumps([column[0] for column in cursor.description])

    return json.loads(cached(("eligible columns", branch.sql), describe))


def _own(params: dict[str, object], n: int) -> dict[str, object]:
    return {key: value for key, value in params.items() if key.endswith(f"_{n}")}
