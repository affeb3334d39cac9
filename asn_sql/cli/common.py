"""What every command shares: the two consoles, the common options, the error handler."""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar, cast

import typer
from typer.core import TyperGroup

from asn_sql import interrupt
from asn_sql.cli.boundary import is_broken_pipe, quiet_stdout
from asn_sql.cli.coercion import install as install_quick_coercion
from asn_sql.cli.formats import OutputFormat, ReportFormat
from asn_sql.defaults import DB_ENV, DEFAULT_DB
from asn_sql.errors import AsnSqlError, UsageError
from asn_sql.interrupt import Interrupted
from asn_sql.values import printable

if TYPE_CHECKING:
    from rich.console import Console

    from asn_sql.engine.run import GenerateOptions


# Messages carry pool values and paths: never read them as markup, emoji codes or
# highlighting (asn_sql/values.py escapes their control characters).
def _rich_console(stderr: bool, quiet: bool) -> Console:
    """rich's console, but a reader that went away (``asnsql … | head``) is not an error:
    rich would exit 1, the code kept for bugs; here the command ends quietly, exit 0
    (:func:`handle_errors`)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            if self.stderr:
                return  # nobody reads the messages any more; the command goes on
            quiet_stdout()
            raise BrokenPipeError(errno.EPIPE, "stdout's reader went away")

    console = _Console(stderr=stderr, soft_wrap=True, markup=False, emoji=False, highlight=False)
    console.quiet = quiet
    return console


# What rich changes in a plain line (tabs, the control characters its Text drops).
_RICH_CHANGES = re.compile(r"[\t\x07\x08\x0b\x0c\r]")


# Settings under which rich takes a stream for a terminal, or not, whatever it is.
_FORCING = {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS"}


class LazyConsole:
    """stdout's or stderr's console: a plain line is written as rich would write it
    (soft wrap, no markup, no highlighting: the text and a newline), anything else goes
    to rich's console, made on first use: most commands print only lines, and rich
    costs a process a few hundredths of a second to import."""

    def __init__(self, *, stderr: bool) -> None:
        self.stderr = stderr
        self._rich: Console | None = None
        self._quiet = False

    def rich_console(self) -> Console:
        """rich's own console (made now if not yet), for rich's bars and tables."""
        if self._rich is None:
            self._rich = _rich_console(self.stderr, self._quiet)
        return self._rich

    @property
    def is_terminal(self) -> bool:
        """rich's answer; without rich for a stream that is no terminal when nothing in
        the environment tells rich to treat it as one."""
        if self._rich is None and not _FORCING.intersection(os.environ):
            try:
                if not self.file.isatty():
                    return False
            except (AttributeError, ValueError):
                pass
        return self.rich_console().is_terminal

    @property
    def file(self) -> IO[str]:
        """The stream written to, as rich's console finds it (at each use)."""
        if self._rich is not None:
            return self._rich.file
        return sys.stderr if self.stderr else sys.stdout

    def print(self, *objects: Any, **options: Any) -> None:
        """rich's print; a plain line without rich while rich has not been needed."""
        plain = (
            self._rich is None
            and len(objects) == 1
            and type(objects[0]) is str
            and set(options) <= {"markup", "highlight"}
            and not any(options.values())
            and not _RICH_CHANGES.search(objects[0])
        )
        if not plain:
            self.rich_console().print(*objects, **options)
        elif not self._quiet:
            self._write(objects[0] + "\n")

    def _write(self, text: str) -> None:
        stream = self.file
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            # as rich's console above: quiet from now on; on stdout the command ends
            self._quiet = True
            if self.stderr:
                return
            quiet_stdout()
            raise BrokenPipeError(errno.EPIPE, "stdout's reader went away") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich_console(), name)


def rich_console(console: Console) -> Console:
    """rich's own console behind ``console`` (out or err), for rich's bars."""
    return cast("Console", getattr(console, "rich_console", lambda: console)())


