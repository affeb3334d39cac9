"""Which rules cannot return a row for the scopes at hand, so that their SQL is not planned.

A run plans every rule's SQL once; on a small pool most rules take none of its
few exposure types, and planning them costs more than all the rest. A rule is
*gated* when its SQL, read by DuckDB's own parser, can only return rows that
come from a row of scope_exposures passing all the conditions of one of its
SELECTs over scope_exposures (the selects of asn_sql/engine/conditions.py, whose
conditions condition_failures evaluates for every row anyway): every row it
returns is built, through CTEs, subqueries, inner joins and unions, from such
a SELECT, and nothing in between makes a row from nothing (an aggregate
without GROUP BY, a table function, a VALUES list, a right or full join). When
no row passes any of a gated rule's selects, the rule returns no row, and its
SQL is left out of the level's insert. Anything the reading does not know
keeps the rule in: a rule is skipped only when that is certain.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from asn_sql.engine.conditions import selects
from asn_sql.engine.rules import Rule, render_rule
from asn_sql.templates import cached

_SOURCE = "scope_exposures"
# Expression fields that say where text stood, not what it means.
_PLACES = ("query_location", "query_location_length")


def gated(con: duckdb.DuckDBPyConnection, rule: Rule) -> bool:
    """Whether ``rule`` returns no row when no row passes all the conditions of one of
    its selects over scope_exposures (remembered with the rendered SQL)."""
    sql = render_rule(rule)
    key = ("gated", _code_digest(), duckdb.__version__, sql)
    return cached(key, lambda: json.dumps(_gated(con, sql))) == "true"


@cache
def _code_digest() -> str:
    """This file's digest: the remembered answers follow the reading that gave them."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def rules_without_rows(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> set[str]:
    """The gated rules none of whose selects any row of any scope passes, read from temp
    table condition_failures (asn_sql/engine/conditions.py), which must hold every select
    of these rules."""
    passing = {
        (rule, select_no)
        for rule, select_no in con.execute(
            "select distinct rule, select_no from condition_failures "
            "where condition_no = n_conditions"
        ).fetchall()
    }
    evaluated = {
        (rule, select_no)
        for rule, select_no in con.execute(
            "select distinct rule, select_no from condition_failures"
        ).fetchall()
    }
    empty = set()
    for rule in rules:
        count = len(selects(render_rule(rule)))
        numbers = [(rule.name, n) for n in range(count)]
        if not gated(con, rule):
            continue
        # a select condition_failures could not evaluate leaves its rule in; an empty
        # scope_exposures evaluates none, and then no select has a row
        if any(key not in evaluated for key in numbers) and _has_scope_rows(con):
            continue
        if not any(key in passing for key in numbers):
            empty.add(rule.name)
    return empty


