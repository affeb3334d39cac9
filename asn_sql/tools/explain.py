"""Why an exposure is, or is not, in each association of a run (`asnsql explain`), read
from what the run stored (migration 0009): no rule runs again.

A run recorded before asnsql stored its verdicts is explained by running its work again
(asn_sql/tools/explain_rerun.py), with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn_sql import sandbox
from asn_sql.errors import UsageError
from asn_sql.names import UNSAFE_PATTERN
from asn_sql.templates import render_sql

# The values jwst reads as unset (the engine's scope_exposures reads them as NULL).
_UNSET = ("", "null", "--", "n", "f", "false", "n/a")


@dataclass
class Membership:
    """An association of the run that holds the exposure."""

    association: str
    product: str
    exptype: str
    rule: str


@dataclass
class Verdict:
    """Why one rule did not take the exposure. ``reason`` says it in words; the other
    fields hold the same as data. ``uses_type``: the rule takes exposures of the
    exposure's exp_type in this run (those come first; the others fold into one line)."""

    rule: str
    level: int
    reason: str
    uses_type: bool = True
    roles: list[str] = field(default_factory=list)  # eligible as, in ``scopes``
    scopes: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (scope, why)
    condition: str | None = None  # the first condition it fails, in words
    # where that condition is: (SELECT, condition) of the rule's SQL, both from 0
    condition_at: tuple[int, int] | None = None
    values: dict[str, str] = field(default_factory=dict)  # the columns that condition reads


@dataclass
class Explanation:
    """Everything known about one exposure in one run."""

    run_id: int
    filename: str
    row_no: int
    exp_type: str | None = None
    # why asnsql took the exposure out of every scope, when it did (an unsafe FILENAME)
    left_out: str | None = None
    memberships: list[Membership] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class OrphanReason:
    """One orphan of a run and the rule that came closest to taking it."""

    filename: str
    exp_type: str | None
    rule: str | None
    why: str


def scope_name(acid: str, ctype: str) -> str:
    """A scope as a person knows it: the candidate id and what its type means."""
    if ctype == "unknown":
        # jwst reads an ASN_CANDIDATE cell that is a bare whole number as a candidate of
        # type "unknown"; its substring test then also gives it the rows of c<number>.
        return f"{acid} (bare number in ASN_CANDIDATE, type unknown)"
    return f"{acid} ({ctype})"


def has_verdicts(con: Any, run_id: int) -> bool:
    """Whether the run stored its verdicts (runs made since migration 0009)."""
    row = con.execute(
        "select count(*) from explain_rules where run_id = $run", {"run": run_id}
    ).fetchone()
    return bool(row and row[0])


def explain(
    db_path: Path,
    exposure: str,
    run_id: int | None = None,
    *,
    rules_dir: Path | None = None,
    ignore_default: bool = False,
) -> list[Explanation]:
    """Explain every exposure of the run's pool whose file has the root of ``exposure``.

    Read from the run's stored verdicts. A run recorded before those were stored, or
    rules given on purpose (``rules_dir``/``ignore_default``, generate's -r and
    --ignore-default), is explained by running the work again with those rules
    (asn_sql/tools/explain_rerun.py); for an old run a warning says so."""
    con = sandbox.open_read_only(db_path)
    try:
        run_id, pool_id = _run(con, run_id)
        stored = has_verdicts(con, run_id)
        if not stored or rules_dir is not None or ignore_default:
            # Rules given on purpose: explain with them as they are now, as before 0009.
            con.close()
            return _rerun(db_path, exposure, run_id, rules_dir, ignore_default, stored)
        rows = con.execute(
            render_sql("explain/find_exposures.sql"), {"pool_id": pool_id, "name": exposure}
        ).fetchall()
        if not rows:
            raise UsageError(f"no exposure named like {exposure!r} in the pool of run {run_id}")
        rules = con.execute(
            "select rule, level, any_candidate, constraints from explain_rules "
            "where run_id = $run order by rule_no",
            {"run": run_id},
        ).fetchall()
        return [
            _explain_row(con, run_id, pool_id, row_no, filename, rules) for row_no, filename in rows
        ]
    finally:
        con.close()


