"""A chunk of a batch's pools, as a worker runs it: load, generate and make the documents
on a private in-memory database, and hand back the chunk's rows and each pool's files.

The task is a plain picklable function of plain data, so the same function runs in a
local worker process or on a Dask worker; the coordinator records what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from asn_sql import __version__
from asn_sql.errors import AsnSqlError

if TYPE_CHECKING:
    import duckdb
    import pyarrow

    from asn_sql.engine.run import GenerateOptions, RunSummary
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
class ChunkRows:
    """The rows of every table a chunk's pools and runs wrote, whole (Arrow tables by
    table name, each sorted by the key that says whose rows they are: run_id for a
    run's table, else pool_id). Its pools' outcomes share it, so that a chunk's rows
    travel to the coordinator once, however many pools it holds."""

    tables: dict[str, pyarrow.Table] = field(default_factory=dict)

    def rows_of(self, pool_id: int, run_id: int) -> dict[str, pyarrow.Table]:
        """The rows one pool and its run wrote (pool_id and run_id as the worker's
        database numbered them)."""
        import pyarrow.compute as pc

        rows = {}
        for name, table in self.tables.items():
            key, value = (
                ("run_id", run_id) if "run_id" in table.column_names else ("pool_id", pool_id)
            )
            rows[name] = table.filter(pc.equal(table.column(key), value))
        return rows

    @cached_property
    def pools(self) -> dict[int, tuple[str, str]]:
        """The (name, sha256) of each pool of the chunk, by the worker's pool_id."""
        pools = self.tables["pools"]
        ids, names, digests = (pools.column(c).to_pylist() for c in ("pool_id", "name", "sha256"))
        return {pool_id: (n, d) for pool_id, n, d in zip(ids, names, digests, strict=True)}


@dataclass
class PoolOutcome:
    """A worker's answer for one pool: its pool_id and run_id in the rows of its chunk
    (:class:`ChunkRows`, shared by the chunk's outcomes), its association files (name,
    JSON text) in output order, warnings; or the one-line error of a pool that could not
    run."""

    source: str
    code_version: str = __version__
    migrations: list[str] = field(default_factory=list)
    chunk: ChunkRows | None = None
    pool_id: int | None = None
    run_id: int | None = None
    files: list[tuple[str, str]] = field(default_factory=list)
    summary: RunSummary | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_settings: tuple[str, ...] = ()

    @property
    def tables(self) -> dict[str, pyarrow.Table]:
        """This pool's rows alone, table by table (empty for a pool that failed)."""
        if self.chunk is None or self.pool_id is None or self.run_id is None:
            return {}
        return self.chunk.rows_of(self.pool_id, self.run_id)


@dataclass
class ChunkOutcomes:
    """A chunk's outcomes as one object, the task's answer: Dask serializes the items of
    a list one by one, and each would carry the chunk's rows again."""

    outcomes: list[PoolOutcome]


def run_chunk_task(tasks: list[PoolTask]) -> ChunkOutcomes:
    """:func:`run_chunk`, its outcomes in one object (what a batch submits)."""
    return ChunkOutcomes(run_chunk(tasks))


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
    from asn_sql.io.pool import create_staging, stage_pool_set

    outcomes = [PoolOutcome(task.source) for task in tasks]
    con = db.connect_memory()
    try:
        con.execute(f"set threads = {max(int(task.threads) for task in tasks)}")
        create_staging(con)
        # Every pool of the chunk is staged by the same few statements; one that
        # cannot be read comes back as its error and is left out.
        staged = {}
        pools = stage_pool_set(
            con, [(Path(task.source), task.contents) for task in tasks], tasks[0].delimiter
        )
        for index, (pool, outcome) in enumerate(zip(pools, outcomes, strict=True)):
            if isinstance(pool, AsnSqlError):
                outcome.error, outcome.error_settings = str(pool), pool.settings
            else:
                staged[index] = pool
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
    """Generate the loaded pools in one pass (else one by one) and fill their outcomes:
    the chunk's rows taken once, the documents of all its runs made in one pass."""
    from asn_sql.io.documents import runs_documents, validate_documents

    summaries = _generate_runs(con, options, loaded, outcomes)
    if not summaries:
        return
    migrations = [name for (name,) in con.execute("select name from schema_migrations").fetchall()]
    chunk = ChunkRows(_rows(con))
    documents = runs_documents(con, [summary.run_id for summary in summaries.values()])
    for index, summary in summaries.items():
        outcome, result = outcomes[index], loaded[index]
        docs = documents.get(summary.run_id, [])
        try:
            validate_documents(docs)
        except AsnSqlError as exc:
            outcome.error, outcome.error_settings = str(exc), exc.settings
            continue
        outcome.migrations = migrations
        outcome.chunk, outcome.pool_id, outcome.run_id = chunk, result.pool_id, summary.run_id
        # Encoded here, not by the coordinator: text travels and is written as it is.
        outcome.files = [(doc.file_name, doc.dumps()) for doc in docs]
        outcome.summary = summary
        outcome.warnings = result.warnings + summary.warnings


def _generate_runs(
    con: duckdb.DuckDBPyConnection,
    options: GenerateOptions,
    loaded: dict[int, LoadResult],
    outcomes: list[PoolOutcome],
) -> dict[int, RunSummary]:
    """The runs of the loaded pools, by chunk index: one pass, or when it fails, a pass
    per pool, a pool whose pass fails getting its error."""
    from asn_sql.engine.run import generate_runs

    try:
        summaries = generate_runs(con, [result.pool_id for result in loaded.values()], options)
        return dict(zip(loaded, summaries, strict=True))
    except AsnSqlError as exc:
        if len(loaded) == 1:
            (index,) = loaded
            outcomes[index].error, outcomes[index].error_settings = str(exc), exc.settings
            return {}
    found: dict[int, RunSummary] = {}
    for index, result in loaded.items():
        found |= _generate_runs(con, options, {index: result}, outcomes)
    return found


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


def _arrow(relation: duckdb.DuckDBPyRelation) -> pyarrow.Table:
    # DuckDB 1.4 renamed fetch_arrow_table (deprecated since) to to_arrow_table.
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()
