"""Many pools at once: the coordinator of `asnsql batch`.

Pools go to workers in chunks sized by rows (:func:`asn_sql.tools.batch_task.run_chunk`,
one pass of the engine over the chunk, a run per pool), through a
``concurrent.futures.Executor``: local worker processes, or a Dask cluster through
``Client.get_executor()``; nothing here knows which. The coordinator is the only writer
of the database and of the output folder: it records each pool and its run in one
transaction and places the pool's files under ``DIR/POOL/``.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from asn_sql import __version__, db, interrupt
from asn_sql.engine.rules import rules_for, rules_hash
from asn_sql.engine.run import GenerateOptions
from asn_sql.errors import AsnSqlError, PoolError, UsageError
from asn_sql.io.pool import read_pool_bytes
from asn_sql.io.staged_files import Staging
from asn_sql.names import pool_folder
from asn_sql.templates import sql_digest
from asn_sql.tools.batch_record import Recorded, record_outcomes, write_run_folder
from asn_sql.tools.batch_task import ChunkOutcomes, PoolOutcome, PoolTask, run_chunk_task

# Tasks in flight per worker slot: one running, one waiting, so that no worker
# idles while the coordinator records a result.
_IN_FLIGHT = 2
# A chunk holds pools up to about this many rows (a bigger pool goes alone): one pass
# costs about the same for one small pool as for dozens, most of it DuckDB planning
# the rules' statements, so small pools are worth running together.
CHUNK_ROWS = 4000
# ... but no more than this many pools, and no more rows than give each worker slot
# two chunks of the batch, so that every worker has work.
CHUNK_POOLS = 100
# The most local worker processes: each is a whole Python and DuckDB (some 150 MB), and
# the operating system's limits on processes and semaphores come soon after.
MAX_WORKERS = 1024


@dataclass(frozen=True)
class BatchSettings:
    """What `asnsql batch` was asked for."""

    options: GenerateOptions
    output_dir: Path | None  # None: a dry run, nothing written
    delimiter: str
    force: bool = False


@dataclass
class PoolReport:
    """What became of one pool: done, skipped or failed."""

    source: str
    status: str
    folder: Path | None = None
    run_id: int | None = None
    by_type: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_settings: tuple[str, ...] = ()  # the settings the error names (AsnSqlError.settings)


@dataclass
class BatchSummary:
    """Counts over a batch; ``by_type`` counts the associations of the pools done."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def add(self, report: PoolReport) -> None:
        """Count one pool's report."""
        setattr(self, report.status, getattr(self, report.status) + 1)
        self.by_type.update(report.by_type)


