"""All the rules of one level in one INSERT: their eligible rows into l2_/l3_eligible.

DuckDB spends far more time planning a statement than running it on a pool's
few thousand rows, so the rules of a level are run as the branches of one
UNION ALL. Each branch lists every column of the table: the rule's own, the
engine's constants (rule, asn_type, ...), and the table's default for the keys
the rule does not set ('' for "not a key"), so the defaults keep their meaning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import duckdb

from asn_sql import db
from asn_sql.engine.rules import Rule, line_mentioning
from asn_sql.engine.user_sql import check_one_select, with_hint
from asn_sql.errors import RuleError, first_line
from asn_sql.templates import cached


@dataclass(frozen=True)
class Branch:
    """One rule's part of the insert: its rendered SQL and the constants it adds."""

    rule: Rule
    sql: str
    constants: dict[str, object]


def insert_eligible(
    con: duckdb.DuckDBPyConnection,
    table: str,
    branches: Sequence[Branch],
    without_rows: Collection[str] = (),
) -> None:
    """Insert every branch's rows into ``table``; a failing rule is named in the error.
    The rules named in ``without_rows`` cannot return a row here (asn_sql/engine/gates.py):
    their columns are checked, their SQL is left out of the insert."""
    if not branches:
        return
    columns = _table_columns(con, table)
    required = _required_columns(con, table)
    running = []
    for branch in branches:
        if branch.rule.user:
            check_one_select(branch.sql, branch.rule.path)
        produced = set(_rule_columns(con, branch))
        _check_contract(branch, produced, {name for name, _ in columns}, required)
        if branch.rule.name not in without_rows:
            running.append((branch, produced))
    if not running:
        return
    branches = [branch for branch, _ in running]
    parts, params = [], {}
    for n, (branch, produced) in enumerate(running):
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
            except duckdb.TransactionException:
                # The insert failed while running (a constraint), which aborts the
                # transaction: no branch can be tried alone any more.
                break
            except duckdb.Error as inner:
                raise _rule_error(inner, branches[n].rule) from None
        raise RuleError(
            f"the rules of {table} failed together: {with_hint(first_line(exc), exc)}"
        ) from None


def rules_present(
    con: duckdb.DuckDBPyConnection, table: str, science: str = "role = 'science'"
) -> dict[str, bool]:
    """The rules with a row in ``table``, each with whether one of its rows is a science
    row (the SQL test ``science``). The passes after the eligible rows are rendered for
    these rules alone: every row they make carries its rule's name, so a rule without
    rows adds nothing to them but SQL to plan."""
    rows = con.execute(f"select rule, bool_or({science}) from {table} group by rule").fetchall()
    return {rule: bool(science) for rule, science in rows}


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str | None]]:
    # Remembered with the rendered SQL: sql/engine/level<N>_eligible.sql fixes them.
    def read() -> str:
        rows = con.execute(
            "select column_name, column_default from information_schema.columns "
            "where table_catalog = 'temp' and table_name = $table order by ordinal_position",
            {"table": table},
        ).fetchall()
        return json.dumps(rows)

    return [(name, default) for name, default in json.loads(cached(("columns", table), read))]


def _rule_columns(con: duckdb.DuckDBPyConnection, branch: Branch) -> list[str]:
    """The columns the rule's SQL returns (remembered with the rendered SQL)."""

    def describe() -> str:
        try:
            cursor = con.execute(f"select * from (\n{branch.sql}\n) limit 0")
        except duckdb.Error as exc:
            raise _rule_error(exc, branch.rule) from None
        return json.dumps([column[0] for column in cursor.description])

    return json.loads(cached(("eligible columns", branch.sql), describe))


def _required_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Columns a rule must return: NOT NULL, no default (the engine's constants aside)."""

    def read() -> str:
        rows = con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = 'temp' and table_name = $table "
            "and is_nullable = 'NO' and column_default is null",
            {"table": table},
        ).fetchall()
        return json.dumps(sorted(name for (name,) in rows))

    return set(json.loads(cached(("required columns", table), read)))


def _check_contract(
    branch: Branch, produced: set[str], known: set[str], required: set[str]
) -> None:
    """A rule returns only the contract's columns, and every one it must (sql/rules/README.md)."""
    rule = branch.rule
    unknown = sorted(produced - known - set(branch.constants))
    if unknown:
        raise RuleError(
            f"returns column {unknown[0]}, which is not in the contract of its level "
            "(sql/rules/README.md)",
            path=rule.path,
            line=line_mentioning(rule.path, unknown),
        )
    missing = sorted(required - produced - set(branch.constants))
    if missing:
        raise RuleError(
            f"returns no {', '.join(missing)} column (the contract, sql/rules/README.md, needs it)",
            path=rule.path,
            line=line_mentioning(rule.path, ["select"]),
        )


_QUOTED = re.compile(r'"([^"]+)"')


def _rule_error(exc: duckdb.Error, rule: Rule) -> RuleError:
    """DuckDB's error on a rule's SQL, pointed at the file line naming what it quotes."""
    message = with_hint(first_line(exc), exc)
    return RuleError(
        message, path=rule.path, line=line_mentioning(rule.path, _QUOTED.findall(message))
    )


def _own(params: dict[str, object], n: int) -> dict[str, object]:
    return {key: value for key, value in params.items() if key.endswith(f"_{n}")}
