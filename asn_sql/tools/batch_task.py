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
    """Load, generate and make the documents of one pool (the task of a batch).

    An error the user can fix (a malformed pool, a failing rule) comes back as
    ``PoolOutcome.error``; anything else is a bug and raises.
    """
    # Imported here: a Dask worker unpickles this module before it runs anything.
    from asn_sql import db
    from asn_sql.engine.run import generate_run
    from asn_sql.io.documents import run_documents, validate_documents
    from asn_sql.io.load import load_into

    outcome = PoolOutcome(task.source)
    con = db.connect_memory()
    try:
        con.execute(f"set threads = {int(task.threads)}")
        loaded = load_into(
            con,
            _MEMORY,
            [Path(task.source)],
            delimiter=task.delimiter,
            replace=False,
            contents=[task.contents],
        )[0]
        summary = generate_run(con, loaded.pool_id, task.options)
        documents = run_documents(con, summary.run_id)
        validate_documents(documents)
        outcome.migrations = [
            name for (name,) in con.execute("select name from schema_migrations").fetchall()
        ]
        outcome.tables = _rows(con)
        outcome.documents = documents
        outcome.summary = summary
        outcome.warnings = loaded.warnings + summary.warnings
    except AsnSqlError as exc:
        outcome.error, outcome.error_settings = str(exc), exc.settings
    finally:
        con.close()
    return outcome


def _rows(con: duckdb.DuckDBPyConnection) -> dict[str, pyarrow.Table]:
    """Every base table that holds rows of a pool or a run, whole: the private database
    holds one pool and one run, so a table's rows are exactly what they wrote."""
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
    return {name: _arrow(con.sql(f'select * from "{name}"')) for (name,) in tables}


def _arrow(relation: duckdb.DuckDBPyRelation) -> pyarrow.Table:
    # DuckDB 1.4 renamed fetch_arrow_table (deprecated since) to to_arrow_table.
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()