def find_pools(arguments: Sequence[Path]) -> list[Path]:
    """Pool files from the command line: a folder stands for every ``*.csv`` in it, in
    name order; any other argument is taken as a pool file (a missing one fails alone).
    A file named twice (``p.csv ./p.csv``, a link to it, a folder holding it) is run
    once, as first named."""
    found: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            pools = sorted(p for p in argument.glob("*.csv") if p.is_file())
            if not pools:
                raise UsageError("no pool file (*.csv) in this folder", path=argument)
            found += pools
        else:
            found.append(argument)
    seen: set[object] = set()
    unique = []
    for path in found:
        key = _file_key(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _file_key(path: Path) -> object:
    """What makes two names one file: its device and inode (links, hard links, ``./``);
    for a name that is no file, its absolute path with links resolved."""
    try:
        info = path.stat()
    except OSError:
        return os.path.realpath(path)
    return (info.st_dev, info.st_ino)


def check_workers(count: int) -> int:
    """``count`` when it is a number of local worker processes asnsql starts (1 to
    MAX_WORKERS); UsageError otherwise."""
    if not 1 <= count <= MAX_WORKERS:
        raise UsageError(
            f"the number of workers must be from 1 to {MAX_WORKERS:,}, not {count}",
            settings=("workers",),
        )
    return count


@contextmanager
def open_executor(workers: int | None, scheduler: str | None) -> Iterator[tuple[Executor, int]]:
    """The executor of a batch and how many tasks it runs at once: a Dask cluster when
    ``scheduler`` is an address, else ``workers`` local processes (default: the CPU count).

    Raises UsageError when Dask is not installed or the scheduler cannot be reached.
    """
    if scheduler:
        with _dask_executor(scheduler) as (executor, slots):
            yield executor, slots
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    count = check_workers(workers or os.cpu_count() or 1)
    # spawn, not fork: the coordinator holds DuckDB's threads and the file lock, which
    # a forked child must not inherit. Each worker ends with the coordinator, even one
    # killed outright (interrupt.quiet_worker).
    executor = ProcessPoolExecutor(
        count,
        mp_context=get_context("spawn"),
        initializer=interrupt.quiet_worker,
        initargs=(os.getpid(),),
    )
    try:
        yield executor, count
    except BaseException:
        # Interrupted or failed: the workers' results are no longer wanted; waiting for
        # their tasks to end would keep Ctrl-C waiting for minutes. Nothing of this
        # cleanup may replace the error on its way (its message says what was kept).
        try:
            stop_workers(executor)
        except Exception:  # noqa: S110 - the error on its way is what counts
            pass
        raise
    executor.shutdown(wait=True, cancel_futures=True)


def stop_workers(executor: Executor) -> None:
    """Cancel what has not started and end the local worker processes at once."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass  # ended already
    for process in processes:
        try:
            process.join(timeout=10)
        except (OSError, ValueError, AssertionError):
            pass


@contextmanager
def _dask_executor(address: str) -> Iterator[tuple[Executor, int]]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "a Dask scheduler needs Dask distributed: pip install 'asnsql[dask]'",
            settings=("scheduler",),
        ) from None
    from asn_sql.tools.scheduler_probe import probe_scheduler

    probe_scheduler(address)
    try:
        client = Client(address, timeout="5s")
    except Exception as exc:  # Dask's errors of a peer are of many kinds: name the address
        raise UsageError(
            f"cannot reach the Dask scheduler at {address}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        ) from None
    with client:
        slots = sum(client.nthreads().values()) or 1
        # pure=False: a pool given twice (--force) is run again, not served from memory.
        executor = client.get_executor(pure=False)
        try:
            yield executor, slots
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise


def run_batch(
    db_path: Path,
    pools: Sequence[Path],
    settings: BatchSettings,
    executor: Executor,
    slots: int,
    report: Callable[[PoolReport], None],
    *,
    threads: int = 1,
    chunk_rows: int | None = None,
) -> BatchSummary:
    """Generate every pool through ``executor``, record each as it finishes, and call
    ``report`` once per pool. A pool that fails is reported and the others go on.
    ``chunk_rows`` sets the rows of a chunk (1: a pool a task); None sizes them by the
    batch (:func:`_chunk_rows`).

    Raises DatabaseError when the database cannot be opened; UsageError for an output
    folder that is a file.
    """
    output = settings.output_dir
    if output is not None and output.exists() and not output.is_dir():
        raise UsageError("is a file, not a folder", path=output, settings=("output_dir",))
    con = db.open_database(db_path)
    area: Staging | None = None
    summary = BatchSummary()
    recorded: list[tuple[int, str]] = []
    rewritten: list[str] = []
    try:
        if output is not None:
            area = _staging_area(output)
        coordinator = _Coordinator(con, settings, threads, area)
        recorded, rewritten = coordinator.recorded, coordinator.rewritten
        pending: dict[Future[ChunkOutcomes], list[str]] = {}

        def finish(pool_report: PoolReport) -> None:
            summary.add(pool_report)
            report(pool_report)

        size = chunk_rows or _chunk_rows(pools, slots)
        chunks = _chunks(pools, coordinator, finish, size, slots)
        while True:
            while len(pending) < slots * _IN_FLIGHT:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending[_submit(executor, chunk)] = [task.source for task in chunk]
                interrupt.check()
            if not pending:
                return summary
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for pool_report in coordinator.record_chunk(pending.pop(future), future):
                    finish(pool_report)
                if coordinator.stop:
                    raise KeyboardInterrupt  # held over a commit: the runs are whole
            interrupt.check()
    except BaseException as exc:
        # DuckDB turns a signal in a statement into an error of its own: still the signal.
        if isinstance(exc, KeyboardInterrupt) or interrupt.requested():
            line = _interrupted_line(recorded, rewritten, summary, len(pools))
            raise interrupt.Interrupted(line) from None
        raise
    finally:
        try:
            con.close()
        finally:
            if area is not None:
                area.remove()


def _staging_area(output: Path) -> Staging:
    """The batch's locked temporary folder inside ``output`` (made if missing), where each
    pool's folder is written before it is renamed into place."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        return Staging(output)
    except OSError as exc:
        raise UsageError(
            f"cannot write here: {exc.strerror or exc}", path=output, settings=("output_dir",)
        ) from None


def _interrupted_line(
    runs: list[tuple[int, str]], rewritten: list[str], summary: BatchSummary, total: int
) -> str:
    """What an interrupted batch kept: the runs recorded (each with its folder) and how
    to remove them, the missing folders of earlier runs it wrote again; the pools not
    recorded were not run (or not finished). A bare "interrupted" says no file was
    written and nothing recorded."""
    left = total - len(runs) - summary.skipped - summary.failed
    kept = []
    if runs:
        ids = " ".join(str(run_id) for run_id, _ in runs)
        shown = ", ".join(f"run {run_id} ({where})" for run_id, where in runs)
        recorded = "1 pool was" if len(runs) == 1 else f"{len(runs)} pools were"
        kept.append(
            f"{recorded} recorded, each whole with its folder: {shown} "
            f"(asnsql runs --delete {ids} removes them)"
        )
    if rewritten:
        folders = "1 missing folder" if len(rewritten) == 1 else f"{len(rewritten)} missing folders"
        kept.append(
            f"{folders} of earlier runs {'was' if len(rewritten) == 1 else 'were'} written "
            f"again from the database, each whole: {', '.join(rewritten)}"
        )
    if not kept:
        return interrupt.MESSAGE  # nothing happened
    return f"{interrupt.MESSAGE} after {'; '.join(kept)}; {left} not run"


def _chunk_rows(pools: Sequence[Path], slots: int) -> int:
    """How many rows a chunk takes: CHUNK_ROWS, or fewer when the batch is small, so that
    each worker slot gets two chunks (rows guessed from the files' sizes)."""
    rows = sum(_sizes(pools)) // _bytes_per_row(pools)
    return max(1, min(CHUNK_ROWS, -(-rows // (slots * _IN_FLIGHT))))


def _sizes(pools: Sequence[Path]) -> list[int]:
    sizes = []
    for path in pools:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # fails alone when it is read
    return sizes


def _bytes_per_row(pools: Sequence[Path]) -> int:
    """The bytes of a row over the first pools that read (jwst's pools: several hundred):
    over three of them, as one pool's header or long rows would size every chunk wrong."""
    size = lines = 0
    for path in pools[:3]:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        size, lines = size + len(data), lines + data.count(b"\n")
    return max(1, size // lines) if lines else 500


def _plan(pools: Sequence[Path], slots: int, chunk_rows: int) -> list[list[Path]]:
    """The pools in chunks of about ``chunk_rows`` rows (guessed from the files' sizes)
    and at most CHUNK_POOLS pools, in order. The chunks are cut where the rows so far
    come nearest to even shares, and their count is a multiple of the worker slots: the
    slots then end together, where cutting as each chunk filled up left the last chunk
    small and one slot working alone on an odd one."""
    if not pools:
        return []
    per_row = _bytes_per_row(pools) if chunk_rows > 1 else 1
    rows = [max(1, size // per_row) for size in _sizes(pools)]
    total = sum(rows)
    count = max(-(-total // chunk_rows), -(-len(pools) // CHUNK_POOLS))
    if count > 1:
        count = min(len(pools), -(-count // slots) * slots)
    chunks: list[list[Path]] = []
    before, last, alone = 0, -1, False
    for path, size in zip(pools, rows, strict=True):
        # the share a pool's middle row falls in; a pool of chunk_rows rows or more alone
        share = min(count - 1, (2 * before + size) * count // (2 * total))
        big = size >= chunk_rows
        if share != last or big or alone or len(chunks[-1]) >= CHUNK_POOLS:
            chunks.append([])
            last = share
        chunks[-1].append(path)
        before, alone = before + size, big
    return chunks


def _chunks(
    pools: Sequence[Path],
    coordinator: _Coordinator,
    finish: Callable[[PoolReport], None],
    chunk_rows: int,
    slots: int,
) -> Iterator[list[PoolTask]]:
    """The tasks of the pools that need a run, chunk by chunk (:func:`_plan`); a pool
    skipped or failed before it runs is reported through ``finish`` as it is met."""
    for paths in _plan(pools, slots, chunk_rows):
        chunk: list[PoolTask] = []
        for task_or_report in coordinator.prepare_many(paths):
            if isinstance(task_or_report, PoolReport):
                finish(task_or_report)
            else:
                chunk.append(task_or_report)
        interrupt.check()
        if chunk:
            yield chunk


def _submit(executor: Executor, chunk: list[PoolTask]) -> Future[ChunkOutcomes]:
    # A worker process may start here: it starts with SIGINT and SIGTERM blocked, so that
    # a Ctrl-C during its start-up cannot print a traceback (it ignores both once up).
    previous = interrupt.block_signals()
    try:
        return executor.submit(run_chunk_task, chunk)
    except BrokenExecutor:
        interrupt.check()
        # A worker process died (killed, or out of memory): the pools recorded stay.
        raise AsnSqlError(
            "a worker process stopped unexpectedly (out of memory?); the pools recorded so "
            "far are kept: run the batch again to go on"
        ) from None
    finally:
        interrupt.unblock_signals(previous)


class _Coordinator:
    """Decides what each pool needs and records what workers return."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        settings: BatchSettings,
        threads: int,
        area: Staging | None = None,
    ):
        self.con = con
        self.settings = settings
        self.threads = threads
        self.area = area
        self.stop = False  # a signal came while a run was committed: stop after it
        self.recorded: list[tuple[int, str]] = []  # (run_id, folder) of each run committed
        self.rewritten: list[str] = []  # folders of earlier runs written again (were missing)
        self.rules_hash = rules_hash(rules_for(settings.options.levels))
        self.sql_hash = sql_digest()
        self.migrations = [m.name for m in db.available_migrations()]
        self.names: dict[str, str] = {}

    def prepare_many(self, paths: Sequence[Path]) -> list[PoolTask | PoolReport]:
        """For each pool, its task, or the report of one skipped or failed before it runs;
        the database asked once for them all."""
        read: dict[int, tuple[bytes, str]] = {}
        found: list[PoolTask | PoolReport | None] = [None] * len(paths)
        for index, path in enumerate(paths):
            try:
                self._claim_folder(path)
                contents = read_pool_bytes(path)
                read[index] = (contents, hashlib.sha256(contents).hexdigest())
            except AsnSqlError as exc:
                interrupt.check()  # an error the signal caused: no pool failed
                found[index] = _failed(str(path), exc)
        loaded = self._loaded([paths[index].name for index in read])
        for index, (contents, sha256) in read.items():
            path, source = paths[index], str(paths[index])
            known_sha256, run_id = loaded.get(path.name, (None, None))
            try:
                if known_sha256 is not None and known_sha256 != sha256:
                    raise PoolError(
                        f"a different pool named {path.name} is already loaded "
                        "(replacing it reloads it and removes its runs)",
                        path=path,
                        settings=("reload",),
                    )
                if run_id is not None and not self.settings.force:
                    found[index] = self._skip(source, path, run_id)
                    continue
            except AsnSqlError as exc:
                interrupt.check()
                found[index] = _failed(source, exc)
                continue
            found[index] = PoolTask(
                source, contents, self.settings.delimiter, self.settings.options, self.threads
            )
        return [item for item in found if item is not None]

    def _claim_folder(self, path: Path) -> None:
        # Two pools of one name (or one name but for the extension) would write one
        # folder, and the first of them one row of pools.
        if self.settings.output_dir is not None:
            pool_folder(self.settings.output_dir, path)
        other = self.names.setdefault(path.stem, str(path))
        if other != str(path):
            raise PoolError(
                f"another pool of this batch writes the folder {path.stem} (it is {other})",
                path=path,
            )

    def _loaded(self, names: list[str]) -> dict[str, tuple[str, int | None]]:
        """For each of ``names`` loaded: its sha256 and its latest run of those bytes with
        the same SQL, code and options (None: none). A run is recorded in the transaction
        that finishes it, so any row is finished."""
        if not names:
            return {}
        options = self.settings.options
        rows = self.con.execute(
            """
            select p.name, p.sha256, max(r.run_id)
            from pools as p
            left join runs as r
              on r.pool_id = p.pool_id
              and r.sql_hash = $sql_hash and r.rules_hash = $rules_hash
              and r.code_version = $code and r.levels = $levels and r.mode = $mode
              and r.candidate_ids is not distinct from $ids
              and r.version_id is not distinct from $version and r.finalized = $finalized
            where list_contains($names, p.name)
            group by p.name, p.sha256
            """,
            {
                "names": names,
                "sql_hash": self.sql_hash,
                "rules_hash": self.rules_hash,
                "code": __version__,
                "levels": list(options.levels),
                "mode": options.mode,
                "ids": list(options.ids) if options.ids else None,
                "version": options.version_id,
                "finalized": options.finalize,
            },
        ).fetchall()
        return {name: (sha256, run_id) for name, sha256, run_id in rows}

    def _skip(self, source: str, path: Path, run_id: int) -> PoolReport:
        # A finished run whose folder is gone (another -p, or removed) is written again
        # from the database, without generating.
        folder = None
        if self.settings.output_dir is not None:
            assert self.area is not None
            folder, written = write_run_folder(
                self.con, run_id, self.settings.output_dir, path, self.area
            )
            if written:
                self.rewritten.append(str(folder))
        return PoolReport(source, "skipped", folder=folder, run_id=run_id)

    def record_chunk(self, sources: list[str], future: Future[ChunkOutcomes]) -> list[PoolReport]:
        """Record a worker's results, the chunk's pools in one transaction with their
        folders (a pool that cannot be recorded fails alone), and return each pool's
        report in the chunk's order. After a signal held over the commit (:attr:`stop`)
        the reports are those of the pools handled before it."""
        try:
            outcomes = future.result().outcomes
        except Exception as exc:  # a bug or a worker lost: these pools fail, others go on
            interrupt.check()  # workers lost to the same Ctrl-C: the batch was interrupted
            return [
                PoolReport(source, "failed", error=f"{source}: {_describe(exc)}")
                for source in sources
            ]
        interrupt.check()
        reports: dict[int, PoolReport] = {}
        ready: list[int] = []
        for index, outcome in enumerate(outcomes):
            if outcome.error is not None:
                error = _naming(outcome.source, outcome.error)
                reports[index] = PoolReport(
                    outcome.source, "failed", error=error, error_settings=outcome.error_settings
                )
                continue
            try:
                self._check_worker(outcome)
            except AsnSqlError as exc:
                reports[index] = _failed(outcome.source, exc)
                continue
            ready.append(index)
        results = record_outcomes(
            self.con,
            [outcomes[index] for index in ready],
            self.settings.output_dir,
            self.area,
            self.recorded,
        )
        for index, result in zip(ready, results, strict=True):
            if isinstance(result, Recorded):
                reports[index] = self._done(outcomes[index], result)
                self.stop = self.stop or result.interrupted
            elif result is not None:
                reports[index] = _failed(outcomes[index].source, result)
        return [reports[index] for index in sorted(reports)]

    def _done(self, outcome: PoolOutcome, recorded: Recorded) -> PoolReport:
        assert outcome.summary is not None
        return PoolReport(
            outcome.source,
            "done",
            folder=recorded.folder,
            run_id=recorded.run_id,
            by_type=outcome.summary.by_type,
            warnings=outcome.warnings,
        )

    def _check_worker(self, outcome: PoolOutcome) -> None:
        # A worker with another asnsql would record rows of another schema or rules.
        runs = outcome.chunk.tables.get("runs") if outcome.chunk is not None else None
        worker_sql = None
        if runs is not None and runs.num_rows:
            worker_sql = runs.column("sql_hash")[0].as_py()
        if (
            outcome.code_version != __version__
            or outcome.migrations != self.migrations
            or worker_sql != self.sql_hash
        ):
            raise UsageError(
                f"the worker runs another asnsql ({outcome.code_version}, SQL "
                f"{str(worker_sql)[:12]}) than this one ({__version__}, SQL "
                f"{self.sql_hash[:12]}); install the same asnsql on every worker",
                path=outcome.source,
            )


def _failed(source: str, exc: AsnSqlError) -> PoolReport:
    return PoolReport(
        source, "failed", error=_naming(source, str(exc)), error_settings=exc.settings
    )


def _naming(source: str, message: str) -> str:
    """An error line that names the pool (a rule's error names the rule file)."""
    return message if message.startswith(source) else f"{source}: {message}"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return f"the task failed ({type(exc).__name__}{detail})"
