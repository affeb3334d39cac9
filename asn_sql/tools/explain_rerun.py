"""`asnsql explain` for runs recorded before migration 0009: the run's work done again
(about 2.5 s of CPU on a big pool), its reasons worked out from the rules as they are now."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import duckdb

from asn_sql import sandbox
from asn_sql.engine.condition_words import condition_words
from asn_sql.engine.conditions import selects
from asn_sql.engine.rules import Rule, render_rule, rules_hash
from asn_sql.engine.run import GenerateOptions, decide_associations
from asn_sql.errors import UsageError
from asn_sql.templates import render_sql

# One result type for both ways of explaining (tools/explain.py reads what the run stored).
from asn_sql.tools.explain import Explanation, Verdict, memberships


def explain(
    db_path: Path,
    exposure: str,
    run_id: int | None = None,
    *,
    rules_dir: Path | None = None,
    ignore_default: bool = False,
) -> list[Explanation]:
    """Explain every exposure of the run's pool whose file has the root of ``exposure``.

    ``rules_dir``/``ignore_default`` give the rules the run was made with (generate's
    -r/--ignore-default); a warning says when they do not match the run's rules hash.
    Without them, the run's own (recorded by migration 0006): UsageError when its folder
    is gone or its rule files changed since."""
    con = sandbox.open_read_only(db_path)
    try:
        run_id, pool_id, options, run_hash = _run(con, run_id)
        from_run = rules_dir is None and not ignore_default and options.rules_dir is not None
        if from_run:
            assert options.rules_dir is not None
            if not options.rules_dir.is_dir():
                raise UsageError(
                    f"run {run_id} was made with the rules of {options.rules_dir}, which is "
                    "gone: give a rules folder",
                    settings=("rules_dir",),
                )
        else:
            options = replace(options, rules_dir=rules_dir, ignore_default=ignore_default)
        rows = con.execute(
            render_sql("explain/find_exposures.sql"), {"pool_id": pool_id, "name": exposure}
        ).fetchall()
        if not rows:
            raise UsageError(f"no exposure named like {exposure!r} in the pool of run {run_id}")
        rules, _, _ = decide_associations(con, [pool_id], options)
        warnings = []
        if rules_hash(rules) != run_hash and from_run:
            raise UsageError(
                f"the rule files of {options.rules_dir} changed since run {run_id}: "
                "give the rules folder to explain with them as they are now",
                settings=("rules_dir",),
            )
        if rules_hash(rules) != run_hash:
            warnings.append(
                f"run {run_id} was made with other rules than these (another rules folder, "
                "the default rules ignored or not, or edited rule files): give the rules "
                "options the run was generated with"
            )
        found = [_explain_row(con, run_id, row_no, filename, rules) for row_no, filename in rows]
        if found:
            found[0].warnings = warnings
        return found
    finally:
        con.close()


def _run(
    con: duckdb.DuckDBPyConnection, run_id: int | None
) -> tuple[int, int, GenerateOptions, str]:
    query = (
        "select run_id, pool_id, levels, mode, candidate_ids, finalized, rules_hash, "
        "rules_dir, ignore_default from runs"
    )
    row = (
        con.execute(query + " where run_id = $run", {"run": run_id}).fetchone()
        if run_id is not None
        else con.execute(query + " order by run_id desc limit 1").fetchone()
    )
    if row is None:
        raise UsageError(
            f"no run {run_id}" if run_id is not None else "no run yet; run asnsql generate first"
        )
    run, pool, levels, mode, ids, finalized, run_hash, rules_dir, ignore_default = row
    options = GenerateOptions(
        levels=tuple(levels),
        ids=tuple(ids) if ids else None,
        all_candidates=mode == "all-candidates",
        discover=mode == "discover",
        finalize=finalized,
        rules_dir=Path(rules_dir) if rules_dir is not None else None,
        ignore_default=bool(ignore_default),
    )
    return run, pool, options, run_hash


def _explain_row(
    con: duckdb.DuckDBPyConnection, run_id: int, row_no: int, filename: str, rules: list[Rule]
) -> Explanation:
    explanation = Explanation(run_id, filename, row_no)
    explanation.memberships = memberships(con, run_id, row_no)
    taken = {m.rule for m in explanation.memberships}
    # An unsafe FILENAME keeps the row out of every scope; the run stored why
    # (sql/engine/orphan_reasons.sql).
    unusable = con.execute(
        "select x.exp_type, r.reason from unusable_rows as u "
        "join orphan_reasons as r on r.run_id = $run and r.row_no = u.row_no "
        "join runs on runs.run_id = r.run_id "
        "join exposures as x on x.pool_id = runs.pool_id and x.row_no = u.row_no "
        "where u.row_no = $row",
        {"run": run_id, "row": row_no},
    ).fetchone()
    if unusable is not None:
        explanation.exp_type, explanation.left_out = unusable
        return explanation
    explanation.exp_type, typed = _rules_using_type(con, row_no)
    for rule in rules:
        if rule.name not in taken:
            explanation.verdicts.append(
                Verdict(rule.name, rule.level, _reason(con, rule, row_no), rule.name in typed)
            )
    return explanation


def _rules_using_type(con: duckdb.DuckDBPyConnection, row_no: int) -> tuple[str | None, set[str]]:
    """The exposure's exp_type and the rules that may use some exposure of that type in
    this run (or this very exposure), as the orphans' reasons count them."""
    row = con.execute(
        """
        with me as (select exp_type from scope_exposures where row_no = $row limit 1),
        eligible as (
            select rule, row_no from l2_eligible union all select rule, row_no from l3_eligible
        )
        select (select exp_type from me),
               list(distinct e.rule) filter (where e.row_no = $row
                    or x.exp_type is not distinct from (select exp_type from me))
        from eligible as e
        join (select distinct row_no, exp_type from scope_exposures) as x using (row_no)
        """,
        {"row": row_no},
    ).fetchone()
    if row is None:
        return None, set()
    return row[0], set(row[1] or [])


