"""The `asnsql batch` command: many pools in parallel, locally or on a Dask cluster.

asn_sql/cli/main.py registers it on the app; the work is in batch.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asn_sql.cli.common import (
    AllCandidatesOption,
    DbOption,
    DelimiterOption,
    DiscoverOption,
    DryRunOption,
    IdsOption,
    LevelOption,
    NoFinalizeOption,
    ReportFormatOption,
    ShownDebugOption,
    VersionIdOption,
    echo,
    err,
    error_line,
    generate_options,
    handle_errors,
    out,
    rich_console,
    warn,
)
from asn_sql.cli.formats import ReportFormat, print_document
from asn_sql.defaults import DEFAULT_DB, DEFAULT_DELIMITER
from asn_sql.errors import UsageError
from asn_sql.values import counted

if TYPE_CHECKING:
    from asn_sql.tools.batch import PoolReport

SCHEDULER_ENV = "ASNSQL_SCHEDULER"

# batch's and impact's workers: local processes, or a Dask scheduler's
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Local worker processes (default: the CPU count).",
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar=SCHEDULER_ENV,
        help=f"A Dask scheduler's address (tcp://HOST:8786) to run the pools on; "
        f"defaults to ${SCHEDULER_ENV}. Needs pip install 'asnsql[dask]'.",
        show_default=False,
    ),
]


@handle_errors
def batch(
    pools: Annotated[
        list[str],
        typer.Argument(
            help="Pool files, or folders standing for every *.csv file in them.",
            show_default=False,
        ),
    ],
    path: Annotated[
        Path,
        typer.Option(
            "--path", "-p", help="The folder to write into, one folder per pool (DIR/POOL/)."
        ),
    ] = Path("."),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Generate pools again even when a run with the same options exists."
        ),
    ] = False,
    level: LevelOption = "all",
    ids: IdsOption = None,
    all_candidates: AllCandidatesOption = False,
    discover: DiscoverOption = False,
    version_id: VersionIdOption = None,
    dry_run: DryRunOption = False,
    no_finalize: NoFinalizeOption = False,
    delimiter: DelimiterOption = DEFAULT_DELIMITER,
    output: ReportFormatOption = ReportFormat.text,
    db: DbOption = Path(DEFAULT_DB),
    debug: ShownDebugOption = False,
) -> None:
    """Generate the associations of many pools in parallel; exit 1 if any pool failed."""
    from asn_sql.io.pool import check_delimiter
    from asn_sql.tools.batch import (
        BatchSettings,
        check_workers,
        find_pools,
        open_executor,
        run_batch,
    )

    options = generate_options(level, ids, all_candidates, discover, version_id, no_finalize)
    if scheduler and workers is not None:
        raise UsageError("use one of --workers (local processes) and --scheduler (Dask)")
    if workers is not None:
        check_workers(workers)
    settings = BatchSettings(
        options=options,
        output_dir=None if dry_run else path,
        delimiter=check_delimiter(delimiter),
        force=force,
    )
    if "" in pools:
        # Path("") is the current folder: an unset shell variable would batch every pool here.
        raise UsageError("an empty pool name; give a pool file or a folder of pools")
    found = find_pools([Path(pool) for pool in pools])
    json_output = output is ReportFormat.json
    bar = _PoolBar(len(found), print_folders=not json_output)
    made = _made_by_this_command(db, settings.output_dir)
    try:
        with open_executor(workers, scheduler) as (executor, slots), bar:
            # Local processes share the machine's cores; a Dask worker runs one task a thread.
            threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // slots)
            summary = run_batch(db, found, settings, executor, slots, bar.report, threads=threads)
    finally:
        # Nothing recorded (stopped early, or every pool failed): leave nothing behind.
        _remove_made(made)
    if json_output:
        from asn_sql.cli.reports import batch_document

        given = {str(path): n for n, path in enumerate(found)}
        reports = sorted(bar.reports, key=lambda pool: given.get(pool.source, len(given)))
        print_document(batch_document(summary, reports), out)
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.by_type.items()))
    total = sum(summary.by_type.values())
    err.print(
        f"batch: {counted(summary.done, 'pool')} done, {summary.skipped} skipped, "
        f"{summary.failed} failed; {counted(total, 'association')}"
        + (f" ({kinds})" if kinds else ""),
        markup=False,
        highlight=False,
    )
    if summary.failed:
        raise typer.Exit(code=1)


def _made_by_this_command(db: Path, output: Path | None) -> tuple[Path | None, list[Path]]:
    """The database file, if it does not exist yet, and the output folders that do not
    (innermost first)."""
    from asn_sql.db import wal_path

    new_db = None if os.path.lexists(db) or os.path.lexists(wal_path(db)) else db
    folders = []
    folder = output
    while folder is not None and not os.path.lexists(folder) and folder != folder.parent:
        folders.append(folder)
        folder = folder.parent
    return new_db, folders


def _remove_made(made: tuple[Path | None, list[Path]]) -> None:
    # A batch that recorded no pool (stopped early, or every pool failed) leaves nothing,
    # as generate does. The database is asked, not the pools' reports: a signal may come
    # between a chunk's commit and its reports.
    from asn_sql.db import remove_if_no_run

    new_db, folders = made
    if new_db is not None:
        remove_if_no_run(new_db)
    for folder in folders:
        try:
            folder.rmdir()  # only when empty: a recorded pool's folder stays
        except OSError:
            return


class _PoolBar:
    """A progress bar over pools on stderr (a terminal only), and each pool's lines."""

    def __init__(self, total: int, print_folders: bool = True) -> None:
        from rich import progress

        self._print_folders = print_folders
        self.reports: list[PoolReport] = []  # every pool's, in the order they ended

        # off a terminal, no bar at all: rich 13.0 prints an empty line when a disabled
        # bar stops
        self._progress = (
            None
            if not err.is_terminal
            else progress.Progress(
                progress.TextColumn("pools"),
                progress.BarColumn(),
                progress.MofNCompleteColumn(),
                progress.TimeElapsedColumn(),
                progress.TimeRemainingColumn(),
                console=rich_console(err),
                transient=True,
                disable=not err.is_terminal,
            )
        )
        self._task = self._progress.add_task("pools", total=total) if self._progress else 0

    def __enter__(self) -> _PoolBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def report(self, pool: object) -> None:
        """Print what became of one pool and advance the bar."""
        from asn_sql.tools.batch import PoolReport

        assert isinstance(pool, PoolReport)
        self.reports.append(pool)
        warn(pool.warnings)
        if pool.error is not None:
            echo(err, error_line(pool.error, pool.error_settings))
        elif pool.folder is not None and self._print_folders:
            echo(out, str(pool.folder))
        if self._progress is not None:
            self._progress.advance(self._task)
