"""Tasks through an executor, a few in flight per worker slot: the loop under `impact` (and
the shape of `batch`'s own loop, which can move onto it once its chunks settle).

The executor comes from :func:`asn_sql.tools.batch.open_executor` (local worker processes or
a Dask cluster); nothing here knows which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from typing import TypeVar

from asn_sql import interrupt
from asn_sql.errors import AsnSqlError

T = TypeVar("T")
R = TypeVar("R")

# Tasks in flight per worker slot: one running, one waiting, so that no worker idles while
# the coordinator reads a result (as batch does).
IN_FLIGHT = 2


def run_tasks(
    executor: Executor,
    slots: int,
    tasks: Iterable[T],
    function: Callable[[T], R],
    finish: Callable[[T, Future[R]], None],
    kept: str = "nothing was written",
) -> None:
    """Run ``function`` on each of ``tasks`` through ``executor`` and call ``finish`` with
    each task and its future as it ends. ``tasks`` is read lazily: at most
    ``slots * IN_FLIGHT`` are in flight, so a task's data is made only when it is sent.

    Raises AsnSqlError when a worker process died (the executor is broken), saying what
    was ``kept``."""
    pending: dict[Future[R], T] = {}
    queue = iter(tasks)
    while True:
        while len(pending) < slots * IN_FLIGHT:
            task = next(queue, None)
            if task is None:
                break
            pending[submit(executor, function, task, kept)] = task
            interrupt.check()
        if not pending:
            return
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            finish(pending.pop(future), future)
        interrupt.check()


def submit(
    executor: Executor, function: Callable[[T], R], task: T, kept: str = "nothing was written"
) -> Future[R]:
    """``executor.submit(function, task)`` with SIGINT and SIGTERM blocked meanwhile: a worker
    process may start here, and a Ctrl-C during its start-up must not print a traceback."""
    previous = interrupt.block_signals()
    try:
        return executor.submit(function, task)
    except BrokenExecutor:
        interrupt.check()
        # A worker process died (killed, or out of memory).
        raise AsnSqlError(
            f"a worker process stopped unexpectedly (out of memory?); {kept}"
        ) from None
    finally:
        interrupt.unblock_signals(previous)


def describe_failure(exc: BaseException) -> str:
    """A task that raised (a bug, or a worker lost), in one line."""
    text = str(exc).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return f"the task failed ({type(exc).__name__}{detail})"