def _reason(con: duckdb.DuckDBPyConnection, rule: Rule, row_no: int) -> str:
    """The first thing that kept ``rule`` from taking the exposure."""
    eligible = con.execute(
        f"select list(distinct {_named('s')} order by {_named('s')}), "
        f"list(distinct e.role order by e.role) "
        f"from l{rule.level}_eligible as e join scopes as s using (scope_id) "
        f"where e.rule = $rule and e.row_no = $row",
        {"rule": rule.name, "row": row_no},
    ).fetchone()
    if eligible and eligible[0]:
        return _fate(con, rule, row_no, eligible[0], eligible[1])
    return first_failed_filter(con, rule, row_no) or "its filters reject it"


def _fate(
    con: duckdb.DuckDBPyConnection, rule: Rule, row_no: int, acids: list[str], roles: list[str]
) -> str:
    where = f"eligible as {'/'.join(roles)} in {', '.join(acids)}"
    fates = con.execute(
        f"""
        select distinct {_named("f")}, f.fate
        from found_associations as f
        join rule_matches as m
          on (m.level, m.rule, m.scope_id, m.group_key, m.split_index)
           = (f.level, f.rule, f.scope_id, f.group_key, f.split_index)
        where f.rule = $rule and m.row_no = $row and not f.kept
        order by f.acid
        """,
        {"rule": rule.name, "row": row_no},
    ).fetchall()
    if fates:
        return f"{where}, but its association was dropped: " + "; ".join(
            f"in {acid}, {fate}" for acid, fate in fates
        )
    if rule.level == 2 and rule.setting("any_candidate", "no") != "yes":
        kept_nowhere = [acid for acid in acids if not _keeps_level2(acid)]
        if kept_nowhere and len(kept_nowhere) == len(acids):
            return (
                f"{where}, but jwst keeps Level 2 associations only for observation candidates "
                "and for background candidates with a background member: none in "
                + ", ".join(kept_nowhere)
            )
    return (
        f"{where}, but none of its associations passed the rule's own checks "
        f"({'; '.join(rule.constraints)})"
    )


def _named(alias: str) -> str:
    """SQL naming a scope as explain does (asn_sql/tools/explain.py, scope_name)."""
    return (
        f"{alias}.acid || ' (' || case {alias}.ctype when 'unknown' then "
        f"'bare number in ASN_CANDIDATE, type unknown' else {alias}.ctype end || ')'"
    )


def _keeps_level2(scope: str) -> bool:
    """Whether a scope named ``acid (ctype)`` can keep a Level 2 association at all."""
    return scope.endswith("(observation)")


def first_failed_filter(con: duckdb.DuckDBPyConnection, rule: Rule, row_no: int) -> str | None:
    """The first of the rule's filter conditions the exposure fails, with its values.

    Each SELECT of the rule over scope_exposures is split at its top-level
    ANDs; the exposure is tested against each condition in order, in every
    scope it belongs to, and the condition that failed latest is reported.
    """
    best: tuple[int, str, str, str, int] | None = None
    found = selects(render_rule(rule))
    shape = [len(conditions) for _, _, conditions in found]
    for select_index, (source, alias, conditions) in enumerate(found):
        for index, text in _evaluate(con, source, alias, conditions, row_no):
            if best is None or index > best[0]:
                best = (index, text, source, alias, select_index)
    if best is None:
        return None
    index, text, _, alias, select_index = best
    # in words, as explain says it from a stored run (asn_sql/engine/condition_words.py)
    said = condition_words(rule, select_index, index, text, alias, shape)
    return f"{said}{_values(con, text, row_no)}"


def _evaluate(
    con, source: str, alias: str, conditions: list[str], row_no: int
) -> list[tuple[int, str]]:
    """Per scope of the exposure: (index, text) of the first condition it fails."""
    if not conditions:
        return []
    tests = ", ".join(f"coalesce(({c}), false)" for c in conditions)
    sql = f"select {tests} from {source} where {alias}.row_no = $row"
    try:
        rows = con.execute(sql, {"row": row_no}).fetchall()
    except duckdb.Error:
        return []
    failures = []
    for results in rows:
        for index, passed in enumerate(results):
            if not passed:
                failures.append((index, conditions[index]))
                break
    return failures


_COLUMN = re.compile(r"\b[a-z_][a-z0-9_]*\.([a-z_][a-z0-9_]*)\b")


def _values(con: duckdb.DuckDBPyConnection, condition: str, row_no: int) -> str:
    columns = sorted({c for c in _COLUMN.findall(condition)} & set(_exposure_columns(con)))
    if not columns:
        return ""
    row = con.execute(
        f"select {', '.join(columns)} from scope_exposures where row_no = $row limit 1",
        {"row": row_no},
    ).fetchone()
    shown = ", ".join(
        f"{c} = {'unset' if v is None else v}" for c, v in zip(columns, row or [], strict=False)
    )
    return f" (here {shown})"


def _exposure_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'scope_exposures'"
        ).fetchall()
    ]
