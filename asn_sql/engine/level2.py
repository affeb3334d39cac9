"""Level 2: each rule's eligible exposures, then associations for every rule at once.

A Level 2 rule file returns the exposures it may use, which of them found an
association (science) and the keys members share (sql/rules/README.md);
sql/engine/level2.sql builds one association per science exposure, or groups
split per science exposure (nods), and finishes them as jwst's Level 2
finalize does: candidate validity, imprint pruning, WFSS catalogs, names.
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
from asn_sql.progress import Progress
from asn_sql.templates import render_sql

SHAPES = ("single", "science", "group", "replayed")
OVERLAPS = ("fs", "mos", "none")
WFSS_MODES = ("closest", "parallel")


@dataclass(frozen=True)
class Level2Spec:
    """What the engine needs to know of one rule beyond its eligible rows."""

    name: str
    shape: str
    compatible: str | None
    overlap: str | None
    coron_counts: bool
    any_candidate: bool
    wfss: str | None
    prune_imprints: bool
    unmatched: tuple[str, ...] = ()


def level2_spec(rule: Rule) -> Level2Spec:
    """Read a Level 2 rule's header settings and its optional compatible(s, b) macro."""
    shape = _choice(rule, "shape", SHAPES, required=True)
    overlap = _choice(rule, "overlap", OVERLAPS, default="none" if shape == "group" else None)
    return Level2Spec(
        name=rule.name,
        shape=shape or "science",
        compatible=rule_macro(rule, "compatible", "se", "be"),
        overlap=overlap,
        coron_counts=rule.setting("coron_suffix", "yes") == "yes",
        any_candidate=rule.setting("any_candidate", "no") == "yes",
        wfss=_choice(rule, "wfss", WFSS_MODES),
        prune_imprints=rule.setting("prune_imprints", "no") == "yes",
        unmatched=tuple(r.strip() for r in rule.setting("unmatched", "").split(",") if r.strip()),
    )


def _choice(
    rule: Rule,
    key: str,
    allowed: tuple[str, ...],
    *,
    default: str | None = None,
    required: bool = False,
) -> str | None:
    value = rule.setting(key, "")
    if not value:
        if required:
            raise RuleError(f"the header lacks {key}: ({' | '.join(allowed)})", path=rule.path)
        return default
    if value not in allowed:
        raise RuleError(f"{key} must be one of {', '.join(allowed)}, not {value!r}", path=rule.path)
    return value


def run_level2(
    con: duckdb.DuckDBPyConnection,
    rules: list[Rule],
    progress: Progress | None = None,
    finalize: bool = True,
    checking: bool = False,
    without_rows: Collection[str] = (),
) -> None:
    """Fill rule_matches with the Level 2 associations of the current scopes; with
    ``finalize`` false, as jwst leaves them unfinalized (no pruning, splits or catalogs).
    ``checking`` plans every pass of every rule given, rows or none (`rules --check`).
    The rules of ``without_rows`` return no row here and are not run."""
    specs = [level2_spec(rule) for rule in rules]
    db.execute_script(con, render_sql("engine/level2_eligible.sql"))
    branches = [
        Branch(
            rule,
            render_rule(rule),
            {
                "rule": rule.name,
                "asn_type": rule.asn_type,
                "rule_rank": rank(rule),
                "shape": spec.shape,
            },
        )
        for rule, spec in zip(rules, specs, strict=True)
    ]
    insert_eligible(con, "l2_eligible", branches, without_rows)
    # Finalized, a rule makes associations only around a science row (but a replayed
    # one, whose associations may hold none): the others' rows find no partner below.
    present = rules_present(con, "l2_eligible", science="is_science")
    specs = [
        spec
        for spec in specs
        if checking
        or (
            spec.name in present
            and (present[spec.name] or spec.shape == "replayed" or not finalize)
        )
    ]
    if not specs:
        return  # no association to make, and nothing else reads the passes' tables
    partners = checking or _has_partners(con)
    try:
        db.execute_script(
            con,
            render_sql("engine/level2.sql", rules=specs, finalize=finalize, partners=partners),
            every_pass=checking,
        )
    except duckdb.Error as exc:
        raise RuleError(f"Level 2 grouping failed: {with_hint(first_line(exc), exc)}") from None


def _has_partners(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a rule of shape `science` has, in one scope, a science row and another row
    that may join its association: without one, sql/engine/level2.sql leaves out the
    pairs and the passes that read them (they would find no row)."""
    row = con.execute(
        "select exists (select 1 from l2_eligible where shape = 'science' "
        "group by rule, scope_id having bool_or(is_science) and bool_or(not is_science))"
    ).fetchone()
    return bool(row and row[0])
