"""Recording a worker's chunk of a batch: its pools' rows into the database in one
transaction, their documents into ``DIR/POOL/`` folders, each whole or not at all.

Each pool's folder is written inside the batch's locked temporary folder
(asn_sql/io/staged_files.py, :class:`Staging`), the chunk's folders are synced together
(one os.sync), and renamed into place in the same held section as the commit of the
chunk's runs: a signal never separates a committed run from its folder, and it keeps
either none of the chunk's pools or all of them. A pool that cannot be recorded (another
pool of its name is loaded, a file where its folder goes) fails alone: it is left out of
the chunk's transaction, and when that transaction fails anyway, the pools are recorded
one by one so that the error names its pool. Files in an old ``DIR/POOL/`` that are not
association files (a note the user put there) are carried into the new folder; the old
association files are replaced.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow

from asn_sql import db, interrupt
from asn_sql.errors import AsnSqlError, PoolError
from asn_sql.io.documents import run_documents
from asn_sql.io.staged_files import Staging, sync_folder, write_new_files
from asn_sql.names import ASN_FILE_PATTERN, check_association_file, pool_folder
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
        staged = _stage_folder(area, folder, outcome.files)
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


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    outcomes: list[PoolOutcome],
    output_dir: Path | None,
    area: Staging | None = None,
    recorded: list[tuple[int, str]] | None = None,
) -> list[Recorded | AsnSqlError | None]:
    """Record a chunk's outcomes (each without an error) as :func:`record_outcome` records
    one, all in one transaction: one insert per table for the chunk's rows, the folders
    synced together and placed with the commit. Returns, for each outcome in order, its
    Recorded, or the error that made that pool fail alone (nothing of it was written),
    or None: not recorded, a signal held over an earlier pool's commit stops the batch.
    """
    if not outcomes:
        return []
    results: list[Recorded | AsnSqlError | None] = [None] * len(outcomes)
    staged: dict[int, Path] = {}
    try:
        pools = _pool_rows(con, outcomes)
        for index, outcome in enumerate(outcomes):
            try:
                if isinstance(pools[index], AsnSqlError):
                    raise pools[index]  # type: ignore[misc]
                if output_dir is not None:
                    assert area is not None
                    folder = pool_folder(output_dir, Path(outcome.source))
                    _check_folder(folder)
                    staged[index] = _stage_folder(area, folder, outcome.files, sync=False)
            except AsnSqlError as exc:
                interrupt.check()  # an error the signal caused: no pool failed
                results[index] = exc
        chosen = [index for index, result in enumerate(results) if result is None]
        if staged:
            os.sync()  # every file of the chunk on disk before any folder is placed
        try:
            ids = _record_together(con, outcomes, chosen, pools, output_dir, staged, area, recorded)
        except Exception:
            if interrupt.requested():
                raise
            # Which pool failed is not known: each is recorded alone, and fails alone.
            for index in chosen:
                if index in staged:  # the ones placed were put back and removed
                    shutil.rmtree(staged.pop(index), ignore_errors=True)
            for index in chosen:
                try:
                    one = record_outcome(con, outcomes[index], output_dir, area, recorded)
                except AsnSqlError as exc:
                    interrupt.check()
                    results[index] = exc
                    continue
                results[index] = one
                if one.interrupted:
                    break  # the signal held over that commit stops the batch here
            return results
        for index, recorded_one in zip(chosen, ids, strict=True):
            results[index] = recorded_one
    finally:
        for path in staged.values():
            shutil.rmtree(path, ignore_errors=True)  # placed folders are no longer there
    return results


def _record_together(
    con: duckdb.DuckDBPyConnection,
    outcomes: list[PoolOutcome],
    chosen: list[int],
    pools: list[tuple[int | None, str] | AsnSqlError],
    output_dir: Path | None,
    staged: dict[int, Path],
    area: Staging | None,
    recorded: list[tuple[int, str]] | None,
) -> list[Recorded]:
    """The chosen outcomes' rows in one transaction, their folders placed with the commit."""
    if not chosen:
        return []
    held = interrupt.HeldInterrupt()
    placed: list[tuple[Path, Path | None]] = []  # (folder, its old folder moved aside)
    committed = False
    try:
        with db.transaction(con):
            pool_ids: dict[int, int] = {}
            new = [index for index in chosen if pools[index][0] is None]  # type: ignore[index]
            fresh = dict(zip(new, _next_many(con, "pools_pool_id_seq", len(new)), strict=True))
            new_pools = set(new)
            for index in chosen:
                known = pools[index][0]  # type: ignore[index]
                pool_ids[index] = fresh[index] if known is None else known
            numbers = _next_many(con, "runs_run_id_seq", len(chosen))
            run_ids = dict(zip(chosen, numbers, strict=True))
            _insert_chunk(con, outcomes, chosen, new_pools, pool_ids, run_ids)
            # From here the runs and their folders go together: a signal waits for all.
            held.hold()
            if output_dir is not None:
                assert area is not None
                for index in chosen:
                    folder = pool_folder(output_dir, Path(outcomes[index].source))
                    backup = _swap_in(staged[index], folder, area)
                    placed.append((folder, backup))
                    del staged[index]
                sync_folder(output_dir)
        committed = True
        folders = {
            index: pool_folder(output_dir, Path(outcomes[index].source)) if output_dir else None
            for index in chosen
        }
        if recorded is not None:
            # Still held: no signal can come between the commit and this note.
            recorded.extend(
                (run_ids[index], str(folders[index] or outcomes[index].source)) for index in chosen
            )
    except BaseException:
        if not committed:
            for folder, backup in reversed(placed):
                _swap_back(folder, backup)
        held.release(deliver=False)
        raise
    held.release(deliver=False)
    for _, backup in placed:
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    return [Recorded(run_ids[index], folders[index], held.pending) for index in chosen]


