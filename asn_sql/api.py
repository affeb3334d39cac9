"""The operations behind the commands, and the Python API: plain arguments in, results out."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

import asn_sql
from asn_sql import db, interrupt
from asn_sql.bounded import is_pool_file
from asn_sql.engine.rule_check import check_rules
from asn_sql.engine.run import GenerateOptions, Progress, RunSummary, generate_runs
from asn_sql.engine.user_rules import rule_set
from asn_sql.engine.user_sql import forbid_files
from asn_sql.errors import MissingFileError, UsageError
from asn_sql.io.documents import Document, run_documents, stage_run_documents
from asn_sql.io.load import load_into, load_staged_all, stage_pools
from asn_sql.io.pool import DEFAULT_DELIMITER
from asn_sql.io.staged_files import Protected, StagedFolder, protected_database
from asn_sql.names import check_version_id, pool_folder
from asn_sql.tools import runs
from asn_sql.tools.runs import DuplicateNames

if TYPE_CHECKING:
    from asn_sql.tools.diff import RunExposures

# diff's and pool versions' modules are imported where used: generate needs neither.


@dataclass
class GenerateResult:
    """A finished run: its summary, its documents and the files written (none on a dry run)."""

    summary: RunSummary
    documents: list[Document]
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pool: str | None = None  # the name of the pool run


def resolve_pool(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    pool: str | None,
    *,
    delimiter: str = DEFAULT_DELIMITER,
) -> tuple[int, list[str]]:
    """Attach the database to the fresh connection ``con`` and find the pool_id for
    ``pool``: a pool file (loaded now if it is new), a loaded pool's name, or nothing
    when exactly one pool is loaded. Returns warnings of a load too.

    Inside a transaction of ``con`` the load joins it."""
    if pool is not None and is_pool_file(Path(pool)):
        result = load_into(con, db_path, [Path(pool)], delimiter=delimiter, replace=False)[0]
        return result.pool_id, result.warnings
    db.attach(con, db_path)
    return _loaded_pool(con, pool), []


def _loaded_pool(con: duckdb.DuckDBPyConnection, pool: str | None) -> int:
    loaded = con.execute("select pool_id, name from pools order by pool_id").fetchall()
    if pool is not None:
        from asn_sql.tools import versions

        found = versions.find_pool(con, pool)
        if found is None:
            raise UsageError(
                f"{pool!r} is neither a pool file nor the name of a loaded pool or program"
            )
        return found
    if len(loaded) == 1:
        return loaded[0][0]
    if not loaded:
        raise UsageError("no pool is loaded; give a pool file (asnsql generate POOL)")
    names = ", ".join(name for _, name in loaded)
    raise UsageError(f"several pools are loaded ({names}); name one (asnsql generate NAME)")


def generate_documents(
    db_path: Path,
    pool: str | None,
    options: GenerateOptions,
    *,
    output_dir: Path | None,
    delimiter: str = DEFAULT_DELIMITER,
    progress: Progress | None = None,
    save_orphans: Path | None = None,
    keep_documents: bool = True,
) -> GenerateResult:
    """Run the rules over a pool, keep the run, and write its documents to ``output_dir``
    (nothing is written when it is None: a dry run). ``save_orphans``, a file name under
    ``output_dir``, receives the run's orphans as jwst's --save-orphans writes them. With
    ``keep_documents`` false the documents are not returned, so that memory holds one
    batch of them however big the run.

    All or nothing: a new pool's load, the run and its files are one transaction, which
    commits only once every file is complete on disk in a temporary folder; the files
    are then moved into ``output_dir``. Any failure before that leaves the database as
    it was (a database file this call created is removed) and writes no file.

    Ctrl-C (in the main thread) is held from just before the commit until every file is
    in place; one that came then raises interrupt.InterruptedAfterCommit, a
    KeyboardInterrupt whose ``done`` is the complete GenerateResult.
    """
    try:
        (result,) = generate_many(
            db_path,
            [pool],
            options,
            output_dir=output_dir,
            delimiter=delimiter,
            progress=progress,
            save_orphans=save_orphans,
            keep_documents=keep_documents,
        )
    except interrupt.InterruptedAfterCommit as stopped:
        (done,) = stopped.done
        raise interrupt.InterruptedAfterCommit(done) from None
    return result


def generate_many(
    db_path: Path,
    pools: Sequence[str | None],
    options: GenerateOptions,
    *,
    output_dir: Path | None,
    delimiter: str = DEFAULT_DELIMITER,
    progress: Progress | None = None,
    save_orphans: Path | None = None,
    keep_documents: bool = True,
) -> list[GenerateResult]:
    """Run the rules over several pools in one pass (a run per pool, each exactly as
    :func:`generate_documents` of that pool makes it) and write each pool's documents:
    into ``output_dir`` for one pool, else into ``output_dir/POOL/`` (the pool file's
    name without its extension, as `asnsql batch` lays them out), each folder holding
    the files one generate of that pool with ``-p output_dir/POOL`` writes.

    All or nothing, as for one pool: the new pools' loads, the runs and every folder's
    files are one transaction. An interrupt after the commit raises
    interrupt.InterruptedAfterCommit whose ``done`` is the list of results.
    """
    check_version_id(options.version_id)
    if options.rules_dir is not None:
        # A bad user rule stops the run before the database is touched (a new pool loaded).
        rules = rule_set(options.levels, options.rules_dir, options.ignore_default)
        check_rules([rule for rule in rules if rule.user])
    existed, wal_existed = os.path.lexists(db_path), db.wal_path(db_path).exists()
    con = db.connect_memory(spill_beside=db_path)
    # Ctrl-C is held from just before the commit until the files are in place: cut
    # there, the run would be kept with some or none of its files.
    held = interrupt.HeldInterrupt()
    try:
        with ExitStack() as stack:
            staged: list[StagedFolder | None] = [
                stack.enter_context(StagedFolder(folder, _inputs(db_path, pool)))
                if folder is not None
                else None
                for pool, folder in zip(pools, _output_folders(output_dir, pools), strict=True)
            ]
            results = _run_in_one_transaction(
                con,
                db_path,
                pools,
                options,
                staged,
                delimiter,
                progress,
                save_orphans,
                keep_documents,
                before_commit=held.hold,
            )
            for result, folder in zip(results, staged, strict=True):
                result.written = folder.publish() if folder else []
            interrupt.keep(
                "; ".join(
                    _kept_run(r.summary.run_id, s.folder if s else None, len(r.written))
                    for r, s in zip(results, staged, strict=True)
                )
            )
    except BaseException:
        held.release(deliver=False)
        con.close()
        db.clean_up_after_failure(db_path, existed=existed, wal_existed=wal_existed)
        raise
    held.release(deliver=False)
    con.close()
    if held.pending:
        raise interrupt.InterruptedAfterCommit(results)
    return results


def _output_folders(output_dir: Path | None, pools: Sequence[str | None]) -> list[Path | None]:
    """Where each pool's files go: ``output_dir`` for one pool, else ``output_dir/POOL``."""
    if output_dir is None:
        return [None for _ in pools]
    if len(pools) == 1:
        return [output_dir]
    folders = [pool_folder(output_dir, Path(str(pool))) for pool in pools]
    seen: dict[Path, str | None] = {}
    for pool, folder in zip(pools, folders, strict=True):
        if folder in seen:
            raise UsageError(
                f"{pool} and {seen[folder]} would write one folder, {folder}; generate them apart"
            )
        seen[folder] = pool
    return folders


