"""What a run stores for `asnsql explain`: its rules, their conditions in words, and per
exposure, rule and scope why the rule did not take the exposure (migration 0009)."""

from __future__ import annotations

import hashlib
import json

import duckdb

from asn_sql import db
from asn_sql.engine.condition_words import condition_columns, condition_words, written_conditions
from asn_sql.engine.conditions import code_digest, selects
from asn_sql.engine.rules import Rule, rank, render_rule
from asn_sql.templates import cached, render_sql


def record_verdicts(con: duckdb.DuckDBPyConnection, rules: list[Rule], run_id: int) -> None:
    """Store the run's rules, their conditions and the verdicts of every exposure; needs
    the temp tables a run decides with (scopes, l2/l3_eligible, found_associations) and
    condition_failures (asn_sql/engine/conditions.py, made for the orphans' reasons)."""
    conditions = [
        (rule.name, select_no, condition_no, said, columns)
        for rule in rules
        for select_no, condition_no, said, columns in _conditions_in_words(rule)
    ]
    con.execute(
        "insert into explain_rules select $run, unnest($levels), unnest($rules), "
        "unnest(range(len($rules))), unnest($ranks), unnest($any), unnest($constraints)",
        {
            "run": run_id,
            "levels": [rule.level for rule in rules],
            "rules": [rule.name for rule in rules],
            "ranks": [rank(rule) for rule in rules],
            "any": [rule.setting("any_candidate", "no") == "yes" for rule in rules],
            "constraints": ["; ".join(rule.constraints) for rule in rules],
        },
    )
    if conditions:
        con.execute(
            "insert into explain_conditions select $run, unnest($rules), unnest($selects), "
            "unnest($numbers), unnest($words), unnest($columns)",
            {
                "run": run_id,
                "rules": [c[0] for c in conditions],
                "selects": [c[1] for c in conditions],
                "numbers": [c[2] for c in conditions],
                "words": [c[3] for c in conditions],
                "columns": [c[4] for c in conditions],
            },
        )
    db.execute_script(con, render_sql("engine/explain_verdicts.sql"), {"run_id": run_id})


def _conditions_in_words(rule: Rule) -> list[tuple[int, int, str, list[str]]]:
    """(select, condition, words, columns) of each condition of ``rule``: remembered by the
    digests of its rendered SQL and its file (asn_sql/templates.py), since reading them
    costs a run a few hundredths of a second and follows from those texts alone."""
    rendered = render_rule(rule)
    key = (
        "conditions in words",
        code_digest(),
        rule.name,
        hashlib.sha256(rendered.encode()).hexdigest(),
        hashlib.sha256(rule.path.read_bytes()).hexdigest(),
    )
    return [
        (select_no, condition_no, said, columns)
        for select_no, condition_no, said, columns in json.loads(
            cached(key, lambda: json.dumps(_read_conditions(rule, rendered)))
        )
    ]


def _read_conditions(rule: Rule, rendered: str) -> list[tuple[int, int, str, list[str]]]:
    found = selects(rendered)
    shape = [len(c) for _, _, c in found]
    written = written_conditions(rule)
    return [
        (
            select_no,
            condition_no,
            condition_words(rule, select_no, condition_no, text, alias, shape, written),
            condition_columns(text, alias),
        )
        for select_no, (_, alias, texts) in enumerate(found)
        for condition_no, text in enumerate(texts)
    ]