def _pool_rows(
    con: duckdb.DuckDBPyConnection, outcomes: list[PoolOutcome]
) -> list[tuple[int | None, str] | AsnSqlError]:
    """For each outcome, (pool_id of its pool when loaded already, else None, its name),
    or the PoolError of a different pool of that name loaded (one query for the chunk)."""
    named = [_name_and_sha256(outcome) for outcome in outcomes]
    loaded = dict(
        (name, (pool_id, sha256))
        for name, pool_id, sha256 in con.execute(
            "select name, pool_id, sha256 from pools where list_contains($names, name)",
            {"names": [name for name, _ in named]},
        ).fetchall()
    )
    rows: list[tuple[int | None, str] | AsnSqlError] = []
    for (name, sha256), outcome in zip(named, outcomes, strict=True):
        if name not in loaded:
            rows.append((None, name))
        elif loaded[name][1] != sha256:
            rows.append(
                PoolError(
                    f"a different pool named {name} is already loaded "
                    "(replacing it reloads it and removes its runs)",
                    path=outcome.source,
                    settings=("reload",),
                )
            )
        else:
            rows.append((int(loaded[name][0]), name))
    return rows


def _name_and_sha256(outcome: PoolOutcome) -> tuple[str, str]:
    """The name and sha256 of an outcome's pool, from its chunk's pools rows."""
    assert outcome.chunk is not None and outcome.pool_id is not None
    return outcome.chunk.pools[outcome.pool_id]


def _next_many(con: duckdb.DuckDBPyConnection, sequence: str, count: int) -> list[int]:
    """``count`` new numbers of ``sequence``, ascending."""
    if count == 0:
        return []
    rows = con.execute(f"select nextval('{sequence}') from range($n)", {"n": count}).fetchall()
    return sorted(int(value) for (value,) in rows)


