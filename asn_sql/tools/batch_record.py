"""Recording one pool of a batch: a worker's rows into the database in one transaction,
its documents into ``DIR/POOL/``, which appears whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from asn_sql import db
from asn_sql.errors import PoolError
from asn_sql.io.documents import Document, run_documents, write_documents
from asn_sql.names import pool_folder
from asn_sql.tools.batch_task import PoolOutcome

# The name a worker's Arrow rows take while they are inserted.
_ROWS = "batch_rows"


def record_outcome(
    con: duckdb.DuckDBPyConnection, outcome: PoolOutcome, output_dir: Path | None
) -> tuple[int, Path | None]:
    """Insert a worker's rows (its pool, when new, and its run) with the database's own
    pool_id and run_id, in one transaction, and place the pool's folder before the commit.

    Returns the run_id and the folder (None on a dry run). On any error the database and
    the folder are as they were. Raises PoolError when a different pool of that name is
    loaded.
    """
    source = Path(outcome.source)
    folder = pool_folder(output_dir, source) if output_dir else None
    staged = _stage_folder(output_dir, source, outcome.documents) if output_dir else None
    backup: Path | None = None
    placed = False
    try:
        with db.transaction(con):
            pool_id, new_pool = _pool_id(con, outcome)
            run_id = _next(con, "runs_run_id_seq")
            for table, rows in outcome.tables.items():
                columns = rows.column_names
                if "run_id" not in columns and not new_pool:
                    continue  # pools, exposures, candidates: loaded already
                _insert(con, table, rows, columns, pool_id, run_id)
            if staged is not None and folder is not None:
                backup = _swap_in(staged, folder)
                placed = True
    except BaseException:
        if placed:
            _swap_back(folder, backup)  # type: ignore[arg-type]
        elif staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return run_id, folder


def write_run_folder(
    con: duckdb.DuckDBPyConnection, run_id: int, output_dir: Path, source: Path
) -> Path:
    """The folder of a recorded run: written again from the database when it is missing."""
    folder = pool_folder(output_dir, source)
    if not folder.is_dir():
        staged = _stage_folder(output_dir, source, run_documents(con, run_id))
        _swap_in(staged, folder)
    return folder


def _pool_id(con: duckdb.DuckDBPyConnection, outcome: PoolOutcome) -> tuple[int, bool]:
    pool = outcome.tables["pools"]
    name, sha256 = pool.column("name")[0].as_py(), pool.column("sha256")[0].as_py()
    rows = con.execute(
        "select pool_id, sha256 from pools where name = $name", {"name": name}
    ).fetchall()
    row = rows[0] if rows else None
    if row is None:
        return _next(con, "pools_pool_id_seq"), True
    if row[1] != sha256:
        raise PoolError(
            f"a different pool named {name} is already loaded "
            "(replacing it reloads it and removes its runs)",
            path=outcome.source,
            settings=("reload",),
        )
    return int(row[0]), False


def _next(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    # fetchall: DuckDB refuses other work on a connection with a result left unfetched.
    return int(con.execute(f"select nextval('{sequence}')").fetchall()[0][0])


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: object,
    columns: list[str],
    pool_id: int,
    run_id: int,
) -> None:
    # The names come from our own migrations (the worker's schema is checked equal);
    # every value travels as a column or a bound parameter.
    ids = [f"${key}::integer as {key}" for key in ("pool_id", "run_id") if key in columns]
    replace = f" replace ({', '.join(ids)})" if ids else ""
    params = {k: v for k, v in {"pool_id": pool_id, "run_id": run_id}.items() if k in columns}
    con.register(_ROWS, rows)
    try:
        con.execute(f'insert into "{table}" by name select *{replace} from {_ROWS}', params)
    finally:
        con.unregister(_ROWS)


def _stage_folder(output_dir: Path, source: Path, documents: list[Document]) -> Path:
    """The documents written into a fresh hidden folder beside their final place."""
    output_dir.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{source.stem}.", suffix=".tmp", dir=output_dir))
    try:
        write_documents(documents, staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def _swap_in(staged: Path, folder: Path) -> Path | None:
    """Rename ``staged`` to ``folder``; an old folder is moved aside first and returned,
    to be removed after the commit or put back if it fails."""
    backup = None
    if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
        # Only an old folder of the pool is moved aside (and removed after the commit):
        # a file of that name (a database, a pool) is someone's data.
        raise PoolError("is a file, not this pool's folder; move it away", path=folder)
    if folder.exists():
        backup = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
        os.replace(folder, backup / folder.name)
    os.replace(staged, folder)
    return backup


def _swap_back(folder: Path, backup: Path | None) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if backup is not None:
        os.replace(backup / folder.name, folder)
        shutil.rmtree(backup, ignore_errors=True)
