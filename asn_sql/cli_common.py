"""What every command shares: the two consoles, the common options, the error handler."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from asn_sql.defaults import DB_ENV, DEFAULT_DB
from asn_sql.errors import AsnSqlError
from asn_sql.formats import OutputFormat

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