def _insert_chunk(
    con: duckdb.DuckDBPyConnection,
    outcomes: list[PoolOutcome],
    chosen: list[int],
    new_pools: set[int],
    pool_ids: dict[int, int],
    run_ids: dict[int, int],
) -> None:
    """One insert per table of the chosen pools' rows (a pool's own tables for new pools
    only), pool_id and run_id the database's own, in the chunk's order."""
    by_chunk: dict[int, list[int]] = {}
    for index in chosen:
        chunk = outcomes[index].chunk
        assert chunk is not None
        by_chunk.setdefault(id(chunk), []).append(index)
    for indexes in by_chunk.values():
        chunk = outcomes[indexes[0]].chunk
        assert chunk is not None
        for table, rows in chunk.tables.items():
            keyed = "run_id" in rows.column_names
            mine = [index for index in indexes if keyed or index in new_pools]
            if not mine:
                continue  # pools, exposures, candidates: loaded already
            rows = _renumbered(rows, [outcomes[i] for i in mine], mine, pool_ids, run_ids)
            con.register(_ROWS, rows)
            try:
                # The names come from our own migrations (the worker's schema is checked
                # equal); every value travels as a column.
                con.execute(f'insert into "{table}" by name select * from {_ROWS}')
            finally:
                con.unregister(_ROWS)


def _renumbered(
    rows: pyarrow.Table,
    outcomes: list[PoolOutcome],
    indexes: list[int],
    pool_ids: dict[int, int],
    run_ids: dict[int, int],
) -> pyarrow.Table:
    """The rows of a chunk's table that belong to ``outcomes`` (by run_id when the table
    has one, else by pool_id), in their order, with the database's pool_id and run_id."""
    import pyarrow.compute as pc

    key = "run_id" if "run_id" in rows.column_names else "pool_id"
    worker_ids = [outcome.run_id if key == "run_id" else outcome.pool_id for outcome in outcomes]
    value_set = pyarrow.array(worker_ids, rows.schema.field(key).type)
    positions = pc.index_in(rows.column(key), value_set=value_set)
    if positions.null_count:  # some of the chunk's pools are not recorded here
        kept = pc.is_valid(positions)
        rows, positions = rows.filter(kept), positions.filter(kept)
    for column, ids in (("pool_id", pool_ids), ("run_id", run_ids)):
        if column in rows.column_names:
            field = rows.schema.field(column)
            values = pyarrow.array([ids[index] for index in indexes], field.type)
            rows = rows.set_column(rows.column_names.index(column), field, values.take(positions))
    return rows


def _check_folder(folder: Path) -> None:
    # Only an old folder of the pool is moved aside (and removed after the commit): a
    # file of that name (a database, a pool) is someone's data.
    if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
        raise PoolError("is a file, not this pool's folder; move it away", path=folder)


def write_run_folder(
    con: duckdb.DuckDBPyConnection, run_id: int, output_dir: Path, source: Path, area: Staging
) -> tuple[Path, bool]:
    """The folder of a recorded run, and whether it was written again from the database
    (it was missing)."""
    folder = pool_folder(output_dir, source)
    if folder.is_dir():
        return folder, False
    files = [(doc.file_name, doc.dumps()) for doc in run_documents(con, run_id)]
    staged = _stage_folder(area, folder, files)
    with interrupt.HeldInterrupt():
        _swap_in(staged, folder, area)
    return folder, True


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


def _stage_folder(
    area: Staging, folder: Path, files: list[tuple[str, str]], *, sync: bool = True
) -> Path:
    """The association files (name, JSON text), and the user's own files of the old
    ``folder`` if there is one, written into a new folder of the batch's temporary folder.
    The folder is made as any folder is (0777 less the umask), like the folders generate
    -p makes. Without
    ``sync`` the caller syncs (once for a chunk's folders) before it moves them."""
    for name, _ in files:
        check_association_file(name)
    staged = area.path / f"new-{next(_numbers)}"
    os.mkdir(staged)
    try:
        write_new_files(staged, files)
        _carry_user_files(folder, staged)
        if sync:
            os.sync()
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
    _check_folder(folder)
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
