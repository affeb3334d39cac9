"""What a rule folder would change: each pool's latest run made again with the folder's rules,
on a throwaway copy of the pool, and compared with the run as kept. Nothing is written.

The coordinator (here) opens the database read-only, checks the rule folder, and sends each
pool to a worker as a task holding its rows (Arrow), the rule files' bytes, the kept run's
options and documents (asn_sql/tools/impact_task.py); the worker hands back diff's report.
The tasks run through batch's executors: local worker processes or a Dask cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asn_sql import db, interrupt
from asn_sql.errors import UsageError
from asn_sql.tools.diff import DiffReport, report_lines, summary_line
from asn_sql.tools.impact_task import ImpactTask, PoolImpact, PoolToCompare, impact_of_pool
from asn_sql.tools.tasks import describe_failure, run_tasks
from asn_sql.values import counted

if TYPE_CHECKING:
    import duckdb
    import pyarrow

    from asn_sql.engine.run import GenerateOptions


@dataclass(frozen=True)
class ImpactSettings:
    """What `asnsql impact` was asked for: the rules to try."""

    rules_dir: Path
    ignore_default: bool = False


@dataclass(frozen=True)
class ImpactPlan:
    """The rule files (path under the folder, bytes), checked, and the pools to compare."""

    settings: ImpactSettings
    rule_files: tuple[tuple[str, bytes], ...]
    pools: tuple[PoolToCompare, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class ImpactResult:
    """Every pool compared, in the order chosen, and the warnings of the choice."""

    pools: list[PoolImpact]
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[PoolImpact]:
        """The pools whose run would change."""
        return [p for p in self.pools if p.changes]

    @property
    def failed(self) -> list[PoolImpact]:
        """The pools whose run could not be made again."""
        return [p for p in self.pools if p.error is not None]

    def counts(self) -> dict[str, int]:
        """diff's counts summed over the pools compared."""
        total: Counter[str] = Counter({key: 0 for key in COUNT_KEYS})
        for pool in self.pools:
            if pool.report is not None:
                total.update(report_counts(pool.report))
        return dict(total)


COUNT_KEYS = ("same", "renamed", "changed", "removed", "added", "orphaned", "adopted")


def report_counts(report: DiffReport) -> dict[str, int]:
    """How many of each finding a report holds, in diff's words (adopted: no longer orphans)."""
    return {
        "same": len(report.same),
        "renamed": len(report.renamed),
        "changed": len(report.changed),
        "removed": len(report.removed),
        "added": len(report.added),
        "orphaned": len(report.orphaned),
        "adopted": len(report.adopted),
    }


def plan_impact(db_path: Path, pools: Sequence[str], settings: ImpactSettings) -> ImpactPlan:
    """Check the rule folder as generate does (a bad file: RuleError naming file and line)
    and choose the pools: those named (a name or a program: its newest version), else
    every loaded pool with a run. Raises UsageError for a pool not loaded or without a run,
    or when no pool has a run."""
    from asn_sql.engine.rule_check import check_rules
    from asn_sql.engine.user_rules import rule_set, user_rule_files

    rules = rule_set((2, 3), settings.rules_dir, settings.ignore_default)
    check_rules([rule for rule in rules if rule.user])
    folder = settings.rules_dir
    files = tuple(
        (str(path.relative_to(folder)), path.read_bytes()) for path in user_rule_files(folder)
    )
    if not db_path.exists():
        raise UsageError("no database here; load a pool and generate it first", path=db_path)
    con = db.open_database(db_path, read_only=True)
    try:
        chosen, warnings = _choose_pools(con, pools)
    finally:
        con.close()
    return ImpactPlan(settings, files, tuple(chosen), tuple(warnings))


def _choose_pools(
    con: duckdb.DuckDBPyConnection, names: Sequence[str]
) -> tuple[list[PoolToCompare], list[str]]:
    from asn_sql.tools.versions import find_pool, latest_run_of_pool, pool_name

    if names:
        chosen: dict[int, PoolToCompare] = {}
        for name in names:
            pool_id = find_pool(con, name)
            if pool_id is None:
                raise UsageError(
                    f"{name!r} is neither a loaded pool's name nor a program's (jw01234)"
                )
            run_id = latest_run_of_pool(con, pool_id)
            chosen.setdefault(pool_id, PoolToCompare(pool_id, pool_name(con, pool_id), run_id))
        return list(chosen.values()), []
    rows = con.execute(
        "select p.pool_id, p.name, max(r.run_id) from pools as p "
        "left join runs as r using (pool_id) group by all order by p.pool_id"
    ).fetchall()
    if not rows:
        raise UsageError("no pool is loaded (asnsql load POOL, then asnsql generate POOL)")
    warnings = [
        f"{name} has no run yet; not compared (asnsql generate {name})"
        for _, name, run_id in rows
        if run_id is None
    ]
    chosen_all = [PoolToCompare(p, name, r) for p, name, r in rows if r is not None]
    if not chosen_all:
        raise UsageError("no loaded pool has a run yet (asnsql generate POOL)")
    return chosen_all, warnings