def _kept_run(run_id: int, output_dir: Path | None, files: int) -> str:
    """What an interrupt after a run's commit says was kept, and how to remove it."""
    where = f"its {files} files are in {output_dir}"
    if output_dir is None:
        where = "no file written (a dry run)"
    return f"run {run_id} was committed; {where} (asnsql runs --delete {run_id} removes the run)"


def _inputs(db_path: Path, pool: str | None) -> list[Protected]:
    """What a run's files (--save-orphans above all) must not replace: the database and
    the pool file read."""
    protected = protected_database(db_path)
    if pool is not None and is_pool_file(Path(pool)):
        protected.append((Path(pool), "the pool being read"))
    return protected


def _run_in_one_transaction(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    pools: Sequence[str | None],
    options: GenerateOptions,
    staged: list[StagedFolder | None],
    delimiter: str,
    progress: Progress | None,
    save_orphans: Path | None = None,
    keep_documents: bool = True,
    before_commit: Callable[[], None] | None = None,
) -> list[GenerateResult]:
    files = [pool for pool in pools if pool is not None and is_pool_file(Path(pool))]
    # Checked before the database is touched: a bad pool file changes nothing.
    staged_pools = dict(
        zip(files, stage_pools(con, [Path(p) for p in files], delimiter), strict=True)
    )
    db.attach(con, db_path)
    if options.rules_dir is not None:
        # User rules run as `query` does: the run's tables, never a file.
        forbid_files(con)
    with db.transaction(con):
        new = load_staged_all(con, list(staged_pools.values()), replace=False)
        loaded = dict(zip(staged_pools, new, strict=True))
        pool_ids, warnings = [], []
        for pool in pools:
            if pool in loaded:
                pool_ids.append(loaded[pool].pool_id)
                warnings.append(loaded[pool].warnings)
            else:
                pool_ids.append(_loaded_pool(con, pool))
                warnings.append([])
        if len(set(pool_ids)) != len(pool_ids):
            raise UsageError("a pool is named twice; give each pool once")
        summaries = generate_runs(con, pool_ids, options, progress)
        results = [
            _documents_of_run(con, summary, folder, keep_documents, progress, save_orphans)
            for summary, folder in zip(summaries, staged, strict=True)
        ]
        for result, loaded_warnings in zip(results, warnings, strict=True):
            result.warnings = loaded_warnings + result.warnings + result.summary.warnings
        if before_commit is not None:
            before_commit()
    return results


