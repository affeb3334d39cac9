"""Ctrl-C (SIGINT) and SIGTERM: what an interrupted command says, its exit code, how a
DuckDB statement is stopped, and how work made durable is never cut in two.

The entry point calls :func:`install` first: both signals then raise KeyboardInterrupt
and are remembered, so that an interrupt some code swallowed (DuckDB turns it into an
error of its own, a library may catch it) still stops the command at its next commit:
:func:`check`, which every commit calls through :class:`HeldInterrupt`. From
:meth:`HeldInterrupt.hold` to :meth:`HeldInterrupt.release` (a commit and what must
follow it, such as the files moved into place) a signal is only noted, and raised once
the work is whole. What a command made durable is told with :func:`keep`; the entry
point's message names it, so an interrupt after a commit never says "nothing done".

DuckDB's Python client holds the main thread while a statement runs, so Python's
handler cannot run until the statement ends. :func:`run` runs the statement on a worker
thread instead; the main thread waits, takes the KeyboardInterrupt, asks DuckDB to
interrupt, waits for the worker to stop, and re-raises.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from types import FrameType

    import duckdb

T = TypeVar("T")

# 128 + SIGINT, as shells report a process ended by Ctrl-C; SIGTERM ends the same way.
EXIT_CODE = 130
MESSAGE = "Error: interrupted"
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _State:
    """This process's signals: the one seen (0: none), how deep the holds are, whether a
    signal came while held, and what the command has made durable."""

    def __init__(self) -> None:
        self.installed = False
        self.seen = 0
        self.holding = 0
        self.pending = 0
        self.kept: list[str] = []
        self.on_commit: list[str] = []


_state = _State()


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


def install() -> None:
    """Make SIGINT and SIGTERM raise KeyboardInterrupt (noted, and held where work is made
    durable), and stop the DuckDB statements running then. A SIGINT the process was
    started ignoring (a background job of a non-interactive shell, nohup) stays
    ignored, as in every program."""
    _state.installed, _state.seen, _state.pending = True, 0, 0
    for signum in SIGNALS:
        if signum == signal.SIGINT and signal.getsignal(signum) is signal.SIG_IGN:
            continue
        signal.signal(signum, _on_signal)
    _watch_statements()


# Every DuckDB connection asnsql opened (asn_sql/db.py), to be interrupted on a signal.
_connections: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
# Taken by a hold and by the watcher: a statement is never interrupted once held.
_lock = threading.Lock()


def watch(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Let a signal interrupt ``con``'s statements; returns ``con``. Raises
    KeyboardInterrupt for a signal noted while DuckDB was being imported."""
    _connections.add(con)
    check()
    return con


def _watch_statements() -> None:
    """DuckDB's Python client keeps the main thread in its statement until the statement
    ends, and Python runs a signal handler only between bytecodes of the main thread: a
    Ctrl-C would wait for the statement (minutes, on a big pool). The signal's byte on
    the wakeup file descriptor reaches a thread at once; it interrupts the statements,
    which then fail in the main thread, where the handler runs."""
    try:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except (OSError, ValueError):
        return  # not the main thread, or no pipes: signals wait for the statement

    def watcher() -> None:
        while True:
            try:
                data = os.read(read_end, 64)
            except OSError:
                return
            if not data:
                return
            ours = [byte for byte in data if byte in SIGNALS]
            if not ours:
                continue  # another signal with a Python handler (SIGCHLD, a library's)
            with _lock:
                if _state.holding:
                    continue  # a commit: the handler notes the signal, nothing is cut
                _state.seen = ours[-1]
                for con in list(_connections):
                    try:
                        con.interrupt()
                    except Exception:  # noqa: S112 - closed meanwhile
                        continue

    threading.Thread(target=watcher, name="asnsql-signal-watch", daemon=True).start()


def ending(code: int) -> None:
    """The command has ended with ``code`` and said so: end the process now, with that
    code. Python's own shutdown would come next, and a signal during it (its handlers
    are back to the defaults by then) would end the process by the signal, after the
    command had finished; and after a KeyboardInterrupt that passed through code a C
    extension ran (pybind11's exec, in DuckDB) Python ends by SIGINT whatever the code.
    Every command has closed its databases and workers by now; what Python's exit would
    still do (multiprocessing's exit function, the streams' flush) is done here. Only
    under asnsql's own handlers (the command line), never in a process that merely
    imports asnsql."""
    if not _state.installed:
        return
    for signum in SIGNALS:
        if signal.getsignal(signum) is _on_signal:
            signal.signal(signum, signal.SIG_IGN)
    _release_process_resources(interrupted=code == EXIT_CODE)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _release_process_resources(*, interrupted: bool) -> None:
    """What Python's exit would still do for a batch: multiprocessing's own exit function
    (its semaphores released). After an interrupt, whose workers were killed, the
    semaphore tracker is ended too, once they are released: it would print warnings
    about them after our one line."""
    util = sys.modules.get("multiprocessing.util")
    if util is None:
        return
    try:
        util._exit_function()
    except Exception:  # noqa: S110 - leaving anyway
        pass
    tracker = sys.modules.get("multiprocessing.resource_tracker")
    pid = getattr(getattr(tracker, "_resource_tracker", None), "_pid", None)
    if interrupted and pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state.installed:
        # Remembered for the command's life; under the Python API (a handler of a hold
        # only) a signal is raised once and forgotten, as Python's own handler does.
        _state.seen = signum
    if _state.holding:
        _state.pending = signum
        return
    if _state.installed and _importing_duckdb(frame):
        # DuckDB's extension runs Python while it initialises (its enums): an exception
        # raised there aborts the process (SIGABRT). Noted instead, and raised when the
        # command opens its first connection (:func:`watch`).
        return
    raise KeyboardInterrupt


