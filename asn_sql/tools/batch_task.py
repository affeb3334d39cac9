"""One pool of a batch, as a worker runs it: load, generate and make the documents on a
private in-memory database, and hand back the rows and documents.

The task is a plain picklable function of plain data, so the same function runs in a
local worker process or on a Dask worker; the coordinator records what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asn_sql import __version__
from asn_sql.errors import AsnSqlError

if TYPE_CHECKING:
    import duckdb
    import pyarrow

    from asn_sql.engine.run import GenerateOptions, RunSummary
    from asn_sql.io.documents import Document
    from asn_sql.io.load import LoadResult

# An in-memory catalog stands in for the database file: the same migrations, the same
# load and generate code, one pool and one run.
_MEMORY = Path(":memory:")


@dataclass(frozen=True)
class PoolTask:
    """What a worker needs for one pool: its bytes travel with the task, so a worker
    needs asnsql installed but no access to the coordinator's files."""

    source: str  # the path as the coordinator was given it: names the pool and its errors
    contents: bytes
    delimiter: str
    options: GenerateOptions
    threads: int = 1  # DuckDB threads of this task


@dataclass
class PoolOutcome:
    """A worker's answer: the rows of every table the pool and its run wrote (Arrow
    tables by table name, pool_id and run_id as the private database numbered them),
    the documents, warnings; or the one-line error of a pool that could not run."""

    source: str
    code_version: str = __version__
    migrations: list[str] = field(default_factory=list)
    tables: dict[str, pyarrow.Table] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    summary: RunSummary | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_settings: tuple[str, ...] = ()


def run_pool(task: PoolTask) -> PoolOutcome:
    """Load, generate and make the documents of one pool: the chunk of one."""
    return run_chunk([task])[0]


def run_chunk(tasks: list[PoolTask]) -> list[PoolOutcome]:
    """Load a chunk of pools, generate them in one pass (every statement once for the
    chunk, a run per pool) and make their documents (the task of a batch).

    An error the user can fix (a malformed pool, a failing rule) comes back as that
    pool's ``PoolOutcome.error``, and the other pools go on: a pool that cannot be read
    is left out of the pass, and when the pass fails each pool is run alone to find
    whose error it is. Anything else is a bug and raises.
    """
    # Imported here: a Dask worker unpickles this module before it runs anything.
    from asn_sql import db
    from asn_sql.io.load import load_staged_all
    from asn_sql.io.pool import create_staging, stage_pool

    outcomes = [PoolOutcome(task.source) for task in tasks]
    con = db.connect_memory()
    try:
        con.execute(f"set threads = {max(int(task.threads) for task in tasks)}")
        create_staging(con)
        staged = {}
        for index, (task, outcome) in enumerate(zip(tasks, outcomes, strict=True)):
            try:
                staged[index] = stage_pool(
                    con, Path(task.source), index, task.delimiter, contents=task.contents
                )
            except AsnSqlError as exc:
                outcome.error, outcome.error_settings = str(exc), exc.settings
        db.attach(con, _MEMORY)
        results = load_staged_all(con, list(staged.values()), replace=False)
        loaded = dict(zip(staged, results, strict=True))
        if loaded:
            _generate(con, tasks[0].options, loaded, outcomes)
    finally:
        con.close()
    return outcomes


def _generate(
    con: duckdb.DuckDBPyConnection,
    options: GenerateOptions,
    loaded: dict[int, LoadResult],
    outcomes: list[PoolOutcome],
) -> None:
    """Generate the loaded pools in one pass, else (the pass failed) one by one, and fill
    their outcomes."""
    from asn_sql.engine.run import generate_runs

    try:
        summaries = generate_runs(con, [result.pool_id for result in loaded.values()], options)
    except AsnSqlError:
        if len(loaded) == 1:
            (index,) = loaded
            _failed(outcomes[index])
            return
        for index, result in loaded.items():
            _generate(con, options, {index: result}, outcomes)
        return
    migrations = [name for (name,) in con.execute("select name from schema_migrations").fetchall()]
    tables = _rows(con)
    for (index, result), summary in zip(loaded.items(), summaries, strict=True):
        outcome = outcomes[index]
        try:
            outcome.documents = _documents(con, summary.run_id)
        except AsnSqlError:
            _failed(outcome)
            continue
        outcome.migrations = migrations
        outcome.tables = _rows_of(tables, result.pool_id, summary.run_id)
        outcome.summary = summary
        outcome.warnings = result.warnings + summary.warnings


def _failed(outcome: PoolOutcome) -> None:
    """Record the error being handled as the outcome's."""
    import sys

    exc = sys.exc_info()[1]
    assert isinstance(exc, AsnSqlError)
    outcome.error, outcome.error_settings = str(exc), exc.settings


def _documents(con: duckdb.DuckDBPyConnection, run_id: int) -> list[Document]:
    from asn_sql.io.documents import run_documents, validate_documents

    documents = run_documents(con, run_id)
    validate_documents(documents)
    return documents


def _rows(con: duckdb.DuckDBPyConnection) -> dict[str, pyarrow.Table]:
    """Every base table that holds rows of a pool or a run, whole: the private database
    holds the chunk's pools and runs only."""
    tables = con.execute(
        """
        select distinct table_name from information_schema.columns
        where table_catalog = current_database() and column_name in ('pool_id', 'run_id')
          and table_name in (select table_name from information_schema.tables
                             where table_catalog = current_database()
                               and table_type = 'BASE TABLE')
        order by table_name
        """
    ).fetchall()
    keyed = {
        name: "run_id" if "run_id" in columns else "pool_id"
        for name, columns in _columns(con, [name for (name,) in tables]).items()
    }
    # sorted by the key that says whose rows they are, each pool's rows in the order
    # they were written in (rowid)
    return {
        name: _arrow(con.sql(f'select * from "{name}" order by {key}, rowid'))
        for name, key in keyed.items()
    }


def _columns(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_name, list(column_name) from information_schema.columns "
        "where table_catalog = current_database() and list_contains($tables, table_name) "
        "group by table_name order by table_name",
        {"tables": tables},
    ).fetchall()
    return dict(rows)


def _rows_of(
    tables: dict[str, pyarrow.Table], pool_id: int, run_id: int
) -> dict[str, pyarrow.Table]:
    """The rows one pool and its run wrote: a table with a run_id is a run's, else a
    pool's (pools, exposures, candidates). The tables come sorted by that key
    (:func:`_rows`), so each pool's rows are one run of them, found by binary search."""
    import bisect

    import pyarrow

    rows = {}
    for name, table in tables.items():
        key, value = ("run_id", run_id) if "run_id" in table.column_names else ("pool_id", pool_id)
        keys = table.column(key).to_pylist() if table.num_rows else []
        start, end = bisect.bisect_left(keys, value), bisect.bisect_right(keys, value)
        # taken, not sliced: a pickled slice carries its whole table's buffers, and each
        # pool's outcome would carry the chunk's rows to the coordinator again
        rows[name] = table.take(pyarrow.array(range(start, end), pyarrow.int64()))
    return rows


def _arrow(relation: duckdb.DuckDBPyRelation) -> pyarrow.Table:
    # DuckDB 1.4 renamed fetch_arrow_table (deprecated since) to to_arrow_table.
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()