out = cast("Console", LazyConsole(stderr=False))
err = cast("Console", LazyConsole(stderr=True))

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
# The same spelling for commands that report what they did (generate, diff, explain, ...).
ReportFormatOption = Annotated[
    ReportFormat,
    typer.Option(
        "--format",
        "-f",
        help="Print the result as text for people or as one JSON document for scripts "
        "(messages for people still go to stderr).",
    ),
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

# The options `generate` and `batch` share, declared once so their help agrees.
LevelOption = Annotated[str, typer.Option("--level", help="Which associations: 2, 3 or all.")]
IdsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ids", "-i", help="Only these candidate ids (o001 c1000 ...).", show_default=False
    ),
]
AllCandidatesOption = Annotated[
    bool, typer.Option("--all-candidates", help="Candidate associations only, no discovery.")
]
DiscoverOption = Annotated[
    bool, typer.Option("--discover", help="Discovered associations only (asn_id a3001).")
]
VersionIdOption = Annotated[
    str | None,
    typer.Option(
        "--version-id",
        help="Put a version in file names; alone, the UTC time (YYYYMMDDtHHMMSS).",
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Run and record everything but write no file.")
]
NoFinalizeOption = Annotated[
    bool,
    typer.Option(
        "--no-finalize",
        help="Keep every association the rules found: no validity "
        "check, no pruning (a debugging aid).",
    ),
]
DelimiterOption = Annotated[
    str, typer.Option("--delimiter", "-d", help="The column delimiter of a pool file.")
]
# generate and batch show -D in their help (the README's option table names it).
ShownDebugOption = Annotated[
    bool, typer.Option("--debug", "-D", help="Show the full traceback of an error.")
]

LEVEL_CHOICES = {"2": (2,), "3": (3,), "all": (2, 3)}


def generate_options(
    level: str,
    ids: list[str] | None,
    all_candidates: bool,
    discover: bool,
    version_id: str | None,
    no_finalize: bool,
    rules_dir: Path | None = None,
    ignore_default: bool = False,
) -> GenerateOptions:
    """The run options of `generate` and `batch` from their command-line values.

    Raises UsageError for a level not 2, 3 or all, an empty id, or more than one of
    --ids, --all-candidates and --discover."""
    # run.py loads DuckDB, which `asnsql --help` must not.
    from asn_sql.engine.run import GenerateOptions

    if level not in LEVEL_CHOICES:
        raise UsageError(f"--level must be 2, 3 or all, not {level!r}")
    if ids is not None and not all(ids):
        raise UsageError("-i/--ids needs at least one candidate id (-i o001 c1000)")
    if sum([bool(ids), all_candidates, discover]) > 1:
        raise UsageError("use only one of --ids, --all-candidates and --discover")
    if version_id is not None and Path(version_id).is_file():
        # `generate --version-id POOL`: as in jwst, the word after it is its value.
        raise UsageError(
            f"--version-id {version_id}: that is a file, not a version id; a word right after "
            "--version-id is its value, so put the pool before it"
        )
    return GenerateOptions(
        levels=LEVEL_CHOICES[level],
        ids=tuple(ids) if ids else None,
        all_candidates=all_candidates,
        discover=discover,
        version_id=version_id,
        finalize=not no_finalize,
        rules_dir=rules_dir,
        ignore_default=ignore_default,
    )


class PlainHelpGroup(TyperGroup):
    """Help that names each value for its option (``--level LEVEL``, ``[POOL]``), with an
    enum's choices (``[table|csv|json]``), instead of Python types (``<list[str]>``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # the group's own options (--version, completion, help): plain values without pydantic
        install_quick_coercion(self.get_params(ctx))
        return super().parse_args(ctx, args)

    # click's types are not imported: newer typer releases carry their own click.
    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            # values converted without pydantic where they are plain (asn_sql/cli/coercion.py)
            install_quick_coercion(command.get_params(ctx) if ctx is not None else command.params)
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
        except Interrupted:
            raise  # its message says what the command kept
        except KeyboardInterrupt:
            raise Interrupted() from None
        except AsnSqlError as exc:
            if interrupt.requested():
                raise _interrupted(exc) from None  # an error the interrupt caused
            if kwargs.get("debug"):
                raise
            echo(err, error_line(str(exc), exc.settings))
            raise typer.Exit(code=2) from None
        except Exception as exc:
            if _duckdb_interrupt(exc) or (interrupt.requested() and not is_broken_pipe(exc)):
                raise _interrupted(exc) from None
            if is_broken_pipe(exc):
                # typer would make this exit 1, kept for bugs: stdout's reader is gone
                quiet_stdout()
                raise typer.Exit(code=0) from None
            raise

    return wrapper


# The options that set what an AsnSqlError's ``settings`` name: the API's messages speak of
# settings in words, and the command line points to its own spelling of each.
OPTION_OF_SETTING = {
    "add": "-a/--add",
    "asn_candidate": "--asn-candidate",
    "asn_id": "-i/--asn-id",
    "db": "--db",
    "delimiter": "-d/--delimiter",
    "exclude_types": "-x/--exclude-types",
    "exp_types": "-t/--exp-types",
    "file": "--file",
    "file_format": "-f/--format",
    "ignore_default": "--ignore-default",
    "output": "-o/--output",
    "output_dir": "-p/--path",
    "product_name": "--product-name",
    "program": "--program",
    "reload": "--replace",
    "remove": "-r/--remove",
    "replace": "--replace",
    "rules_dir": "-r/--rules",
    "scheduler": "--scheduler",
    "source": "-s/--source",
    "symlink": "--symlink",
    "version_id": "--version-id",
    "workers": "--workers",
}


# What to do instead when the command that failed has no option for a setting: another
# command has it (`generate POOL` meets a changed pool, which only `load --replace` reloads).
ELSEWHERE_OF_SETTING = {
    "reload": "load it again with asnsql load --replace",
    "replace": "load it again with asnsql load --replace",
}


def error_line(
    message: str, settings: Iterable[str] = (), command_options: Iterable[str] | None = None
) -> str:
    """``Error: message``, then the options that set the settings the error names.

    An option is named only when the command that failed has it (``command_options``, by
    default the options of the running click command): else what another command does
    (:data:`ELSEWHERE_OF_SETTING`), else nothing."""
    known = set(command_options) if command_options is not None else _running_options()
    options: list[str] = []
    elsewhere: list[str] = []
    for setting in settings:
        option = OPTION_OF_SETTING.get(setting, setting)
        if known is None or not option.startswith("-") or set(option.split("/")) <= known:
            options.append(option)
        elif setting in ELSEWHERE_OF_SETTING:
            elsewhere.append(ELSEWHERE_OF_SETTING[setting])
    hints = ([f"see {', '.join(options)}"] if options else []) + list(dict.fromkeys(elsewhere))
    return f"Error: {message}" + "".join(f" ({hint})" for hint in hints)


def command_option_names(command: Any) -> set[str]:
    """Every spelling of every option of a click command (``-d``, ``--delimiter``...)."""
    return {
        name
        for param in getattr(command, "params", ())
        for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
        if name.startswith("-")
    }


def _running_options() -> set[str] | None:
    """The options of the click command running now; None outside one (every hint given)."""
    try:  # typer >= 0.20 carries its own copy of click
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older typer
        from click import get_current_context
    ctx = get_current_context(silent=True)
    return command_option_names(ctx.command) if ctx is not None else None


def _interrupted(exc: BaseException) -> Interrupted:
    """The Interrupted that ``exc`` was raised while handling (a cleanup that failed in
    its turn), whose message says what was kept; else a plain one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, Interrupted):
            return current
        seen.add(id(current))
        current = current.__context__
    return Interrupted()