def _importing_duckdb(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs inside the import of DuckDB's package."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name == "duckdb" or name.startswith("duckdb."):
            return True
        frame = frame.f_back
    return False


def start_command() -> None:
    """Forget what an earlier command of this process kept (the entry point, per command)."""
    _state.kept, _state.on_commit = [], []


def requested() -> bool:
    """Whether SIGINT or SIGTERM came during this command (even if something swallowed
    the KeyboardInterrupt it raised)."""
    return bool(_state.seen)


def check() -> None:
    """A point where work may stop: raise KeyboardInterrupt if a signal came, outside a
    held section, and was swallowed on its way (DuckDB makes it an error of its own)."""
    if _state.seen and not _state.holding:
        raise KeyboardInterrupt


def keep(what: str) -> None:
    """Note what the command has made durable (``run 3 was committed …``), so that an
    interrupt from now on says it was kept."""
    _state.kept.append(what)


def keep_on_commit(what: str) -> None:
    """Note what the transaction open now makes durable once it commits (:func:`keep` at
    its commit; forgotten if it rolls back): asn_sql/db.py's ``transaction``."""
    _state.on_commit.append(what)


def committed(done: bool) -> None:
    """The open transaction committed (``done``) or rolled back: what it noted with
    :func:`keep_on_commit` is kept, or forgotten."""
    if done:
        _state.kept += _state.on_commit
    _state.on_commit = []


def kept() -> list[str]:
    """What the command has made durable so far (:func:`keep`)."""
    return list(_state.kept)


def message() -> str:
    """The one line of an interrupted command: what it kept, if anything."""
    if not _state.kept:
        return MESSAGE
    return f"{MESSAGE} after {'; '.join(_state.kept)}"


class HeldInterrupt:
    """SIGINT and SIGTERM held over a short critical section (a commit and what must follow
    it): :meth:`hold` first raises a signal already seen (:func:`check`: the section has
    not begun), then until :meth:`release` a signal is only noted in :attr:`pending`.
    Holds nest; the outermost release delivers the signal."""

    def __init__(self) -> None:
        self.pending = False
        self._held = False
        self._previous: dict[int, object] = {}

    def hold(self) -> None:
        """Start holding (again: nothing). Raises KeyboardInterrupt if a signal came."""
        if self._held:
            return
        if not _state.installed and threading.current_thread() is threading.main_thread():
            # No handler of asnsql's (the Python API): note the signals here meanwhile.
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, _on_signal)
        with _lock:
            try:
                check()  # under the lock: the watcher saw no signal, or we stop here
            except BaseException:
                self._restore()
                raise
            _state.holding += 1
        self._held = True

    def release(self, *, deliver: bool = True) -> None:
        """Stop holding. A signal noted meanwhile sets :attr:`pending` and, with
        ``deliver``, is raised again now that the section is whole (the outermost hold)."""
        if not self._held:
            return
        self._held = False
        with _lock:
            _state.holding -= 1
        self._restore()
        if _state.holding or not _state.pending:
            return
        signum, _state.pending = _state.pending, 0
        self.pending = True
        if deliver:
            # To the handler there is now: asnsql's raises KeyboardInterrupt; without
            # asnsql's, SIGINT does the same and SIGTERM ends the process as it would.
            signal.raise_signal(signum)

    def _restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        self._previous = {}

    def __enter__(self) -> HeldInterrupt:
        self.hold()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release(deliver=exc_info[0] is None)


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
    check()
    return box["value"]  # type: ignore[return-value]


def block_signals() -> set[int]:
    """Block SIGINT and SIGTERM in this thread (they wait, pending, until
    :func:`unblock_signals`); a process started meanwhile starts with them blocked too,
    so that it cannot be cut during its start-up. Returns the mask to restore."""
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS))


def unblock_signals(previous: set[int]) -> None:
    """Restore the mask :func:`block_signals` returned; pending signals arrive now."""
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def quiet_worker(parent: int | None = None) -> None:
    """Initializer of a batch's worker processes. Ctrl-C, which the terminal sends to the
    coordinator and its workers alike, and SIGTERM to the group are the coordinator's to
    handle: a worker ignores both (it holds nothing to keep: a private in-memory
    database; the coordinator writes every file and every row) and the coordinator ends
    it. A worker also ends as soon as its coordinator is gone, even killed with SIGKILL
    (``parent``: the coordinator's pid)."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    if parent is not None:
        die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends: at once on Linux (the kernel sends SIGKILL:
    prctl PR_SET_PDEATHSIG), and everywhere within a fraction of a second (a thread that
    watches the parent's pid)."""
    _parent_death_signal()
    if os.getppid() != parent:
        os._exit(EXIT_CODE)  # the parent ended before the watch began

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(0.2)
        os._exit(EXIT_CODE)

    threading.Thread(target=watch, name="asnsql-parent-watch", daemon=True).start()


def _parent_death_signal() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the watching thread alone
