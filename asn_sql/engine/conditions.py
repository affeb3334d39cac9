"""A rule's filter conditions, one by one: which one an exposure fails first.

A rule's SQL is split at the top-level ANDs of each WHERE over
scope_exposures (the rule files keep to that form), so each condition can be
tested alone. `asnsql explain` and the orphans' reasons use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import duckdb

from asn_sql import db
from asn_sql.engine.rules import Rule, rank, render_rule

_TOKENS = re.compile(
    r"'(?:[^']|'')*'|--[^\n]*|\(|\)|\bunion\s+all\b|\bwhere\b|\band\b|\bbetween\b|\bgroup\s+by\b"
    r"|\bqualify\b|\border\s+by\b|\bdistinct\s+from\b|\bfrom\b",
    re.I,
)
_SOURCE = re.compile(r"\s*scope_exposures\s+(?:as\s+)?([a-z_][a-z0-9_]*)\s+", re.I)


def record_first_failures(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    """Fill temp table `first_failures` for the rows of temp table `orphan_rows`: per
    rule, the first condition each row fails and how many it passed before it (the
    most over the row's scopes). One statement for all rules, as planning dominates."""
    con.execute(
        "create or replace temp table first_failures (row_no integer, level integer, "
        "rule varchar, rule_rank integer, passed integer, condition varchar)"
    )
    parts, params = [], {}
    for rule in rules:
        for source, alias, conditions in selects(render_rule(rule)):
            n = len(parts)
            parts.append(_failures_sql(source, alias, conditions, n))
            params |= {
                f"level_{n}": rule.level,
                f"rule_{n}": rule.name,
                f"rank_{n}": rank(rule),
                f"texts_{n}": [" ".join(c.split()) for c in conditions],
                f"n_{n}": len(conditions),
            }
    if not parts:
        return
    try:
        db.execute_script(con, "insert into first_failures\n" + "\nunion all\n".join(parts), params)
    except duckdb.Error:
        # Some select's conditions need more than scope_exposures: try them one by one.
        for part in parts:
            try:
                db.execute_script(con, "insert into first_failures\n" + part, params)
            except duckdb.Error:
                continue


def _failures_sql(source: str, alias: str, conditions: list[str], n: int) -> str:
    tests = ", ".join(f"coalesce(({c}), false)" for c in conditions)
    return f"""
        select row_no, $level_{n}, $rule_{n}, $rank_{n}, passed,
               list_extract($texts_{n}, passed + 1)
        from (
            select {alias}.row_no,
                   max(coalesce(nullif(list_position([{tests}], false), 0), $n_{n} + 1) - 1)
                       as passed
            from {source}
            where {alias}.row_no in (select row_no from orphan_rows)
            group by all
        )
        where passed < $n_{n}
    """


def selects(sql: str) -> list[tuple[str, str, list[str]]]:
    """(from clause, alias, where conditions) of every SELECT that reads scope_exposures
    straight from its FROM, at any depth (a rule's main SELECT or one of its CTEs)."""
    tokens = list(_scan(sql))
    found = []
    for index, (_, end, token, depth) in enumerate(tokens):
        if token != "from":
            continue
        source_match = _SOURCE.match(sql, end)  # the table right after this FROM
        if source_match is None or source_match.group(1).lower() == "where":
            continue
        clause = _where_clause(sql, tokens[index + 1 :], depth)
        if clause is None:
            continue
        where_end, clause_end = clause
        conditions = [c.strip() for c in _split_top(sql[where_end:clause_end], "and") if c.strip()]
        found.append((sql[end : where_end - len("where")], source_match.group(1), conditions))
    return found


def _where_clause(
    sql: str, tokens: list[tuple[int, int, str, int]], depth: int
) -> tuple[int, int] | None:
    """Where this SELECT's WHERE conditions start and end, or None if it has none."""
    where_end = None
    for start, end, token, level in tokens:
        closes = token == ")" and level < depth
        if where_end is None:
            if closes or (level == depth and token in ("from", "union all", "group by")):
                return None
            if level == depth and token == "where":
                where_end = end
        elif closes or (level == depth and token in _CLAUSE_ENDS):
            return where_end, start
    return (where_end, len(sql)) if where_end is not None else None


_CLAUSE_ENDS = ("union all", "group by", "qualify", "order by", "from")


def _scan(sql: str) -> Iterator[tuple[int, int, str, int]]:
    """Yield (position, lowered token, depth) of the tokens that matter at each depth."""
    depth = 0
    for match in _TOKENS.finditer(sql):
        token = re.sub(r"\s+", " ", match.group(0).lower())
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            yield match.start(), match.end(), token, depth
        elif not token.startswith(("'", "--")):
            yield match.start(), match.end(), token, depth


def _find_top(sql: str, word: str) -> int | None:
    positions = [start for start, _, token, depth in _scan(sql) if token == word and depth == 0]
    return (
        positions[-1]
        if word in ("where", "from") and positions
        else (positions[0] if positions else None)
    )


def _split_top(sql: str, word: str) -> list[str]:
    pieces, start, pending_between = [], 0, False
    for at, end, token, depth in _scan(sql):
        if depth != 0:
            continue
        if token == "between":
            pending_between = True
        elif token == word:
            if word == "and" and pending_between:
                pending_between = False
                continue
            pieces.append(sql[start:at])
            start = end
    pieces.append(sql[start:])
    return pieces


def split_conditions(sql: str) -> list[str]:
    """The top-level AND-ed conditions of a boolean SQL expression."""
    return _split_top(sql, "and")
