"""One generation run: render and execute the rules, finalize, record the run.

Named run.py, not generate.py: a submodule `asn_sql.generate` would replace the
API function `asn_sql.generate` on the package as soon as it is imported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from asn_sql import __version__, db
from asn_sql.db import exposure_columns
from asn_sql.engine.conditions import record_condition_failures, record_first_failures
from asn_sql.engine.gates import rules_without_rows
from asn_sql.engine.level2 import run_level2
from asn_sql.engine.level3 import run_level3
from asn_sql.engine.rule_check import check_rules
from asn_sql.engine.rules import Rule, rules_hash
from asn_sql.engine.user_rules import rule_set
from asn_sql.engine.verdicts import record_verdicts
from asn_sql.errors import RuleError
from asn_sql.names import ACID_PATTERN, ASN_FILE_PATTERN, UNSAFE_PATTERN
from asn_sql.progress import Progress
from asn_sql.resources import sql_dir
from asn_sql.templates import render_sql, sql_digest

DISCOVERED_ID = "a3001"


@dataclass(frozen=True)
class GenerateOptions:
    """What `asnsql generate` was asked for; the spellings follow asn_generate."""

    levels: tuple[int, ...] = (2, 3)
    ids: tuple[str, ...] | None = None
    all_candidates: bool = False
    discover: bool = False
    version_id: str | None = None
    finalize: bool = True
    rules_dir: Path | None = None  # -r/--rules: a folder of user rule files
    ignore_default: bool = False  # --ignore-default: only the rules of rules_dir

    @property
    def mode(self) -> str:
        """default (candidates and discovery), ids, all-candidates or discover."""
        if self.ids:
            return "ids"
        if self.all_candidates:
            return "all-candidates"
        return "discover" if self.discover else "default"


@dataclass
class RunSummary:
    """What one run made."""

    run_id: int
    pool_id: int
    n_associations: int
    by_type: dict[str, int]
    n_orphans: int
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)


def timestamp_version_id() -> str:
    """The version id of a bare --version-id: UTC time as YYYYMMDDtHHMMSS."""
    return datetime.now(UTC).strftime("%Y%m%dt%H%M%S")


def generate_run(
    con: duckdb.DuckDBPyConnection,
    pool_id: int,
    options: GenerateOptions,
    progress: Progress | None = None,
) -> RunSummary:
    """Run the rules of ``options.levels`` over one loaded pool, in one transaction: the
    set of one of :func:`generate_runs`."""
    return generate_runs(con, [pool_id], options, progress)[0]


def generate_runs(
    con: duckdb.DuckDBPyConnection,
    pool_ids: Sequence[int],
    options: GenerateOptions,
    progress: Progress | None = None,
) -> list[RunSummary]:
    """Run the rules over a set of loaded pools in one pass and one transaction: each
    statement runs once for the whole set, and each pool gets its own run (rows and
    documents exactly as a run of that pool alone). The summaries follow ``pool_ids``;
    the timings are the pass's, shared by its runs."""
    if len(set(pool_ids)) != len(pool_ids) or not pool_ids:
        raise ValueError("generate_runs takes distinct pool ids, at least one")
    started = db.now()
    with db.transaction(con):
        rows = con.execute(
            "select coalesce(sum(row_count), 0) from pools where list_contains($ids, pool_id)",
            {"ids": list(pool_ids)},
        ).fetchone()
        db.fit_threads(con, int(rows[0]) if rows else 0)
        fit_planning(con, int(rows[0]) if rows else 0)
        rules, warnings, timings = decide_associations(con, pool_ids, options, progress)
        clock = time.perf_counter()
        run_ids = [_next_run_id(con) for _ in pool_ids]
        con.execute("update run_pools set run_id = list_extract($runs, pool_no)", {"runs": run_ids})
        params = _params(rules, options)
        _finalize(con, params, stage="store")
        misnamed = _misnamed_warnings(con)
        timings["store"] = time.perf_counter() - clock
        clock = time.perf_counter()
        if progress:
            progress("finding why exposures are in no association")
        _record_orphan_reasons(con, rules, params)
        timings["orphans"] = time.perf_counter() - clock
        clock = time.perf_counter()
        record_verdicts(con, rules)
        timings["explain"] = time.perf_counter() - clock
        summaries = _record_runs(con, pool_ids, run_ids, rules, options, started, timings)
    for summary in summaries:
        summary.warnings = warnings.get(summary.pool_id, []) + misnamed.get(summary.pool_id, [])
    return summaries