def _documents_of_run(
    con: duckdb.DuckDBPyConnection,
    summary: RunSummary,
    staged: StagedFolder | None,
    keep_documents: bool,
    progress: Progress | None,
    save_orphans: Path | None,
) -> GenerateResult:
    """Build, check and stage one run's documents (and its orphans file)."""
    (pool_name,) = con.execute(
        "select name from pools where pool_id = $pool", {"pool": summary.pool_id}
    ).fetchone()  # type: ignore[misc]
    # Documents are built, checked and written a batch at a time (one pass: the
    # "documents" phase); "write" is the wait until every file is on disk.
    clock = time.perf_counter()
    if progress:
        progress(f"checking {summary.n_associations} documents")
    names = DuplicateNames()
    done = 0

    def after_batch(batch: list[Document]) -> None:
        nonlocal done
        names.add(batch)
        done += len(batch)
        if progress:
            progress(f"writing files {done}/{summary.n_associations}")

    documents = stage_run_documents(
        con, summary.run_id, staged, keep=keep_documents, on_batch=after_batch
    )
    summary.timings["documents"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if staged is not None:
        if save_orphans is not None:
            text = runs.orphans_text(con, summary.run_id, summary.pool_id)[0]
            staged.write(str(save_orphans), text)
        staged.check_targets()
    summary.timings["write"] = time.perf_counter() - clock
    return GenerateResult(summary, documents, [], names.warnings(), pool_name)


def generate(
    pool_path: str | Path,
    level: int | str = "all",
    *,
    db_path: str | Path | None = None,
    rules: str | Path | None = None,
    ignore_default: bool = False,
) -> dict[str, dict[str, Any]]:
    # The public name is asn_sql.generate, which calls this and is documented there (its
    # docstring is this function's too, set below): importing it must not load DuckDB.
    if str(level) not in ("2", "3", "all"):
        raise UsageError(f"level must be 2, 3 or 'all', not {level!r}")
    if not os.path.lexists(pool_path):
        raise MissingFileError("no such pool file", path=pool_path)
    levels = (2, 3) if level == "all" else (int(level),)
    if db_path is None:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            return generate(
                pool_path,
                level,
                db_path=Path(folder) / "asn.duckdb",
                rules=rules,
                ignore_default=ignore_default,
            )
    options = GenerateOptions(
        levels=levels,
        rules_dir=Path(rules) if rules is not None else None,
        ignore_default=ignore_default,
    )
    result = generate_documents(Path(db_path), str(pool_path), options, output_dir=None)
    return {doc.file_name: doc.data for doc in result.documents}


generate.__doc__ = asn_sql.generate.__doc__


def open_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only, locked connection for queries over runs (asn_sql/sandbox.py)."""
    from asn_sql import sandbox

    return sandbox.open_read_only(db_path)


def read_run(db_path: Path, run_id: int) -> dict[str, dict[str, Any]]:
    """The documents of a kept run, by file name, from a read-only database."""
    con = open_read_only(db_path)
    try:
        known = con.execute("select count(*) from runs where run_id = $run", {"run": run_id})
        if not known.fetchone()[0]:  # type: ignore[index]
            raise runs.no_such_run(run_id)
        return {doc.file_name: doc.data for doc in run_documents(con, run_id)}
    finally:
        con.close()


@dataclass
class DiffSide:
    """One side of ``asnsql diff``: documents by file name, skip notes, and for a run
    (given by id or by pool) its id and exposures, so that orphans are compared too."""

    documents: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    run_id: int | None = None
    exposures: RunExposures | None = None
    pool: str | None = None  # the pool named, whose latest run this is


def read_diff_side(side: str, db_path: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """One side of ``asnsql diff`` (:func:`diff_side`): the documents by file name and
    skip notes."""
    found = diff_side(side, db_path)
    return found.documents, found.notes


def diff_side(side: str, db_path: Path) -> DiffSide:
    """One side of ``asnsql diff``: a folder of association files (preferred when such a
    folder exists), a run id, or a loaded pool's name or program (its latest run)."""
    if Path(side).is_dir():
        # Imported here: only diff reads folders of association files.
        from asn_sql.tools.diff import read_directory

        documents, notes = read_directory(Path(side))
        return DiffSide(documents, notes)
    if side.isdigit():
        return _run_side(db_path, int(side), None)
    from asn_sql.io.query import reading
    from asn_sql.tools import versions

    if db_path.exists():
        with reading(db_path) as con:
            pool_id = versions.find_pool(con, side)
            run_id = None if pool_id is None else versions.latest_run_of_pool(con, pool_id)
        if run_id is not None:
            return _run_side(db_path, run_id, side)
    if not os.path.lexists(side):
        raise MissingFileError(
            "no such folder of association files (nor a run id or a loaded pool)", path=side
        )
    raise UsageError(
        f"{side!r} is neither a folder of association files, a run id nor a loaded pool"
    )


def _run_side(db_path: Path, run_id: int, pool: str | None) -> DiffSide:
    from asn_sql.tools import versions

    con = open_read_only(db_path)
    try:
        known = con.execute("select count(*) from runs where run_id = $run", {"run": run_id})
        if not known.fetchone()[0]:  # type: ignore[index]
            raise runs.no_such_run(run_id)
        documents = {doc.file_name: doc.data for doc in run_documents(con, run_id)}
        return DiffSide(documents, [], run_id, versions.run_exposures(con, run_id), pool)
    finally:
        con.close()