def _duckdb_interrupt(exc: Exception) -> bool:
    """A DuckDB statement cut short by SIGINT (its InterruptException, or the RuntimeError
    "Query interrupted"). DuckDB is looked up, not imported: help needs no database."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and str(exc) == "Query interrupted"


def output_file(given: str | Path, option: str, doing: str = "write") -> Path:
    """The file a command writes (or edits: ``doing``), as named on the command line;
    ``option`` names it in the error. A name that ends in a slash (``x.csv/``) names a
    folder: Path would drop the slash and write a file ``x.csv``, so it is refused here.
    Raises UsageError."""
    text = str(given)
    if text.endswith(("/", os.sep)):
        raise UsageError(
            f"{option} {text}: ends in '/', so it names a folder; give the file to {doing}"
        )
    return Path(text)


def warn(messages: list[str]) -> None:
    """Print each warning on stderr."""
    for message in messages:
        echo(err, f"Warning: {message}")


def echo(console: Console, text: str) -> None:
    """Print ``text`` as one line on ``console``. Every
    message that carries a path or a value from the user or a pool goes through here:
    control and invisible characters print as escapes (``\\n``, ``\\x1b``), so a path
    with a newline in it stays one line and cannot drive the terminal."""
    console.print(printable(text), markup=False, highlight=False)


def echo_lines(console: Console, lines: Iterable[object]) -> None:
    """Print each of ``lines`` (paths, mostly) as one line of its own (:func:`echo`), in one
    write: a print per line costs more than a run's finalize when there are many."""
    text = "\n".join(printable(str(line)) for line in lines)
    if text:
        console.print(text, markup=False, highlight=False)
