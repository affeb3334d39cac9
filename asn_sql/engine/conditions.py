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
    # condition_words reads rule files with this module's selects: imported here.
    from asn_sql.engine.condition_words import words, written_conditions

    parts, params = [], {}
    for rule in rules:
        found = selects(render_rule(rule))
        shape = [len(conditions) for _, _, conditions in found]
        written = written_conditions(rule)
        for select_index, (source, alias, conditions) in enumerate(found):
            n = len(parts)
            parts.append(_failures_sql(source, alias, conditions, n))
            # The orphans' reasons name the condition as explain does: in words where
            # the rule file has them (a macro's comment), else its SQL, cut short.
            texts = [
                _cut(words(rule, select_index, i, c, alias, shape, written))
                for i, c in enumerate(conditions)
            ]
            params |= {
                f"level_{n}": rule.level,
                f"rule_{n}": rule.name,
                f"rank_{n}": rank(rule),
                f"texts_{n}": texts,
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


def record_condition_failures(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    """Fill temp table `condition_failures` for every row of every scope: per rule and
    SELECT of it, the first condition the row fails there (its index from 0); rows that
    pass every condition of a SELECT have no row. One statement for all rules."""
    con.execute(
        "create or replace temp table condition_failures (row_no integer, scope_id integer, "
        "rule varchar, select_no integer, condition_no integer)"
    )
    parts, params = [], {}
    for rule in rules:
        for select_no, (source, alias, conditions) in enumerate(selects(render_rule(rule))):
            n = len(parts)
            parts.append(_scope_failures_sql(source, alias, conditions, n))
            params |= {f"rule_{n}": rule.name, f"select_{n}": select_no, f"n_{n}": len(conditions)}
    if not parts:
        return
    try:
        db.execute_script(
            con, "insert into condition_failures\n" + "\nunion all\n".join(parts), params
        )
    except duckdb.Error:
        # Some select's conditions need more than scope_exposures: try them one by one.
        for part in parts:
            try:
                db.execute_script(con, "insert into condition_failures\n" + part, params)
            except duckdb.Error:
                continue


def _scope_failures_sql(source: str, alias: str, conditions: list[str], n: int) -> str:
    tests = ", ".join(f"coalesce(({c}), false)" for c in conditions) or "true"
    return f"""
        select row_no, scope_id, $rule_{n}, $select_{n}, failed - 1
        from (
            select distinct {alias}.row_no, {alias}.scope_id,
                   list_position([{tests}], false) as failed
            from {source}
        )
        where failed is not null and failed > 0 and $n_{n} > 0
    """


# A condition longer than this is cut in a reason (the rule file has it whole).
_SHOWN = 160


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + " ..."


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
