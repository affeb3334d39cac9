"""Ctrl-C (SIGINT): what an interrupted command says, its exit code, and how a DuckDB
statement is stopped.

DuckDB's Python client holds the main thread while a statement runs, so Python's SIGINT
handler cannot run until the statement ends. :func:`run` runs the statement on a worker
thread instead; the main thread waits, takes the KeyboardInterrupt, asks DuckDB to
interrupt, waits for the worker to stop, and re-raises.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

# 128 + SIGINT, as shells report a process ended by Ctrl-C.
EXIT_CODE = 130
MESSAGE = "Error: interrupted"


class Interrupted(Exception):
    """Raised in place of KeyboardInterrupt once a command has rolled back its work, so
    the entry point (asn_sql/cli/boundary.py) prints one line and exits with EXIT_CODE:
    MESSAGE, or the message given (one that says what was kept)."""

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)
        self.message = message


class InterruptedAfterCommit(KeyboardInterrupt):
    """Ctrl-C that came while a command made its work durable (the commit, then the
    files moved into place). It was held until that was done, so the work is complete:
    ``done`` is what the command returns (for generate, its GenerateResult)."""

    def __init__(self, done: object) -> None:
        super().__init__()
        self.done = done


class HeldInterrupt:
    """Ctrl-C held over a short critical section (a commit and what must follow it): from
    :meth:`hold` to :meth:`release`, SIGINT only sets :attr:`pending`. Outside the main
    thread, where Python cannot take signals, it holds nothing."""

    def __init__(self) -> None:
        self.pending = False
        self._previous: object = None
        self._holding = False

    def hold(self) -> None:
        """Start holding Ctrl-C (again: nothing)."""
        if self._holding or threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGINT, self._note)
        self._holding = True

    def release(self) -> None:
        """Stop holding: SIGINT goes to the handler it had before :meth:`hold`."""
        if not self._holding:
            return
        previous = self._previous if self._previous is not None else signal.SIG_DFL
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]
        self._holding = False

    def _note(self, _signum: int, _frame: object) -> None:
        self.pending = True


def run(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """``work()`` (which uses ``con``), stopped by DuckDB's interrupt on Ctrl-C.

    Raises what ``work`` raises, or KeyboardInterrupt once the statement stopped.
    """
    done = threading.Event()
    box: dict[str, object] = {}

    def worker() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=worker, name="asnsql-statement", daemon=True).start()
    try:
        # Event.wait (unlike Thread.join) stays correct when a signal interrupts it.
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        con.interrupt()
        done.wait()
        raise
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def quiet_worker() -> None:
    """Initializer of a batch's worker processes: Ctrl-C, which the terminal sends to
    the coordinator and its workers alike, ends a worker at once and without a
    traceback. A worker holds nothing to keep (a private in-memory database; the
    coordinator writes every file and every row), and the coordinator, which takes
    the same Ctrl-C, rolls back and prints the one line."""
    signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(EXIT_CODE))