def _has_scope_rows(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(f"select exists (select 1 from {_SOURCE})").fetchone()
    return bool(row and row[0])


def _gated(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    tree = _parse(con, sql)
    statements = tree.get("statements") if tree and not tree.get("error") else None
    if not statements or len(statements) != 1:
        return False
    found = selects(sql)
    if not found or _names_a_cte_like_the_source(statements[0]):
        return False
    # The selects the text finds must be exactly the gated SELECTs of the tree, with
    # the same conditions: otherwise condition_failures says nothing sure of them.
    sources = []
    _gated_selects(statements[0]["node"], sources)
    texts = []
    for _, alias, conditions in found:
        parsed = [_expression(con, condition) for condition in conditions]
        if any(p is None for p in parsed):
            return False
        atoms = [atom for p in parsed for atom in _conjuncts(p)]
        texts.append(_canonical([alias.lower(), sorted(map(_canonical, atoms))]))
    if sorted(texts) != sorted(sources):
        return False
    aggregates = _aggregate_names(con)
    return _driven(statements[0]["node"], {}, aggregates, set())


def _names_a_cte_like_the_source(node: Any) -> bool:
    """Whether a CTE anywhere is named scope_exposures: the selects reading it then read
    the CTE, not what condition_failures evaluated."""
    if isinstance(node, dict):
        for entry in node.get("cte_map", {}).get("map", []) if "cte_map" in node else []:
            if str(entry.get("key", "")).lower() == _SOURCE:
                return True
        return any(_names_a_cte_like_the_source(value) for value in node.values())
    if isinstance(node, list):
        return any(_names_a_cte_like_the_source(value) for value in node)
    return False


def _expression(con: duckdb.DuckDBPyConnection, condition: str) -> Any | None:
    tree = _parse(con, f"select {condition}")
    try:
        node = tree["statements"][0]["node"]  # type: ignore[index]
        if node.get("from_table", {}).get("type") != "EMPTY" or len(node["select_list"]) != 1:
            return None
        return _without_places(node["select_list"][0])
    except (TypeError, KeyError, IndexError):
        return None


def _parse(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any] | None:
    """DuckDB's parse tree of ``sql`` (json_serialize_sql), None when it cannot give one."""
    try:
        row = con.execute("select json_serialize_sql($sql)", {"sql": sql}).fetchone()
        tree = json.loads(row[0]) if row else None
    except (duckdb.Error, TypeError, ValueError):
        return None
    return tree if isinstance(tree, dict) else None


def _gated_selects(node: Any, found: list[str]) -> None:
    """Every SELECT of the tree reading scope_exposures alone with a WHERE, as (alias,
    its top-level conditions), in canonical text."""
    if isinstance(node, dict):
        table = node.get("from_table")
        if (
            node.get("type") == "SELECT_NODE"
            and isinstance(table, dict)
            and _is_source(table)
            and node.get("where_clause")
        ):
            atoms = _conjuncts(_without_places(node["where_clause"]))
            alias = (table.get("alias") or table.get("table_name") or "").lower()
            found.append(_canonical([alias, sorted(map(_canonical, atoms))]))
        for value in node.values():
            _gated_selects(value, found)
    elif isinstance(node, list):
        for value in node:
            _gated_selects(value, found)


def _is_source(table: dict[str, Any]) -> bool:
    return (
        table.get("type") == "BASE_TABLE"
        and str(table.get("table_name", "")).lower() == _SOURCE
        and not table.get("schema_name")
        and not table.get("catalog_name")
    )


def _driven(
    node: dict[str, Any], ctes: dict[str, Any], aggregates: set[str], visiting: set[str]
) -> bool:
    """Whether every row of query ``node`` comes from a gated SELECT."""
    ctes = dict(ctes)
    for entry in node.get("cte_map", {}).get("map", []):
        ctes[str(entry["key"]).lower()] = entry["value"]["query_node"]
    kind = node.get("type")
    if kind == "SELECT_NODE":
        if _makes_rows_from_nothing(node, aggregates):
            return False
        table = node.get("from_table") or {}
        if _is_source(table):
            return bool(node.get("where_clause"))
        return _driven_table(table, ctes, aggregates, visiting)
    if kind == "SET_OPERATION_NODE":
        children = node.get("children") or [node.get("left"), node.get("right")]
        children = [child for child in children if child]
        setop = node.get("setop_type")
        if setop in ("UNION", "UNION_BY_NAME"):
            return all(_driven(child, ctes, aggregates, visiting) for child in children)
        if setop == "EXCEPT":
            return bool(children) and _driven(children[0], ctes, aggregates, visiting)
        if setop == "INTERSECT":
            return any(_driven(child, ctes, aggregates, visiting) for child in children)
        return False
    if kind == "RECURSIVE_CTE_NODE":
        # the recursion starts from the anchor's rows: none, and it makes none
        return _driven(node["left"], ctes, aggregates, visiting)
    return False


def _driven_table(
    table: dict[str, Any], ctes: dict[str, Any], aggregates: set[str], visiting: set[str]
) -> bool:
    kind = table.get("type")
    if kind == "BASE_TABLE":
        name = str(table.get("table_name", "")).lower()
        if table.get("schema_name") or table.get("catalog_name") or name not in ctes:
            return False  # scope_exposures without a WHERE, or another table
        if name in visiting:
            return False
        return _driven(ctes[name], ctes, aggregates, visiting | {name})
    if kind == "SUBQUERY":
        return _driven(table["subquery"]["node"], ctes, aggregates, visiting)
    if kind == "JOIN":
        left = _driven_table(table["left"], ctes, aggregates, visiting)
        join, ref = table.get("join_type"), table.get("ref_type")
        if join == "INNER" and ref in ("REGULAR", "CROSS", "NATURAL", "ASOF"):
            return left or _driven_table(table["right"], ctes, aggregates, visiting)
        if join in ("LEFT", "SEMI", "ANTI"):
            return left
        return False
    return False


def _makes_rows_from_nothing(node: dict[str, Any], aggregates: set[str]) -> bool:
    """An aggregate without GROUP BY returns a row from no row; so does a bare HAVING."""
    if node.get("group_expressions") or node.get("group_sets"):
        return False
    if node.get("having"):
        return True
    return _calls_aggregate(node.get("select_list"), aggregates) or _calls_aggregate(
        node.get("qualify"), aggregates
    )


def _calls_aggregate(expression: Any, aggregates: set[str]) -> bool:
    if isinstance(expression, list):
        return any(_calls_aggregate(e, aggregates) for e in expression)
    if not isinstance(expression, dict):
        return False
    if expression.get("class") == "WINDOW":
        return False  # over a window: one row per input row
    if expression.get("class") == "SUBQUERY":
        return False  # a subquery's own rows are not the select's
    if (
        expression.get("class") == "FUNCTION"
        and str(expression.get("function_name", "")).lower() in aggregates
    ):
        return True
    return any(_calls_aggregate(value, aggregates) for value in expression.values())


def _aggregate_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    def read() -> str:
        rows = con.execute(
            "select distinct lower(function_name) from duckdb_functions() "
            "where function_type = 'aggregate'"
        ).fetchall()
        return json.dumps(sorted(name for (name,) in rows))

    return set(json.loads(cached(("aggregate functions", duckdb.__version__), read)))


def _conjuncts(expression: Any) -> list[Any]:
    """The AND-ed parts of an expression, nested ANDs flattened: a row passes them all
    exactly when it passes the expression."""
    if isinstance(expression, dict) and expression.get("type") == "CONJUNCTION_AND":
        return [atom for child in expression["children"] for atom in _conjuncts(child)]
    return [expression]


def _without_places(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_places(v) for k, v in node.items() if k not in _PLACES}
    if isinstance(node, list):
        return [_without_places(v) for v in node]
    return node


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