def _rerun(
    db_path: Path,
    exposure: str,
    run_id: int,
    rules_dir: Path | None,
    ignore_default: bool,
    stored: bool,
) -> list[Explanation]:
    from asn_sql.tools import explain_rerun

    found = explain_rerun.explain(
        db_path, exposure, run_id, rules_dir=rules_dir, ignore_default=ignore_default
    )
    converted = list(found)  # the same Explanation objects
    if converted and not stored:
        converted[0].warnings = [
            f"run {run_id} was recorded before asnsql stored why (migration 0009): its "
            "work was done again, slowly; generate again for a quick explain",
            *converted[0].warnings,
        ]
    return converted


def _run(con: Any, run_id: int | None) -> tuple[int, int]:
    query = "select run_id, pool_id from runs"
    row = (
        con.execute(query + " where run_id = $run", {"run": run_id}).fetchone()
        if run_id is not None
        else con.execute(query + " order by run_id desc limit 1").fetchone()
    )
    if row is None:
        raise UsageError(
            f"no run {run_id}" if run_id is not None else "no run yet; run asnsql generate first"
        )
    return int(row[0]), int(row[1])


def memberships(con: Any, run_id: int, row_no: int) -> list[Membership]:
    """The associations (and products) a pool row is a member of in a run, by name."""
    return [
        Membership(*row)
        for row in con.execute(
            """
            select a.name, p.name, m.exptype, a.rule
            from members as m
            join associations as a using (run_id, asn_no)
            join products as p using (run_id, asn_no, product_no)
            where m.run_id = $run and m.row_no = $row
            order by a.name
            """,
            {"run": run_id, "row": row_no},
        ).fetchall()
    ]


def _explain_row(
    con: Any, run_id: int, pool_id: int, row_no: int, filename: str, rules: list[tuple]
) -> Explanation:
    explanation = Explanation(run_id, filename, row_no)
    params = {"run": run_id, "row": row_no, "pool": pool_id}
    explanation.memberships = memberships(con, run_id, row_no)
    exp_type, reason = con.execute(
        "select x.exp_type, case when regexp_matches(x.filename, $unsafe) then o.reason end "
        "from exposures as x left join orphan_reasons as o on o.run_id = $run "
        "and o.row_no = x.row_no where x.pool_id = $pool and x.row_no = $row",
        params | {"unsafe": UNSAFE_PATTERN},
    ).fetchone()
    explanation.exp_type = _value(exp_type)
    if reason is not None:
        explanation.left_out = reason
        return explanation
    typed = _rules_using_type(con, params, explanation.exp_type)
    stored: dict[str, list[tuple]] = {}
    for row in con.execute(
        "select v.rule, v.acid, v.ctype, v.role, v.fate, v.select_no, v.condition_no, "
        "c.words, c.columns from explain_verdicts as v left join explain_conditions as c "
        "using (run_id, rule, select_no, condition_no) "
        "where v.run_id = $run and v.row_no = $row order by v.acid, v.ctype",
        {"run": run_id, "row": row_no},
    ).fetchall():
        stored.setdefault(row[0], []).append(row[1:])
    taken = {m.rule for m in explanation.memberships}
    values = _exposure_values(con, params)
    for name, level, any_candidate, constraints in rules:
        if name not in taken:
            verdict = _verdict(name, level, any_candidate, constraints, stored.get(name, []))
            verdict.uses_type = name in typed
            if verdict.condition is not None:
                verdict.values = {c: values[c] for c in verdict.values if c in values}
                if verdict.values:
                    shown = ", ".join(f"{c} = {v}" for c, v in verdict.values.items())
                    verdict.reason = f"{verdict.condition} (here {shown})"
            explanation.verdicts.append(verdict)
    return explanation


def _value(value: Any) -> str | None:
    return None if value is None or str(value).strip().lower() in _UNSET else str(value)


