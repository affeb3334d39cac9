"""One generation run: render and execute the rules, finalize, record the run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from asn_sql import __version__, db
from asn_sql.conditions import record_first_failures
from asn_sql.errors import RuleError
from asn_sql.level2 import run_level2
from asn_sql.level3 import run_level3
from asn_sql.load import exposure_columns
from asn_sql.progress import Progress
from asn_sql.resources import sql_dir
from asn_sql.rules import Rule, rules_for, rules_hash
from asn_sql.templates import render_sql

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
    """Run the rules of ``options.levels`` over one loaded pool, in one transaction."""
    started = db.now()
    with db.transaction(con):
        rules, warnings, timings = decide_associations(con, pool_id, options, progress)
        clock = time.perf_counter()
        run_id = _next_run_id(con)
        params = _params(pool_id, rules, options, run_id)
        _finalize(con, params, stage="store")
        timings["store"] = time.perf_counter() - clock
        clock = time.perf_counter()
        _record_orphan_reasons(con, rules, params)
        timings["orphans"] = time.perf_counter() - clock
        summary = _record_run(con, pool_id, run_id, rules, options, started, timings)
    summary.warnings = warnings
    return summary


def decide_associations(
    con: duckdb.DuckDBPyConnection,
    pool_id: int,
    options: GenerateOptions,
    progress: Progress | None = None,
) -> tuple[list[Rule], list[str], dict[str, float]]:
    """Everything a run decides, in temp tables: scopes, each rule's matches, and
    which associations survive (found_associations). Nothing persistent is written."""
    rules = rules_for(options.levels)
    if not rules:
        raise RuleError(f"no rules for level(s) {options.levels}")
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    warnings = _build_scopes(con, pool_id, options)
    timings["scopes"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _run_rules(con, pool_id, rules, progress, finalize=options.finalize)
    timings["rules"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _finalize(con, _params(pool_id, rules, options), stage="decide")
    timings["finalize"] = time.perf_counter() - clock
    return rules, warnings, timings


def _build_scopes(
    con: duckdb.DuckDBPyConnection, pool_id: int, options: GenerateOptions
) -> list[str]:
    db.execute_script(
        con,
        render_sql("engine/scopes.sql", columns=exposure_columns(con)),
        {
            "pool_id": pool_id,
            "ids": list(options.ids) if options.ids else None,
            "candidates": options.mode != "discover",
            "discover": options.mode in ("default", "discover"),
        },
    )
    if not options.ids:
        return []
    found = {acid for (acid,) in con.execute("select acid from scopes").fetchall()}
    return [
        f"candidate id {acid} not found in the pool" for acid in options.ids if acid not in found
    ]


def _run_rules(
    con: duckdb.DuckDBPyConnection,
    pool_id: int,
    rules: list[Rule],
    progress: Progress | None,
    finalize: bool = True,
) -> None:
    db.execute_script(con, render_sql("engine/rule_matches.sql"))
    # Both levels' tables exist even when one level runs: finalize reads both.
    db.execute_script(con, render_sql("engine/level2_eligible.sql"))
    db.execute_script(con, render_sql("engine/level3_eligible.sql"))
    level2 = [rule for rule in rules if rule.level == 2]
    if level2:
        run_level2(con, pool_id, level2, progress, finalize)
    level3 = [rule for rule in rules if rule.level == 3]
    if level3:
        run_level3(con, pool_id, level3, progress, finalize)


def _next_run_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("select nextval('runs_run_id_seq')").fetchone()
    assert row is not None
    return int(row[0])


# sql/finalize/ files numbered below this decide; the others store the run.
_STORE_FROM = 40


def _params(
    pool_id: int, rules: list[Rule], options: GenerateOptions, run_id: int | None = None
) -> dict[str, object]:
    return {
        "pool_id": pool_id,
        "run_id": run_id,
        "finalize": options.finalize,
        "keep_candidates": options.mode != "discover",
        "version_id": options.version_id,
        "constraint_rules": [rule.name for rule in rules],
        "constraint_texts": ["\n".join(rule.constraints) for rule in rules],
    }


def _finalize(con: duckdb.DuckDBPyConnection, params: dict[str, object], stage: str) -> None:
    for path in sorted((sql_dir() / "finalize").glob("*.sql")):
        deciding = int(path.name.split("_", 1)[0]) < _STORE_FROM
        if deciding == (stage == "decide"):
            db.execute_script(con, render_sql(f"finalize/{path.name}"), params)


def _record_orphan_reasons(
    con: duckdb.DuckDBPyConnection, rules: list[Rule], params: dict[str, object]
) -> None:
    db.execute_script(con, render_sql("engine/orphan_rows.sql"), params)
    wanted = {
        name
        for (name,) in db.execute_script(
            con, render_sql("engine/orphan_rules.sql"), params
        ).fetchall()
    }
    record_first_failures(con, [rule for rule in rules if rule.name in wanted])
    db.execute_script(con, render_sql("engine/orphan_reasons.sql"), params)


def _record_run(
    con: duckdb.DuckDBPyConnection,
    pool_id: int,
    run_id: int,
    rules: list[Rule],
    options: GenerateOptions,
    started: datetime,
    timings: dict[str, float],
) -> RunSummary:
    by_type = dict(
        con.execute(
            "select asn_type, count(*) from associations where run_id = $run "
            "group by asn_type order by asn_type",
            {"run": run_id},
        ).fetchall()
    )
    con.execute(
        """
        insert into runs (run_id, pool_id, started_at, finished_at, levels, mode, candidate_ids,
                          version_id, finalized, rules_hash, code_version, timings, n_associations)
        values ($run, $pool, $started, $finished, $levels, $mode, $ids, $version, $finalized,
                $hash, $code, $timings, $n)
        """,
        {
            "run": run_id,
            "pool": pool_id,
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
            "n": sum(by_type.values()),
        },
    )
    orphans = con.execute(
        "select count(*) from orphans where run_id = $run", {"run": run_id}
    ).fetchone()
    return RunSummary(
        run_id=run_id,
        pool_id=pool_id,
        n_associations=sum(by_type.values()),
        by_type=by_type,
        n_orphans=int(orphans[0]) if orphans else 0,
        timings=timings,
    )
