"""What a run stores for `asnsql explain`: its rules, their conditions in words, and per
exposure, rule and scope why the rule did not take the exposure (migration 0009)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import duckdb

from asn_sql import db
from asn_sql.engine import condition_words as words_module
from asn_sql.engine import conditions as conditions_module
from asn_sql.engine.condition_words import condition_columns, condition_words, written_conditions
from asn_sql.engine.conditions import selects
from asn_sql.engine.rules import Rule, rank, render_rule
from asn_sql.templates import cached, render_sql


def record_verdicts(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    """Store, for each run of temp table run_pools, the rules, their conditions and the
    verdicts of every exposure; needs the temp tables a pass decides with (scopes,
    l2/l3_eligible, found_associations) and condition_failures
    (asn_sql/engine/conditions.py, made for the orphans' reasons)."""
    conditions = [condition for rule in rules for condition in _conditions(rule)]
    con.execute(
        "insert into explain_rules select p.run_id, r.* from run_pools as p, (select "
        "unnest($levels), unnest($rules), unnest(range(len($rules))), unnest($ranks), "
        "unnest($any), unnest($constraints)) as r order by p.pool_no",
        {
            "levels": [rule.level for rule in rules],
            "rules": [rule.name for rule in rules],
            "ranks": [rank(rule) for rule in rules],
            "any": [rule.setting("any_candidate", "no") == "yes" for rule in rules],
            "constraints": ["; ".join(rule.constraints) for rule in rules],
        },
    )
    if conditions:
        con.execute(
            "insert into explain_conditions select p.run_id, c.* from run_pools as p, (select "
            "unnest($rules), unnest($selects), unnest($numbers), unnest($words), "
            "unnest($columns)) as c order by p.pool_no",
            {
                "rules": [c[0] for c in conditions],
                "selects": [c[1] for c in conditions],
                "numbers": [c[2] for c in conditions],
                "words": [c[3] for c in conditions],
                "columns": [c[4] for c in conditions],
            },
        )
    db.execute_script(con, render_sql("engine/explain_verdicts.sql"))


def _conditions(rule: Rule) -> list[tuple[str, int, int, str, list[str]]]:
    """The rule's conditions as explain stores them: (rule, select, condition, words,
    columns). Remembered with the rule's files: reading them in words takes a while."""

    def read() -> str:
        found = selects(render_rule(rule))
        shape = [len(c) for _, _, c in found]
        written = written_conditions(rule)
        conditions = []
        for select_no, (_, alias, texts) in enumerate(found):
            for condition_no, text in enumerate(texts):
                said = condition_words(rule, select_no, condition_no, text, alias, shape, written)
                columns = condition_columns(text, alias)
                conditions.append((rule.name, select_no, condition_no, said, columns))
        return json.dumps(conditions)

    key = ("explain conditions", _code_digest(), rule.name, rule.cache_key(), render_rule(rule))
    return [tuple(condition) for condition in json.loads(cached(key, read))]  # type: ignore[misc]


@cache
def _code_digest() -> str:
    """The digest of the code that reads conditions in words: remembered words follow it."""
    digest = hashlib.sha256()
    for module in (words_module, conditions_module):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()
