"""Ctrl-C during a DuckDB statement: stop the statement, then report one line.

DuckDB's Python client holds the main thread while a statement runs, so Python's
SIGINT handler cannot run until the statement ends. The statement runs on a worker
thread instead; the main thread waits, takes the KeyboardInterrupt, asks DuckDB to
interrupt, waits for the worker to stop, and re-raises.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import NoReturn, TypeVar

import duckdb

T = TypeVar("T")

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


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


def exit_interrupted() -> NoReturn:
    """Print the one line ``interrupted`` on stderr and exit with code 130."""
    print("interrupted", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_INTERRUPTED)
