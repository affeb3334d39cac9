"""What every command shares: the two consoles, the common options, the error handler."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from asn_sql.cli.formats import OutputFormat
from asn_sql.defaults import DB_ENV, DEFAULT_DB
from asn_sql.errors import AsnSqlError
from asn_sql.interrupt import Interrupted
from asn_sql.values import printable

# Messages carry pool values and paths: never read them as markup, emoji codes or
# highlighting (asn_sql/values.py escapes their control characters).
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)

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
    bool, typer.Option("--debug", "-D", help="Show the full traceback of an error.", hidden=True)
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Print rows as a table, CSV or JSON.")
]

RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        "-r",
        metavar="DIR",
        help="Add the .sql rule files of DIR (and of its level2/, level3/); "
        "a file named like a built-in rule file replaces it.",
        show_default=False,
    ),
]
IgnoreDefaultOption = Annotated[
    bool, typer.Option("--ignore-default", help="Use only the rules of -r/--rules DIR.")
]


class PlainHelpGroup(TyperGroup):
    """Help that names each value for its option (``--level LEVEL``, ``[POOL]``), with an
    enum's choices (``[table|csv|json]``), instead of Python types (``<list[str]>``)."""

    # click's types are not imported: newer typer releases carry their own click.
    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        for param in command.params if command is not None else []:
            if param.param_type_name == "argument" and hasattr(param, "display_type_rich"):
                # newer typer adds `<str>` after an argument's name
                param.display_type_rich = lambda ctx=None: None
            if param.metavar is not None or getattr(param, "is_flag", False):
                continue
            described = getattr(param, "type", None) or getattr(param, "type_descriptor", None)
            choices = getattr(described, "choices", None)
            if choices:
                param.metavar = "[" + "|".join(str(c) for c in choices) + "]"
            else:
                param.metavar = (param.name or "value").upper()
        return command


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an AsnSqlError into one line on stderr and exit code 2; an interrupt, once the
    command's work is rolled back, into Interrupted (asn_sql/cli/boundary.py prints it)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except AsnSqlError as exc:
            if kwargs.get("debug"):
                raise
            err.print(f"Error: {printable(str(exc))}", markup=False, highlight=False)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            raise Interrupted() from None
        except Exception as exc:
            if _duckdb_interrupt(exc):
                raise Interrupted() from None
            raise

    return wrapper


def _duckdb_interrupt(exc: Exception) -> bool:
    """A DuckDB statement cut short by SIGINT (its InterruptException, or the RuntimeError
    "Query interrupted"). DuckDB is looked up, not imported: help needs no database."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and str(exc) == "Query interrupted"


def warn(messages: list[str]) -> None:
    """Print each warning on stderr."""
    for message in messages:
        err.print(f"Warning: {printable(message)}", markup=False, highlight=False)
