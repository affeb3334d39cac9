"""The edge of the program: every way a command can end becomes one line and an exit code.

0 success; 2 something the user can fix (bad input, a usage error, a full disk, a
folder that cannot be written); 130 interrupted; 1 a bug in asnsql (``-D`` shows its
traceback). ``diff`` keeps 1 for "the two sides differ", as diff(1) does.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from asn_sql import interrupt
from asn_sql.errors import AsnSqlError, first_line

try:  # typer >= 0.20 carries its own copy of click
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer
    import click  # type: ignore[no-redef]

USER_ERROR = 2
BUG = 1
_DEBUG_FLAGS = ("-D", "--debug")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and other control characters shown escaped."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def environment_error(exc: BaseException) -> str | None:
    """The one-line message of an error of the machine rather than of asnsql (a full disk,
    a folder that cannot be written, memory), or None when ``exc`` is something else."""
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else None
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0) or str(exc)
        return f"{where}: {reason}" if where else str(reason)
    duckdb = sys.modules.get("duckdb")  # loaded by any command that could raise its errors
    if duckdb is None:
        return None
    if isinstance(exc, duckdb.IOException | duckdb.OutOfMemoryException):
        return first_line(exc)
    if isinstance(exc, duckdb.Error) and any(mark in str(exc) for mark in _MACHINE_TROUBLE):
        # DuckDB reports a commit that cannot be written as a TransactionException
        return "the database could not be written: " + first_line(exc).split(": ", 1)[-1]
    return None


# What DuckDB's messages say when the disk or the folder, not asnsql, is at fault.
_MACHINE_TROUBLE = (
    "No space left on device",
    "Disk quota exceeded",
    "Permission denied",
    "Read-only file system",
    "Operation not permitted",
    "Could not write file",
)


def internal_error_line(exc: BaseException) -> str:
    """The one line printed for a bug: what failed and how to report it."""
    return (
        f"Error: internal error ({type(exc).__name__}: {first_line(exc)}); please report it "
        "with the traceback that the same command with -D shows"
    )


def _usage_line(exc: Any, fallback_path: str) -> str:
    # click's "no arguments: show help" error carries the whole help (or, with rich
    # help, nothing) as its message
    if type(exc).__name__ == "NoArgsIsHelpError":
        message = "no command given"
    else:
        message = one_line(exc.format_message()).strip().rstrip(".") or "no command given"
    message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else fallback_path
    return f"Error: {message} (see '{path} --help')"


def is_broken_pipe(exc: BaseException) -> bool:
    """Whether ``exc`` is the write to a closed pipe (``asnsql query … | head``)."""
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def quiet_stdout() -> None:
    """After the reader of stdout went away: point stdout at /dev/null, so that what is
    still buffered (flushed at exit) goes nowhere instead of raising again. Reading less
    than everything is what ``head`` means, so the command ends quietly with exit 0."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _flush_stdout() -> bool:
    """Flush stdout; False (and stdout quieted) when its reader went away."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        if not is_broken_pipe(exc):
            raise
        quiet_stdout()
        return False
    return True


def _print(line: str) -> None:
    print(one_line(line), file=sys.stderr, flush=True)


class AsnSqlGroup(TyperGroup):
    """typer's group, ending every command with one line on stderr and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        code = self._run(argv, prog_name, complete_var, extra)
        interrupt.ending(code)
        sys.exit(code)

    def _run(
        self, argv: list[str], prog_name: str | None, complete_var: str | None, extra: Any
    ) -> int:
        interrupt.start_command()
        try:
            code = super().main(argv, prog_name, complete_var, False, **extra)
        except interrupt.Interrupted as exc:
            _print(exc.message if exc.message != interrupt.MESSAGE else interrupt.message())
            return interrupt.EXIT_CODE
        except KeyboardInterrupt:
            _print(interrupt.message())
            return interrupt.EXIT_CODE
        except Exception as exc:
            if interrupt.requested() and not is_broken_pipe(exc):
                # Whatever the interrupt became on its way (DuckDB's own error, a
                # library's): it is the interrupt, not a bug or bad input.
                _print(interrupt.message())
                return interrupt.EXIT_CODE
            return self._failed(exc, argv, prog_name)
        if interrupt.requested():
            # The command ended although a signal came (swallowed on the way): it is
            # still an interrupted command, and says what it kept.
            _flush_stdout()
            _print(interrupt.message())
            return interrupt.EXIT_CODE
        if not _flush_stdout():
            return 0
        if code == interrupt.EXIT_CODE:
            # typer turns a KeyboardInterrupt outside a command into a silent 130
            _print(interrupt.message())
        return code if isinstance(code, int) else 0

    def _failed(self, exc: Exception, argv: list[str], prog_name: str | None) -> int:
        """The exit code of a command that raised ``exc``, its one line printed."""
        try:
            raise exc
        except click.exceptions.UsageError as exc:
            command = argv[0] if argv and argv[0] in self.commands else None
            name = prog_name or "asnsql"
            _print(_usage_line(exc, f"{name} {command}" if command else name))
            return USER_ERROR
        except click.exceptions.ClickException as exc:
            _print(f"Error: {exc.format_message()}")
            return USER_ERROR
        except (typer.Abort, EOFError):
            _print("Error: aborted (the input ended)")
            return USER_ERROR
        except Exception as exc:
            if is_broken_pipe(exc):
                quiet_stdout()
                return 0
            message = environment_error(exc)
            if any(flag in argv for flag in _DEBUG_FLAGS):
                # -D shows the traceback; the exit code still says whose fault it was
                traceback.print_exc()
                return USER_ERROR if message or isinstance(exc, AsnSqlError) else BUG
            _print(f"Error: {message}" if message else internal_error_line(exc))
            return USER_ERROR if message else BUG