def run_impact(
    db_path: Path,
    plan: ImpactPlan,
    executor: Executor,
    slots: int,
    *,
    threads: int = 1,
    report: Callable[[PoolImpact], None] | None = None,
) -> ImpactResult:
    """Make each planned pool's latest run again with the plan's rules through ``executor``
    and compare; ``report`` is called once per pool as it ends. A pool that fails is
    reported and the others go on. The database is only read."""
    found: dict[int, PoolImpact] = {}

    def finish(task: ImpactTask, future: Future[PoolImpact]) -> None:
        target = task.target
        try:
            outcome = future.result()
        except Exception as exc:  # a bug or a worker lost: this pool fails, others go on
            interrupt.check()  # workers lost to the same Ctrl-C: impact was interrupted
            error = f"{target.pool}: {describe_failure(exc)}"
            outcome = PoolImpact(target.pool_id, target.pool, target.run_id, error=error)
        outcome.warnings = [*task.notes, *outcome.warnings]
        found[target.pool_id] = outcome
        if report is not None:
            report(outcome)

    con = db.open_database(db_path, read_only=True)
    try:
        tasks = _tasks(con, plan, threads)
        run_tasks(executor, slots, tasks, impact_of_pool, finish)
    finally:
        con.close()
    return ImpactResult([found[p.pool_id] for p in plan.pools], list(plan.warnings))


def _tasks(con: duckdb.DuckDBPyConnection, plan: ImpactPlan, threads: int) -> Iterator[ImpactTask]:
    from asn_sql.io.documents import run_documents
    from asn_sql.tools.versions import run_exposures

    tables = _pool_tables(con)
    for target in plan.pools:
        yield ImpactTask(
            target=target,
            tables={name: _rows(con, name, target.pool_id) for name in tables},
            options=_run_options(con, target.run_id),
            rule_files=plan.rule_files,
            rules_shown=str(plan.settings.rules_dir),
            ignore_default=plan.settings.ignore_default,
            old_documents={d.file_name: d.data for d in run_documents(con, target.run_id)},
            old_exposures=run_exposures(con, target.run_id),
            threads=threads,
            notes=tuple(_run_notes(con, target, plan.settings)),
        )


# fetchall, never fetchone: DuckDB refuses the next statement on a connection whose
# result is left unfinished, and these connections go on to read the next pool.
def _run_notes(
    con: duckdb.DuckDBPyConnection, target: PoolToCompare, settings: ImpactSettings
) -> list[str]:
    """Warnings when the kept run was made with other user rules than those tried (a
    folder tried again, edited, is the same rules) or by another asnsql: then not every
    change comes from the folder tried."""
    from asn_sql import __version__
    from asn_sql.templates import sql_digest

    rules_dir, ignore_default, code_version, sql_hash = con.execute(
        "select rules_dir, ignore_default, code_version, sql_hash from runs where run_id = $run",
        {"run": target.run_id},
    ).fetchall()[0]
    notes = []
    tried = str(settings.rules_dir.resolve())
    if rules_dir is not None and (rules_dir, ignore_default) != (tried, settings.ignore_default):
        alone = " alone" if ignore_default else ""
        notes.append(
            f"{target.pool}: run {target.run_id} was made with the rules of {rules_dir}{alone}, "
            "which are not tried again: some changes may come from leaving them out"
        )
    if code_version != __version__ or sql_hash != sql_digest():
        notes.append(
            f"{target.pool}: run {target.run_id} was made by another asnsql ({code_version}, "
            "or other SQL files): some changes may come from that, not from the rules tried"
        )
    return notes


def _pool_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The base tables holding a pool's rows (pool_id, but no run_id): what load wrote."""
    rows = con.execute(
        """
        select table_name from information_schema.columns
        where table_catalog = current_database()
          and table_name in (select table_name from information_schema.tables
                             where table_catalog = current_database()
                               and table_type = 'BASE TABLE')
        group by table_name
        having bool_or(column_name = 'pool_id') and not bool_or(column_name = 'run_id')
        order by table_name
        """
    ).fetchall()
    return [name for (name,) in rows]


def _rows(con: duckdb.DuckDBPyConnection, table: str, pool_id: int) -> pyarrow.Table:
    # The table's name comes from our own migrations; the pool is a bound value.
    relation = con.sql(f'select * from "{table}" where pool_id = $pool', params={"pool": pool_id})
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()  # DuckDB before 1.4


def _run_options(con: duckdb.DuckDBPyConnection, run_id: int) -> GenerateOptions:
    """The options a run was made with, its rules aside."""
    from asn_sql.engine.run import GenerateOptions

    levels, mode, ids, version_id, finalized = con.execute(
        "select levels, mode, candidate_ids, version_id, finalized from runs where run_id = $run",
        {"run": run_id},
    ).fetchall()[0]
    return GenerateOptions(
        levels=tuple(int(level) for level in levels),
        ids=tuple(ids) if ids else None,
        all_candidates=mode == "all-candidates",
        discover=mode == "discover",
        version_id=version_id,
        finalize=bool(finalized),
    )


def pool_lines(pool: PoolImpact) -> list[str]:
    """A pool's report as text: a heading with diff's counts, then diff's lines indented."""
    assert pool.report is not None
    lines = [f"{pool.pool} (run {pool.run_id}): {summary_line(pool.report)}"]
    return lines + [f"  {line}" for line in report_lines(pool.report)]


def summary_text(result: ImpactResult) -> str:
    """One line over every pool: how many would change, then diff's counts summed."""
    n = len(result.pools)
    changed, failed = len(result.changed), len(result.failed)
    counts = result.counts()
    pools = f"{counted(n, 'pool')}: {changed} would change, {n - changed - failed} unchanged"
    if failed:
        pools += f", {failed} failed"
    return (
        f"{pools}; {counts['same']} same, {counts['renamed']} renamed, "
        f"{counts['changed']} changed, {counts['removed']} removed, {counts['added']} added, "
        f"{counts['orphaned']} orphaned, {counts['adopted']} no longer orphans"
    )
