"""The `report` command: a run as one HTML page (the work is in asn_sql/tools/report.py).

asn_sql/cli/main.py registers it on the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from asn_sql.cli.common import DbOption, DebugOption, echo, err, handle_errors, out, output_file
from asn_sql.defaults import DEFAULT_DB
from asn_sql.values import counted


@handle_errors
def report(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="OUTPUT",
            help="The HTML file to write (replaced whole, never left half-written).",
            show_default=False,
        ),
    ],
    run: Annotated[
        int | None,
        typer.Argument(help="The run (default: the latest).", show_default=False),
    ] = None,
    against: Annotated[
        int | None,
        typer.Option(
            "--against",
            metavar="RUN",
            help="Mark what changed since this run, as asnsql diff RUN finds it.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Write a run's report: one HTML page with its associations, a membership grid and
    its orphans, that opens in a browser with no network."""
    from asn_sql.tools.report import write_report

    written = write_report(db, output_file(output, "-o"), run, against)
    echo(out, str(written.path))
    line = (
        f"run {written.run_id}: {counted(written.n_associations, 'association')}, "
        f"{counted(written.n_orphans, 'orphan')}, {written.size / 1024:,.0f} KB"
    )
    if written.against is not None:
        line += f"; since run {written.against}: {written.changes}"
    echo(err, line)
