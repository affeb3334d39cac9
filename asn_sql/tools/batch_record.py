"""Recording one pool of a batch: a worker's rows into the database in one transaction,
its documents into ``DIR/POOL/``, which appears whole or not at all.

A pool's folder is written inside the batch's locked temporary folder
(asn_sql/io/staged_files.py, :class:`Staging`) and renamed into place in the same held
section as the commit of its run: a signal never separates a committed run from its
folder. Files in an old ``DIR/POOL/`` that are not association files (a note the user
put there) are carried into the new folder; the old association files are replaced.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from asn_sql import db, interrupt
from asn_sql.errors import PoolError
from asn_sql.io.documents import Document, run_documents, write_documents
from asn_sql.io.staged_files import Staging
from asn_sql.names import ASN_FILE_PATTERN, pool_folder
from asn_sql.tools.batch_task import PoolOutcome

# The name a worker's Arrow rows take while they are inserted.
_ROWS = "batch_rows"
# The files of DIR/POOL/ a new run replaces: association files; anything else is kept.
_ASN_FILE = re.compile(ASN_FILE_PATTERN)
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Recorded:
    """A pool recorded: its run, its folder (None on a dry run), and whether a signal came
    while it was committed (held until the run and its folder were whole)."""

    run_id: int
    folder: Path | None
    interrupted: bool


def record_outcome(
    con: duckdb.DuckDBPyConnection,
    outcome: PoolOutcome,
    output_dir: Path | None,
    area: Staging | None = None,
    recorded: list[tuple[int, str]] | None = None,
) -> Recorded:
    """Insert a worker's rows (its pool, when new, and its run) with the database's own
    pool_id and run_id, in one transaction, and place the pool's folder with the commit.

    On any error the database and the folder are as they were. Raises PoolError when a
    different pool of that name is loaded. ``recorded`` gets (run_id, folder) at the
    commit, before a held signal is let through.
    """
    source = Path(outcome.source)
    folder = pool_folder(output_dir, source) if output_dir else None
    staged = None
    if output_dir is not None and folder is not None:
        assert area is not None
        staged = _stage_folder(area, folder, outcome.documents)
    held = interrupt.HeldInterrupt()
    backup: Path | None = None
    placed = committed = False
    try:
        with db.transaction(con):
            pool_id, new_pool = _pool_id(con, outcome)
            run_id = _next(con, "runs_run_id_seq")
            for table, rows in outcome.tables.items():
                columns = rows.column_names
                if "run_id" not in columns and not new_pool:
                    continue  # pools, exposures, candidates: loaded already
                _insert(con, table, rows, columns, pool_id, run_id)
            # From here the run and its folder go together: a signal waits for both.
            held.hold()
            if staged is not None and folder is not None:
                assert area is not None
                backup = _swap_in(staged, folder, area)
                placed = True
        committed = True
        if recorded is not None:
            # Still held: no signal can come between the commit and this note.
            recorded.append((run_id, str(folder if folder is not None else source)))
    except BaseException:
        if placed and not committed:
            _swap_back(folder, backup)  # type: ignore[arg-type]
        elif staged is not None and not placed:
            shutil.rmtree(staged, ignore_errors=True)
        held.release(deliver=False)
        raise
    held.release(deliver=False)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return Recorded(run_id, folder, held.pending)


def write_run_folder(
    con: duckdb.DuckDBPyConnection, run_id: int, output_dir: Path, source: Path, area: Staging
) -> Path:
    """The folder of a recorded run: written again from the database when it is missing."""
    folder = pool_folder(output_dir, source)
    if not folder.is_dir():
        staged = _stage_folder(area, folder, run_documents(con, run_id))
        with interrupt.HeldInterrupt():
            _swap_in(staged, folder, area)
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


def _stage_folder(area: Staging, folder: Path, documents: list[Document]) -> Path:
    """The documents, and the user's own files of the old ``folder`` if there is one,
    written into a new folder of the batch's temporary folder. The folder is made as
    any folder is (0777 less the umask), like the folders generate -p makes."""
    staged = area.path / f"new-{next(_numbers)}"
    os.mkdir(staged)
    try:
        write_documents(documents, staged)
        _carry_user_files(folder, staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def _carry_user_files(old: Path, new: Path) -> None:
    """Hard-link (or copy) into ``new`` every entry of the old folder that is not an
    association file: regenerating a pool replaces asnsql's files, never the user's."""
    if old.is_symlink() or not old.is_dir():
        return
    for entry in os.scandir(old):
        if _ASN_FILE.fullmatch(entry.name) or os.path.lexists(new / entry.name):
            continue
        source, target = Path(entry.path), new / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(source), target)
        elif entry.is_dir():
            shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(source, target)


def _link_or_copy(source: Path | str, target: Path | str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _swap_in(staged: Path, folder: Path, area: Staging) -> Path | None:
    """Rename ``staged`` to ``folder``; an old folder is moved into the temporary folder
    first and returned, to be removed after the commit or put back if it fails. Called
    with signals held: the old folder is never gone without the new one in place."""
    backup = None
    if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
        # Only an old folder of the pool is moved aside (and removed after the commit):
        # a file of that name (a database, a pool) is someone's data.
        raise PoolError("is a file, not this pool's folder; move it away", path=folder)
    if folder.exists():
        backup = area.path / f"old-{next(_numbers)}"
        os.replace(folder, backup)
    try:
        os.replace(staged, folder)
    except BaseException:
        if backup is not None:
            os.replace(backup, folder)
        raise
    return backup


def _swap_back(folder: Path, backup: Path | None) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if backup is not None:
        os.replace(backup, folder)
