"""A rule's filter conditions, one by one: which one an exposure fails first.

A rule's SQL is split at the top-level ANDs of each WHERE over
scope_exposures (the rule files keep to that form), so each condition can be
tested alone. `asnsql explain` and the orphans' reasons use it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import duckdb

from asn_sql.engine.rules import Rule, rank, render_rule
from asn_sql.errors import RuleError, first_line
from asn_sql.templates import cached, recalled, remember

_TOKENS = re.compile(
    r"'(?:[^']|'')*'|--[^\n]*|\(|\)|\bunion\s+all\b|\bwhere\b|\band\b|\bbetween\b|\bgroup\s+by\b"
    r"|\bqualify\b|\border\s+by\b|\bdistinct\s+from\b|\bfrom\b",
    re.I,
)
_SOURCE = re.compile(r"\s*scope_exposures\s+(?:as\s+)?([a-z_][a-z0-9_]*)\s+", re.I)


def record_first_failures(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    """Fill temp table `first_failures` for the rows of temp table `orphan_rows`: per
    rule, the first condition each row fails and how many it passed before it (the
    most over the row's scopes), from temp table `condition_failures`
    (:func:`record_condition_failures`, which must have run over these rules)."""
    con.execute(
        "create or replace temp table first_failures (pool_id integer, row_no integer, "
        "level integer, rule varchar, rule_rank integer, passed integer, condition varchar)"
    )
    # condition_words reads rule files with this module's selects: imported here.
    from asn_sql.engine.condition_words import words, written_conditions

    names, numbers, levels, ranks, texts = [], [], [], [], []
    for rule in rules:
        found = selects(render_rule(rule))
        shape = [len(conditions) for _, _, conditions in found]
        written = written_conditions(rule)
        for select_index, (_, alias, conditions) in enumerate(found):
            names.append(rule.name)
            numbers.append(select_index)
            levels.append(rule.level)
            ranks.append(rank(rule))
            # The orphans' reasons name the condition as explain did: in words where
            # the rule file has them (a macro's comment), else its SQL, cut short.
            texts.append(
                [
                    _cut(words(rule, select_index, i, c, alias, shape, written))
                    for i, c in enumerate(conditions)
                ]
            )
    if not names:
        return
    con.execute(
        """
        insert into first_failures
        with selects as (
            select unnest($names) as rule, unnest($numbers) as select_no,
                   unnest($levels) as level, unnest($ranks) as rule_rank,
                   unnest($texts) as texts
        ),
        passed as (
            select s.pool_id, c.row_no, c.rule, c.select_no, max(c.condition_no) as passed,
                   any_value(c.n_conditions) as n
            from condition_failures as c
            join scopes as s using (scope_id)
            semi join orphan_rows as o using (pool_id, row_no)
            group by all
        )
        select p.pool_id, p.row_no, s.level, p.rule, s.rule_rank, p.passed,
               list_extract(s.texts, p.passed + 1)
        from passed as p
        join selects as s using (rule, select_no)
        where p.passed < p.n
        """,
        {"names": names, "numbers": numbers, "levels": levels, "ranks": ranks, "texts": texts},
    )


def record_condition_failures(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    """Fill temp table `condition_failures` for every row of every scope: per rule and
    SELECT of it, the first condition the row fails there (its index from 0), or
    ``n_conditions`` when it passes them all. One statement for all rules, as planning
    dominates; the orphans' reasons and explain's verdicts both read it."""
    con.execute(
        "create or replace temp table condition_failures (row_no integer, scope_id integer, "
        "rule varchar, select_no integer, condition_no integer, n_conditions integer)"
    )
    found = [
        (rule.name, select_no, source, alias, conditions)
        for rule in rules
        for select_no, (source, alias, conditions) in enumerate(selects(render_rule(rule)))
    ]
    if not found:
        return
    if _insert_if_it_binds(con, *_shared_failures_sql(found)):
        return
    # Some select's conditions need more than its source (a CTE, an outer column): one
    # part per select, and a part that cannot stand alone is left out (its rule is then
    # never gated, and explain has no verdict for that select).
    for name, select_no, source, alias, conditions in found:
        params = {"rule_0": name, "select_0": select_no, "n_0": len(conditions)}
        _insert_if_it_binds(con, _scope_failures_sql(source, alias, conditions, 0), params)


def _insert_if_it_binds(
    con: duckdb.DuckDBPyConnection, select: str, params: dict[str, object]
) -> bool:
    """Insert ``select``'s rows into condition_failures; False, with nothing done, when it
    does not bind. Bound as a relation first: inside a transaction any failed statement
    aborts it, while a relation that fails to bind leaves it usable. That it binds is
    remembered with the SQL and the columns of scope_exposures, which decide it: the
    next run plans it once, not twice.

    Raises RuleError when the conditions fail on the rows themselves (a cast that a
    value defeats): the transaction is then lost, as it is when a rule fails."""
    # every parameter given is named in ``select`` (both callers make them so)
    binds = ("binds", _code_digest(), duckdb.__version__, _source_columns(con), select)
    try:
        if recalled(binds) == "true":
            con.execute("insert into condition_failures\n" + select, params)
            return True
        try:
            relation = con.sql(select, params=params)
        except duckdb.Error:
            return False
        relation.insert_into("condition_failures")
    except duckdb.Error as exc:
        raise RuleError(
            f"a rule's conditions failed on the pool's rows: {first_line(exc)}"
        ) from None
    remember(binds, "true")
    return True


def _source_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The columns of scope_exposures with their types (the pool's columns shape them)."""
    described = con.execute("select * from scope_exposures limit 0").description
    return [(str(column[0]), str(column[1])) for column in described]


def _shared_failures_sql(
    found: list[tuple[str, int, str, str, list[str]]],
) -> tuple[str, dict[str, object]]:
    """The insert of every select's first failed condition, each distinct condition
    evaluated once per row of its source: a list of the row's results, from which each
    select picks its own by index. Rules repeat conditions (program set, a mode), and
    planning pays per character: the SQL holds each condition once, the selects are data."""
    by_source: dict[tuple[str, str], list[tuple[str, int, list[str]]]] = {}
    for name, select_no, source, alias, conditions in found:
        by_source.setdefault((source, alias), []).append((name, select_no, conditions))
    parts, params = [], {}
    for g, ((source, alias), members) in enumerate(by_source.items()):
        distinct = list(dict.fromkeys(c for _, _, conditions in members for c in conditions))
        index = {c: i + 1 for i, c in enumerate(distinct)}
        tests = ", ".join(f"coalesce(({c}), false)" for c in distinct) or "true"
        params |= {
            f"rules_{g}": [name for name, _, _ in members],
            f"selects_{g}": [select_no for _, select_no, _ in members],
            f"picks_{g}": [[index[c] for c in conditions] for _, _, conditions in members],
        }
        parts.append(f"""
        select distinct t.row_no, t.scope_id, s.rule, s.select_no,
               coalesce(nullif(list_position(list_select(t.passed, s.picks), false), 0),
                        len(s.picks) + 1) - 1,
               len(s.picks)
        from (
            select {alias}.row_no, {alias}.scope_id, [{tests}] as passed
            from {source}
        ) as t,
        (
            select unnest($rules_{g}) as rule, unnest($selects_{g}) as select_no,
                   unnest($picks_{g}) as picks
        ) as s
        """)
    return "\nunion all\n".join(parts), params


def _scope_failures_sql(source: str, alias: str, conditions: list[str], n: int) -> str:
    tests = ", ".join(f"coalesce(({c}), false)" for c in conditions) or "true"
    return f"""
        select distinct {alias}.row_no, {alias}.scope_id, $rule_{n}, $select_{n},
               coalesce(nullif(list_position([{tests}], false), 0), $n_{n} + 1) - 1, $n_{n}
        from {source}
    """


# A condition longer than this is cut in a reason (the rule file has it whole).
_SHOWN = 160


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + " ..."


def selects(sql: str) -> list[tuple[str, str, list[str]]]:
    """(from clause, alias, where conditions) of every SELECT that reads scope_exposures
    straight from its FROM, at any depth (a rule's main SELECT or one of its CTEs).
    Remembered with the rendered SQL: a run reads each rule's several times."""
    return [(source, alias, list(conditions)) for source, alias, conditions in _found(sql)]


@cache
def _found(sql: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    found = json.loads(cached(("selects", _code_digest(), sql), lambda: json.dumps(_selects(sql))))
    return tuple((source, alias, tuple(conditions)) for source, alias, conditions in found)


@cache
def _code_digest() -> str:
    """This file's digest: the remembered selects follow the reading that found them."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _selects(sql: str) -> list[tuple[str, str, list[str]]]:
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
