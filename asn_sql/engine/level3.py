"""Level 3: each rule's eligible exposures, then associations for every rule at once.

A Level 3 rule file returns the exposures it may use with the keys they share
(sql/rules/README.md); sql/engine/level3.sql groups them as jwst's row-by-row
pass does, attaches target acquisitions, checks validity and names products
for all rules in a handful of statements.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from asn_sql import db
from asn_sql.engine.eligible import Branch, insert_eligible, rules_present
from asn_sql.engine.rules import Rule, rank, render_rule, rule_macro
from asn_sql.engine.user_sql import with_hint
from asn_sql.errors import RuleError, first_line
from asn_sql.templates import render_sql

LATE_JOIN_MODES = ("always", "never", "unless_direct_image")
# Which target test the rule makes: jwst's Constraint_Target (an exposure of a
# direct_image candidate names the association t000) or the rule's own test on
# its science exposures (AMI, coronagraphy: a direct_image candidate changes nothing).
TARGET_TESTS = ("candidate", "science")
# The keys a rule may test a target acquisition on (its target and optical path
# tests, rules_level3_base.py Constraint_Target and Constraint_Optical_Path).
ACQ_KEYS = ("k_target", "k_filter", "k_opt2", "k_slit", "k_subarray")


@dataclass(frozen=True)
class GroupingSpec:
    """What the engine needs to know of one rule beyond its eligible rows."""

    name: str
    late_join: str
    product_name: str
    is_valid: str
    nod_backgrounds: bool
    acq_keys: tuple[str, ...]
    direct_image_target: bool


def grouping_spec(rule: Rule) -> GroupingSpec:
    """The rule's late-join mode, product-name and validity expressions over summary ``g``."""
    late_join = rule.setting("late_join", "unless_direct_image")
    if late_join not in LATE_JOIN_MODES:
        raise RuleError(f"late_join must be one of {', '.join(LATE_JOIN_MODES)}", path=rule.path)
    product_name = rule_macro(rule, "product_name", "g")
    if product_name is None:
        raise RuleError("a Level 3 rule defines a product_name(g) macro", path=rule.path)
    is_valid = rule_macro(rule, "is_valid", "g") or "g.observations_ok"
    target_test = rule.setting("target", "candidate")
    if target_test not in TARGET_TESTS:
        raise RuleError(f"target must be one of {', '.join(TARGET_TESTS)}", path=rule.path)
    acq_keys = tuple(k.strip() for k in rule.setting("acq_keys", "").split(",") if k.strip())
    unknown = [k for k in acq_keys if k not in ACQ_KEYS]
    if unknown or len(set(acq_keys)) != len(acq_keys):
        raise RuleError(
            f"acq_keys lists each of {', '.join(ACQ_KEYS)} at most once, not {', '.join(acq_keys)}",
            path=rule.path,
        )
    return GroupingSpec(
        name=rule.name,
        late_join=late_join,
        product_name=product_name,
        is_valid=is_valid,
        nod_backgrounds=rule.setting("nod_backgrounds", "no") == "yes",
        acq_keys=acq_keys,
        direct_image_target=target_test == "candidate",
    )


def run_level3(
    con: duckdb.DuckDBPyConnection,
    rules: list[Rule],
    progress=None,
    finalize: bool = True,
    checking: bool = False,
    without_rows: Collection[str] = (),
) -> None:
    """Fill rule_matches with the Level 3 associations of the current scopes; with
    ``finalize`` false, invalid ones stay and no nod backgrounds are added.
    ``checking`` plans every pass of every rule given, rows or none (`rules --check`).
    The rules of ``without_rows`` return no row here and are not run."""
    db.execute_script(con, render_sql("engine/level3_eligible.sql"))
    branches = [
        Branch(
            rule,
            render_rule(rule),
            {"rule": rule.name, "asn_type": rule.asn_type, "rule_rank": rank(rule)},
        )
        for rule in rules
    ]
    insert_eligible(con, "l3_eligible", branches, without_rows)
    present = rules_present(con, "l3_eligible")
    specs = [spec for spec in map(grouping_spec, rules) if checking or spec.name in present]
    if not specs:
        return  # no eligible row: no association, and nothing else reads the passes' tables
    try:
        db.execute_script(
            con,
            render_sql(
                "engine/level3.sql",
                rules=specs,
                finalize=finalize,
                acquisitions=checking or _has_acquisitions(con),
                acquiring=None if checking else _acquiring(con),
            ),
            every_pass=checking,
        )
    except duckdb.Error as exc:
        raise RuleError(f"grouping failed: {with_hint(first_line(exc), exc)}") from None


def _acquiring(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The rules a target acquisition can be offered to: one of their eligible rows shares
    its scope, program, instrument and observation (sql/engine/level3.sql's test, which
    finds no acquisition for the others: their part of it is not planned)."""
    rows = con.execute(
        """
        select distinct l.rule
        from l3_eligible as l
        join scope_exposures as e on e.scope_id = l.scope_id and e.row_no = l.row_no
        join scope_exposures as t
          on t.scope_id = l.scope_id and t.program = l.k_program and t.instrume = l.k_instrume
         and t.obs_num = e.obs_num
        where t.dms_role = 'target_acquisition'
        order by l.rule
        """
    ).fetchall()
    return [rule for (rule,) in rows]


def _has_acquisitions(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any scope holds a target acquisition: without one, the pass has none to
    offer and is rendered without their part."""
    row = con.execute(
        "select exists (select 1 from scope_exposures where dms_role = 'target_acquisition')"
    ).fetchone()
    return bool(row and row[0])