def _exposure_values(con: Any, params: dict[str, Any]) -> dict[str, str]:
    """The exposure's pool values, as a rule reads them: 'unset' for jwst's empty ones."""
    relation = con.execute(
        "select * exclude (pool_id, row_no) from exposures where pool_id = $pool and row_no = $row",
        {"pool": params["pool"], "row": params["row"]},
    )
    names = [d[0] for d in relation.description]
    row = relation.fetchone() or []
    return {n: (_value(v) or "unset") for n, v in zip(names, row, strict=False)}


def _rules_using_type(con: Any, params: dict[str, Any], exp_type: str | None) -> set[str]:
    """The rules that may use some exposure of this exp_type in the run (or this very
    exposure): eligible somewhere (stored taken or not)."""
    unset = "(" + ", ".join(f"'{v}'" for v in _UNSET) + ")"
    found = con.execute(
        f"""
        with used as (
            select rule, row_no from explain_verdicts
            where run_id = $run and role is not null
        )
        select distinct u.rule
        from used as u
        join exposures as x on x.pool_id = $pool and x.row_no = u.row_no
        where u.row_no = $row
           or (case when lower(trim(x.exp_type)) in {unset} then null else x.exp_type end)
              is not distinct from $type
        """,
        params | {"type": exp_type},
    ).fetchall()
    return {rule for (rule,) in found}


def _verdict(
    rule: str, level: int, any_candidate: bool, constraints: str, rows: list[tuple]
) -> Verdict:
    """One rule's verdict from its stored rows (scope by scope) for the exposure."""
    eligible = [r for r in rows if r[2] is not None]
    verdict = Verdict(rule, level, "")
    if eligible:
        verdict.roles = sorted({role for r in eligible for role in r[2].split("/")})
        verdict.scopes = sorted({scope_name(r[0], r[1]) for r in eligible})
        verdict.dropped = sorted({(scope_name(r[0], r[1]), r[3]) for r in eligible if r[3]})
        where = f"eligible as {'/'.join(verdict.roles)} in {', '.join(verdict.scopes)}"
        if verdict.dropped:
            verdict.reason = f"{where}, but its association was dropped: " + "; ".join(
                f"in {scope}, {fate}" for scope, fate in verdict.dropped
            )
        elif level == 2 and not any_candidate and all(r[1] != "observation" for r in eligible):
            verdict.reason = (
                f"{where}, but jwst keeps Level 2 associations only for observation "
                "candidates and for background candidates with a background member: none in "
                + ", ".join(verdict.scopes)
            )
        else:
            verdict.reason = (
                f"{where}, but none of its associations passed the rule's own checks "
                f"({constraints})"
            )
        return verdict
    failed = [r for r in rows if r[5] is not None]
    if not failed:
        verdict.reason = "its filters reject it"
        return verdict
    # the condition failed latest, as the rule reads its SELECTs in order
    best = max(failed, key=lambda r: (r[5], -r[4]))
    verdict.condition = best[6] or "a condition of the rule"
    verdict.condition_at = (best[4], best[5])
    verdict.values = dict.fromkeys(best[7] or [], "")
    verdict.reason = verdict.condition
    return verdict


def explain_orphans(db_path: Path, run_id: int | None = None) -> tuple[int, list[OrphanReason]]:
    """Every orphan of a run with the rule that came closest to taking it and the first
    condition it failed, in words (runs recorded since migration 0009)."""
    con = sandbox.open_read_only(db_path)
    try:
        run_id, pool_id = _run(con, run_id)
        if not has_verdicts(con, run_id):
            raise UsageError(
                f"run {run_id} was recorded before asnsql stored why (migration 0009): "
                "generate again, or see asnsql orphans for its reasons"
            )
        rows = con.execute(
            render_sql("explain/orphans.sql"),
            {"run_id": run_id, "pool_id": pool_id, "unsafe": UNSAFE_PATTERN},
        ).fetchall()
    finally:
        con.close()
    return run_id, [OrphanReason(*row) for row in rows]
