"""One pool of `impact`, as a worker runs it: the pool's rows loaded into a private in-memory
database, its latest run made again there with the rule folder tried, and diff's report of
the two handed back.

The task is a plain picklable function of plain data, so the same function runs in a local
worker process or on a Dask worker (as batch's, asn_sql/tools/batch_task.py); it needs no
access to the coordinator's files. :func:`regenerate` is the one place that knows how a
run is made: the seam to the engine.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn_sql import db
from asn_sql.errors import AsnSqlError
from asn_sql.tools.diff import DiffReport, RunExposures, diff_documents

if TYPE_CHECKING:
    import duckdb
    import pyarrow

    from asn_sql.engine.run import GenerateOptions


@dataclass(frozen=True)
class PoolToCompare:
    """A loaded pool and the run of it that the rules are tried against (its latest)."""

    pool_id: int
    pool: str
    run_id: int


@dataclass(frozen=True)
class ImpactTask:
    """One pool as a worker needs it: its rows, the kept run's options, documents and
    exposures, and the rule files' bytes (a worker needs no access to the coordinator's
    files)."""

    target: PoolToCompare
    tables: dict[str, pyarrow.Table]
    options: GenerateOptions
    rule_files: tuple[tuple[str, bytes], ...]
    rules_shown: str  # the folder as the user named it: errors name its files
    ignore_default: bool
    old_documents: dict[str, dict[str, Any]]
    old_exposures: RunExposures
    threads: int = 1
    notes: tuple[str, ...] = ()  # warnings about the kept run, given with the pool's report


@dataclass
class PoolImpact:
    """What the rules would change in one pool's run: diff's report, or why it failed."""

    pool_id: int
    pool: str
    run_id: int
    report: DiffReport | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_settings: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        """Whether the run would change (a failed pool does not count)."""
        return self.report is not None and not self.report.equal


def impact_of_pool(task: ImpactTask) -> PoolImpact:
    """Load a pool's rows into a private database, make its run again with the task's
    rules and compare it with the kept run (the task of `impact`).

    An error the user can fix (a rule failing on this pool) comes back as
    ``PoolImpact.error``, naming the rule files as the user named them; anything else is a
    bug and raises."""
    target = task.target
    outcome = PoolImpact(target.pool_id, target.pool, target.run_id)
    with tempfile.TemporaryDirectory(prefix="asnsql-rules-") as folder:
        try:
            _write_rules(Path(folder), task.rule_files)
            con = _private_copy(task)
            try:
                options = dataclasses.replace(
                    task.options, rules_dir=Path(folder), ignore_default=task.ignore_default
                )
                documents, exposures, warnings = regenerate(con, target.pool_id, options)
            finally:
                con.close()
        except AsnSqlError as exc:
            # The pool names the line, as batch's errors do; the rule files keep their names.
            outcome.error = f"{target.pool}: {str(exc).replace(folder, task.rules_shown)}"
            outcome.error_settings = exc.settings
            return outcome
    outcome.report = diff_documents(task.old_documents, documents, task.old_exposures, exposures)
    outcome.warnings = warnings
    return outcome


def _write_rules(folder: Path, files: tuple[tuple[str, bytes], ...]) -> None:
    for relative, contents in files:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents)


def _private_copy(task: ImpactTask) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the migrations and the task's pool rows, as loaded."""
    con = db.connect_memory()
    try:
        con.execute(f"set threads = {int(task.threads)}")
        db.attach(con, Path(":memory:"))
        for name, rows in task.tables.items():
            con.register("impact_rows", rows)
            try:
                con.execute(f'insert into "{name}" by name select * from impact_rows')
            finally:
                con.unregister("impact_rows")
    except BaseException:
        con.close()
        raise
    return con


def regenerate(
    con: duckdb.DuckDBPyConnection, pool_id: int, options: GenerateOptions
) -> tuple[dict[str, dict[str, Any]], RunExposures, list[str]]:
    """One pool's run made on ``con`` (a throwaway database): its documents by file name,
    checked against jwst's schemas as generate checks them, its exposures as diff compares
    orphans, and its warnings. The seam to the engine: today one pool a call."""
    from asn_sql.engine.run import generate_run
    from asn_sql.io.documents import run_documents, validate_documents
    from asn_sql.tools.versions import run_exposures

    summary = generate_run(con, pool_id, options)
    documents = run_documents(con, summary.run_id)
    validate_documents(documents)
    by_name = {doc.file_name: doc.data for doc in documents}
    return by_name, run_exposures(con, summary.run_id), summary.warnings
