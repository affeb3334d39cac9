"""The `asnsql impact` command: what a rule folder would change in the runs kept, before
anything is written.

asn_sql/cli/main.py registers it on the app; the work is in asn_sql/tools/impact.py, run
through batch's executors (asn_sql/tools/batch.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from asn_sql.cli.batch import SchedulerOption, WorkersOption
from asn_sql.cli.common import (
    DbOption,
    DebugOption,
    IgnoreDefaultOption,
    ReportFormatOption,
    echo,
    err,
    error_line,
    handle_errors,
    out,
    warn,
)
from asn_sql.cli.formats import ReportFormat, print_document
from asn_sql.defaults import DEFAULT_DB
from asn_sql.errors import UsageError


@handle_errors
def impact(
    pools: Annotated[
        list[str] | None,
        typer.Argument(
            help="Loaded pools' names, or programs (jw01234: the newest version); "
            "default: every loaded pool with a run.",
            metavar="POOL",
            show_default=False,
        ),
    ] = None,
    rules_dir: Annotated[
        Path | None,
        typer.Option(
            "--rules",
            "-r",
            metavar="DIR",
            help="The rule folder to try: its .sql files added to the built-in rules "
            "(a file named like a built-in rule file replaces it), as generate -r does.",
            show_default=False,
        ),
    ] = None,
    ignore_default: IgnoreDefaultOption = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    output: ReportFormatOption = ReportFormat.text,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """What a rule folder would change: each pool's latest run made again with its rules,
    compared with the run kept; nothing is written.

    Exit 0 when nothing would change, 1 when something would, 2 on an error."""
    from asn_sql.tools.batch import check_workers, open_executor
    from asn_sql.tools.impact import (
        ImpactSettings,
        plan_impact,
        pool_lines,
        run_impact,
        summary_text,
    )
    from asn_sql.tools.impact_task import PoolImpact

    if rules_dir is None:
        raise UsageError("which rules? give the folder to try with -r/--rules DIR")
    if scheduler and workers is not None:
        raise UsageError("use one of --workers (local processes) and --scheduler (Dask)")
    if workers is not None:
        check_workers(workers)
    plan = plan_impact(db, pools or [], ImpactSettings(rules_dir, ignore_default))
    warn(list(plan.warnings))

    bar = _bar(len(plan.pools))

    def report(pool: PoolImpact) -> None:
        # As each pool ends: its warnings and errors; the reports come in order at the end.
        warn(pool.warnings)
        if pool.error is not None:
            echo(err, error_line(pool.error, pool.error_settings))
        bar.advance(bar.task_ids[0])

    # No more workers than pools: each is a whole Python and DuckDB to start.
    wanted = workers or min(os.cpu_count() or 1, len(plan.pools))
    with open_executor(None if scheduler else wanted, scheduler) as (executor, slots), bar:
        threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // slots)
        result = run_impact(db, plan, executor, slots, threads=threads, report=report)
    if output is ReportFormat.json:
        from asn_sql.cli.reports import impact_document

        print_document(impact_document(plan.settings, result), out)
    else:
        for pool in result.pools:
            if pool.report is not None:
                for line in pool_lines(pool):
                    echo(out, line)
    echo(err, summary_text(result))
    if result.failed:
        raise typer.Exit(code=2)
    if result.changed:
        raise typer.Exit(code=1)


class _NoBar:
    """The progress bar off a terminal: nothing at all (rich 13.0 prints an empty line
    when a disabled bar stops)."""

    task_ids = [0]

    def advance(self, _task: int) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _bar(total: int) -> Any:
    """A progress bar over pools on stderr, on a terminal only (as batch's)."""
    if not err.is_terminal:
        return _NoBar()
    from rich import progress

    bar = progress.Progress(
        progress.TextColumn("pools"),
        progress.BarColumn(),
        progress.MofNCompleteColumn(),
        progress.TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    bar.add_task("pools", total=total)
    return bar