# Below this many rows the optimizers named here cost a pool's statements more time
# planning than they save running them (they choose plans, never results).
LIGHT_PLANNING_ROWS = 2_000
LIGHT_PLANNING = (
    "common_subexpressions",
    "statistics_propagation",
    "unused_columns",
    "projection_pullup",
    "common_subplan",
)


def fit_planning(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    """DuckDB skips the LIGHT_PLANNING optimizers for a pool of fewer than
    LIGHT_PLANNING_ROWS rows, and runs them again for a bigger one on the same
    connection (the other optimizers disabled stay so)."""
    row = con.execute("select current_setting('disabled_optimizers')").fetchone()
    names = [name for name in str(row[0] if row and row[0] else "").split(",") if name]
    names = [name for name in names if name not in LIGHT_PLANNING]
    if rows < LIGHT_PLANNING_ROWS:
        names += LIGHT_PLANNING
    con.execute("set disabled_optimizers = $names", {"names": ",".join(names)})


def decide_associations(
    con: duckdb.DuckDBPyConnection,
    pool_ids: Sequence[int],
    options: GenerateOptions,
    progress: Progress | None = None,
) -> tuple[list[Rule], dict[int, list[str]], dict[str, float]]:
    """Everything a pass over ``pool_ids`` decides, in temp tables: scopes, each rule's
    matches, and which associations survive (found_associations). Nothing persistent is
    written. The warnings are by pool id."""
    rules = rule_set(options.levels, options.rules_dir, options.ignore_default)
    if not rules:
        raise RuleError(f"no rules for level(s) {options.levels}")
    # A user's rule is checked alone first, so that its mistakes name its file and line.
    check_rules([rule for rule in rules if rule.user])
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    warnings = _build_scopes(con, pool_ids, options)
    timings["scopes"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _run_rules(con, rules, progress, finalize=options.finalize)
    timings["rules"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if progress:
        progress(f"finalizing ({len(rules)} of {len(rules)} rules done)")
    _finalize(con, _params(rules, options), stage="decide")
    timings["finalize"] = time.perf_counter() - clock
    return rules, warnings, timings


def _build_scopes(
    con: duckdb.DuckDBPyConnection, pool_ids: Sequence[int], options: GenerateOptions
) -> dict[int, list[str]]:
    db.execute_script(
        con,
        render_sql("engine/scopes.sql", columns=exposure_columns(con)),
        {
            "pool_ids": list(pool_ids),
            "ids": list(options.ids) if options.ids else None,
            "candidates": options.mode != "discover",
            "discover": options.mode in ("default", "discover"),
            "acid_pattern": ACID_PATTERN,
            "unsafe_pattern": UNSAFE_PATTERN,
        },
    )
    warnings = _unsafe_file_names(con)
    if not options.ids:
        return warnings
    found: dict[int, set[str]] = {}
    for pool_id, acid in con.execute("select pool_id, cand_id from scopes").fetchall():
        found.setdefault(pool_id, set()).add(acid)
    for pool_id in pool_ids:
        warnings.setdefault(pool_id, []).extend(
            f"candidate id {acid!r} not found in the pool"
            for acid in options.ids
            if acid not in found.get(pool_id, set())
        )
    return warnings


# At most this many rows or associations are named in one warning.
_NAMED = 5


def _by_pool(rows: list[tuple]) -> dict[int, list[tuple]]:
    """Rows whose first value is a pool id, grouped by it (order kept)."""
    grouped: dict[int, list[tuple]] = {}
    for pool_id, *rest in rows:
        grouped.setdefault(pool_id, []).append(tuple(rest))
    return grouped


def _unsafe_file_names(con: duckdb.DuckDBPyConnection) -> dict[int, list[str]]:
    """Warnings, by pool, for the rows left out because their FILENAME cannot be a
    member's file name (asn_sql/names.py); jwst would write it into associations as it is."""
    rows = con.execute(
        "select u.pool_id, p.name, u.line_no, u.filename from unusable_rows as u "
        "join pools as p using (pool_id) order by u.pool_id, u.line_no"
    ).fetchall()
    warnings = {}
    for pool_id, found in _by_pool(rows).items():
        warnings[pool_id] = [
            f"{pool}, line {line}: FILENAME {name!r} is not a plain file name (a path "
            "separator, '..' or a control character); the row is left out"
            for pool, line, name in found[:_NAMED]
        ]
        if len(found) > _NAMED:
            warnings[pool_id].append(f"{len(found) - _NAMED} more rows left out for their FILENAME")
    return warnings


def _misnamed_warnings(con: duckdb.DuckDBPyConnection) -> dict[int, list[str]]:
    """Warnings, by pool, for the associations left out because a name built from the
    pool does not follow its DMS grammar (sql/finalize/045_names.sql)."""
    rows = con.execute(
        "select m.pool_id, p.name, m.line_no, m.reason from misnamed_associations as m "
        "join pools as p using (pool_id) order by m.pool_id, m.line_no, m.match_id"
    ).fetchall()
    warnings = {}
    for pool_id, found in _by_pool(rows).items():
        warnings[pool_id] = [
            f"{pool}, line {line}: an association started here is left out: {reason}"
            for pool, line, reason in found[:_NAMED]
        ]
        if len(found) > _NAMED:
            warnings[pool_id].append(
                f"{len(found) - _NAMED} more associations left out for their names"
            )
    return warnings


def _run_rules(
    con: duckdb.DuckDBPyConnection,
    rules: list[Rule],
    progress: Progress | None,
    finalize: bool = True,
) -> None:
    db.execute_script(con, render_sql("engine/rule_matches.sql"))
    # Every rule's conditions, evaluated once for the orphans' reasons and explain, say
    # first which rules cannot return a row here: those are not planned at all.
    record_condition_failures(con, rules)
    without_rows = rules_without_rows(con, rules)
    level2 = [rule for rule in rules if rule.level == 2]
    level3 = [rule for rule in rules if rule.level == 3]
    # Both levels' tables exist even when one level runs: finalize reads both (a
    # level that runs makes its own).
    if not level2:
        db.execute_script(con, render_sql("engine/level2_eligible.sql"))
    if not level3:
        db.execute_script(con, render_sql("engine/level3_eligible.sql"))
    if level2:
        if progress:
            progress(f"Level 2: {len(level2)} rules (0 of {len(rules)} rules done)")
        run_level2(con, level2, progress, finalize, without_rows=without_rows)
    if level3:
        if progress:
            progress(f"Level 3: {len(level3)} rules ({len(level2)} of {len(rules)} rules done)")
        run_level3(con, level3, progress, finalize, without_rows=without_rows)


def _next_run_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("select nextval('runs_run_id_seq')").fetchone()
    assert row is not None
    return int(row[0])


# sql/finalize/ files numbered below this decide (numbering and the name checks included,
# so that explain sees what they leave out); the others store the run.
_STORE_FROM = 50


def _params(rules: list[Rule], options: GenerateOptions) -> dict[str, object]:
    return {
        "finalize": options.finalize,
        # jwst renumbers per candidate and type when it finalizes or discovers (the
        # default mode discovers too); else files keep its run-wide creation counters
        "resequenced": options.finalize or options.discover or options.mode == "default",
        "keep_candidates": options.mode != "discover",
        "version_id": options.version_id,
        "constraint_rules": [rule.name for rule in rules],
        "constraint_texts": ["\n".join(rule.constraints) for rule in rules],
        "asn_file_pattern": ASN_FILE_PATTERN,
        "unsafe_pattern": UNSAFE_PATTERN,
    }


def _finalize(con: duckdb.DuckDBPyConnection, params: dict[str, object], stage: str) -> None:
    for path in sorted((sql_dir() / "finalize").glob("*.sql")):
        deciding = int(path.name.split("_", 1)[0]) < _STORE_FROM
        if deciding == (stage == "decide"):
            db.execute_script(con, render_sql(f"finalize/{path.name}"), params)


def _record_orphan_reasons(
    con: duckdb.DuckDBPyConnection, rules: list[Rule], params: dict[str, object]
) -> None:
    # condition_failures, made before the rules ran (_run_rules), serves the orphans and
    # explain, which needs it even when every exposure is in an association
    db.execute_script(con, render_sql("engine/orphan_rows.sql"), params)
    if not db.has_rows(con, "orphan_rows"):
        return  # every exposure is in an association: no reason to find
    wanted = {
        name
        for (name,) in db.execute_script(
            con, render_sql("engine/orphan_rules.sql"), params
        ).fetchall()
    }
    record_first_failures(con, [rule for rule in rules if rule.name in wanted])
    db.execute_script(con, render_sql("engine/orphan_reasons.sql"), params)


def _record_runs(
    con: duckdb.DuckDBPyConnection,
    pool_ids: Sequence[int],
    run_ids: list[int],
    rules: list[Rule],
    options: GenerateOptions,
    started: datetime,
    timings: dict[str, float],
) -> list[RunSummary]:
    by_type: dict[int, dict[str, int]] = {run_id: {} for run_id in run_ids}
    for run_id, asn_type, n in con.execute(
        "select run_id, asn_type, count(*) from associations "
        "where run_id in (select run_id from run_pools) "
        "group by run_id, asn_type order by run_id, asn_type"
    ).fetchall():
        by_type[run_id][asn_type] = n
    con.execute(
        """
        insert into runs (run_id, pool_id, started_at, finished_at, levels, mode, candidate_ids,
                          version_id, finalized, rules_hash, code_version, timings, n_associations,
                          sql_hash, rules_dir, ignore_default)
        select unnest($runs), unnest($pools), $started, $finished, $levels, $mode, $ids,
               $version, $finalized, $hash, $code, $timings, unnest($n), $sql_hash,
               $rules_dir, $ignore_default
        """,
        {
            "runs": run_ids,
            "pools": list(pool_ids),
            "started": started,
            "finished": db.now(),
            "levels": list(options.levels),
            "mode": options.mode,
            "ids": list(options.ids) if options.ids else None,
            "version": options.version_id,
            "finalized": options.finalize,
            "hash": rules_hash(rules),
            "code": __version__,
            "timings": timings,
            "n": [sum(by_type[run_id].values()) for run_id in run_ids],
            "sql_hash": sql_digest(),
            "rules_dir": str(options.rules_dir.resolve()) if options.rules_dir else None,
            "ignore_default": options.ignore_default,
        },
    )
    orphans = dict(
        con.execute(
            "select run_id, count(*) from orphans where run_id in (select run_id from run_pools) "
            "group by run_id"
        ).fetchall()
    )
    return [
        RunSummary(
            run_id=run_id,
            pool_id=pool_id,
            n_associations=sum(by_type[run_id].values()),
            by_type=by_type[run_id],
            n_orphans=int(orphans.get(run_id, 0)),
            timings=dict(timings),
        )
        for pool_id, run_id in zip(pool_ids, run_ids, strict=True)
    ]
