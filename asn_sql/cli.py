"""The asnsql command line: parses options, calls one function, prints a summary."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from asn_sql import __version__
from asn_sql.db import DB_ENV, DEFAULT_DB
from asn_sql.errors import AsnSqlError
from asn_sql.formats import OutputFormat, print_rows
from asn_sql.load import load_pools
from asn_sql.pool import DEFAULT_DELIMITER, check_delimiter
from asn_sql.query import run_query

app = typer.Typer(
    name="asnsql",
    help="Build JWST associations with SQL rules over a DuckDB database.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        help=f"The database file. Defaults to ${DB_ENV}, else {DEFAULT_DB} in this directory.",
        show_default=False,
    ),
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show the full traceback of an error.", hidden=True)
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Print rows as a table, CSV or JSON.")
]


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an AsnSqlError into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except AsnSqlError as exc:
            if kwargs.get("debug"):
                raise
            err.print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper


def warn(messages: list[str]) -> None:
    """Print each warning on stderr."""
    for message in messages:
        err.print(f"Warning: {message}", markup=False, highlight=False)


def _version(value: bool) -> None:
    if value:
        out.print(f"asnsql {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Build JWST associations with SQL rules over a DuckDB database."""


@app.command()
@handle_errors
def load(
    pools: Annotated[list[Path], typer.Argument(help="Pool files to load.", show_default=False)],
    delimiter: Annotated[
        str, typer.Option("--delimiter", "-d", help="The column delimiter of the pool files.")
    ] = DEFAULT_DELIMITER,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Reload a pool whose name is loaded already, with its runs."),
    ] = False,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Load association pools into the database, each in one transaction."""
    results = load_pools(db, pools, delimiter=check_delimiter(delimiter), replace=replace)
    for result in results:
        warn(result.warnings)
        if result.status == "unchanged":
            err.print(f"{result.name}: already loaded, unchanged (pool {result.pool_id})")
        else:
            err.print(
                f"{result.name}: {result.status} {result.row_count} exposures "
                f"as pool {result.pool_id}"
            )


@app.command()
@handle_errors
def pools(
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """List the loaded pools."""
    result = run_query(
        db,
        "select pool_id, name, row_count as exposures, len(columns) as columns, "
        "loaded_at, left(sha256, 12) as sha256, source from pools order by pool_id",
    )
    print_rows(result, output, out)


@app.command()
@handle_errors
def query(
    sql: Annotated[str, typer.Argument(help="The SQL to run.", show_default=False)],
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Run SQL on the database, opened read-only."""
    print_rows(run_query(db, sql), output, out)


def run() -> None:  # pragma: no cover - console entry for `python -m`
    """Entry point that keeps sys.exit codes."""
    sys.exit(app())
