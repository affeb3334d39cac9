"""Writing files all or nothing: complete (fsync'd) in a hidden folder, then moved into place.

generate writes a run's association files into a temporary folder inside ``-p``, commits
the run only when every file is complete on disk, and then renames the files into ``-p``.
Any failure before the commit removes the temporary folder (and ``-p`` itself when this
run created it); the caller rolls back the run. The folder is inside ``-p`` rather than
beside it so that the final renames never cross file systems, even when ``-p`` is a mount
point. When this run creates ``-p``, the temporary folder is beside it instead, in the
folder ``-p`` is created in (so on the same file system), and is renamed to ``-p`` at
the end: one rename rather than one per file, and no file is seen before all are.

A process killed outright (kill -9, a power cut) cannot remove its temporary folder, so
each one is named ``.asnsql-PID-…`` and holds a file ``.lock`` that the process keeps
locked (fcntl) for its life: the kernel drops the lock when the process dies, and the
next command that writes into the same folder removes every temporary folder whose lock
it can take (:func:`remove_stale_staging`).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from asn_sql import interrupt
from asn_sql.errors import AsnSqlError

# A file a command must never write over, and what it is (for the error line): its
# database, the pool it reads.
Protected = tuple[Path, str]


class OutputError(AsnSqlError):
    """An output folder or file that cannot be written; nothing was written."""


def _write_new(name: str, text: str, folder_fd: int) -> None:
    # Bare system calls, the name opened relative to the folder's descriptor: with
    # hundreds of thousands of files, a file object or a full path per file costs more
    # than the writing.
    data = text.encode("utf-8")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=folder_fd)
    try:
        written = os.write(fd, data)
        if written < len(data):
            rest = memoryview(data)[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]
    finally:
        os.close(fd)


def _plain_name(name: str) -> bool:
    """Whether ``name`` names a file directly inside a folder (no separator, not . or ..)."""
    return "/" not in name and "\x00" not in name and name not in ("", ".", "..")


def sync_folder(folder: Path) -> None:
    """Make the names in ``folder`` durable (the renames into it), where the system can."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the files themselves are synced
    finally:
        os.close(fd)


def write_new_files(folder: Path, files: Sequence[tuple[str, str]]) -> None:
    """Write files (name, text) that must not exist yet into ``folder``, unsynced: for a
    folder that is itself staged, whose caller syncs once for many folders (os.sync)
    before it moves them into place. Raises OutputError; the caller removes the folder."""
    for name, _ in files:
        if not _plain_name(name):
            raise OutputError(f"refusing to write {name!r}: not a plain file name")
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name, text in files:
            try:
                _write_new(name, text, folder_fd)
            except OSError as exc:
                raise OutputError(
                    f"cannot write {name}: {exc.strerror or exc}; nothing was written",
                    path=folder,
                ) from None
    finally:
        os.close(folder_fd)


def write_atomic(target: Path, text: str, protected: Sequence[Protected] = ()) -> None:
    """Write ``text`` to a temporary file beside ``target``, sync it, then rename it into
    place: a reader never sees half a file and an old file stays until the new one is
    complete. Raises OutputError when ``target`` cannot be a file, or is a DuckDB database
    or one of ``protected`` (:func:`check_not_protected`)."""
    check_output_file(target)
    check_not_protected(target, protected)
    try:
        fd, temporary = create_temporary(target)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror or exc}", path=target) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # A signal before this point leaves nothing; one during it, the file whole.
        with interrupt.HeldInterrupt():
            os.replace(temporary, target)
            interrupt.keep(f"{target} was written (it is kept: remove it to undo)")
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(
            f"cannot write the file: {exc.strerror or exc}; nothing was written", path=target
        ) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    sync_folder(target.parent)


def create_temporary(target: Path) -> tuple[int, str]:
    """A new, empty file with a random name beside ``target``: its descriptor and path.

    Unlike ``tempfile.mkstemp`` (always 0600), the file gets the mode ``open()`` gives,
    so a file renamed into place is as readable as one written directly.
    """
    while True:
        temporary = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


def check_output_file(target: Path) -> None:
    """Raise OutputError unless ``target`` can be written as a file: its folder exists and
    it is not a folder itself."""
    if target.is_dir():
        raise OutputError("is a folder; name the file to write", path=target)
    parent = target.parent
    if not parent.exists():
        raise OutputError(f"the folder {parent} does not exist", path=target)
    if not parent.is_dir():
        raise OutputError(f"{parent} is not a folder", path=target)


def check_not_protected(target: Path, protected: Sequence[Protected] = ()) -> None:
    """Raise OutputError when writing ``target`` would replace a DuckDB database (any: told
    by its header, not its name) or one of ``protected``, the command's own inputs (the
    same file, also through a symlink or a hard link)."""
    # asn_sql.db loads DuckDB, which `from asn_sql import load_asn` (it imports this
    # module through asn_sql.io.documents) must not.
    from asn_sql import db

    for path, what in protected:
        if db.same_file(target, path):
            raise OutputError(f"is {what}; give another output file", path=target)
    if db.is_duckdb_file(target):
        raise OutputError("is a DuckDB database; give another output file", path=target)


def protected_database(db_path: Path) -> list[Protected]:
    """The database file and its write-ahead log, as ``protected`` files."""
    from asn_sql import db  # loads DuckDB: see check_not_protected

    return [(db_path, "the database"), (db.wal_path(db_path), "the database's log")]


# Up to this many files a run syncs each of its files, past it the whole machine once.
# bench/bench_sync.py on a loaded 2-core ext4 machine, medians: 10 files 10 ms against
# 4 ms, 30 files 20 ms against 7 ms, 100 files 43 ms against 8 ms. A whole sync is
# cheaper here, but it also waits for every other process's unwritten data (up to 357 ms
# beside a process writing a big file): for a run of few files the cost should follow
# its own files.
SYNC_EACH_MAX = 32
_SYNC_THREADS = 8

# Temporary folders: ``.asnsql-PID-RANDOM``, holding the lock file their process keeps.
STAGING_PREFIX = ".asnsql-"
_LOCK_FILE = ".lock"
# A temporary folder whose process looks alive but whose lock is free (its pid taken by
# another process since) is removed once it is this old: a live process takes its lock
# within microseconds of making the folder.
_UNLOCKED_GRACE_SECONDS = 60.0


class Staging:
    """A new temporary folder in ``parent``, named for this process and locked for as long
    as it is open (:meth:`close` unlocks it, :meth:`remove` removes it too)."""

    def __init__(self, parent: Path) -> None:
        remove_stale_staging(parent)
        self.path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
        try:
            self._lock: int | None = os.open(
                self.path / _LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600
            )
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def close(self) -> None:
        """Remove the lock file and unlock (before the folder is renamed into place)."""
        if self._lock is None:
            return
        try:
            os.unlink(self.path / _LOCK_FILE)
        except OSError:
            pass
        os.close(self._lock)
        self._lock = None

    def remove(self) -> None:
        """Remove the folder and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.close()


def remove_stale_staging(parent: Path) -> list[Path]:
    """Remove the temporary folders in ``parent`` left by processes that died before they
    could (killed, or the machine stopped); returns them. A folder is stale when its lock
    can be taken and its process is gone. Never raises: a folder that cannot be read or
    cleaned is left as it is."""
    removed = []
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(STAGING_PREFIX)]
    except OSError:
        return []
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False) or not _stale(Path(entry.path)):
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _stale(folder: Path) -> bool:
    try:
        lock = os.open(folder / _LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        lock = None  # made but not locked yet, or unlocked to be renamed: the pid tells
    try:
        if lock is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # its process holds it: alive
        pid = _pid_of(folder.name)
        if pid == os.getpid():
            return False  # this process's own, between its making and its lock
        if pid is not None and not _alive(pid):
            return True
        # Its pid is another process's now, or the name carries none (an older asnsql).
        return time.time() - folder.lstat().st_mtime > _UNLOCKED_GRACE_SECONDS
    finally:
        if lock is not None:
            os.close(lock)


def _pid_of(name: str) -> int | None:
    head = name[len(STAGING_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


class StagedFolder:
    """Files for ``folder``, written first into a hidden temporary folder, then moved.

    Use as a context manager: files are written with :meth:`write` or :meth:`write_many`;
    :meth:`publish` moves them into ``folder``; leaving the block without publishing
    removes every trace. The temporary folder is inside ``folder`` when it exists; when
    it does not, beside it (in the folder this creates it in, so on the same file
    system), and publishing renames it to ``folder``: one rename however many files.
    """

    def __init__(self, folder: Path, protected: Sequence[Protected] = ()) -> None:
        self.folder = folder
        self.protected = list(protected)
        self._created: Path | None = None
        self._area: Staging | None = None
        self._staging: Path | None = None
        self._staging_fd: int | None = None
        self._names: list[str] = []
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def __enter__(self) -> StagedFolder:
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError("is a file, not a folder", path=self.folder, settings=("output_dir",))
        blocker = next((p for p in self.folder.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise OutputError(f"cannot make this folder: {blocker} is a file", path=self.folder)
        self._created = _top_missing(self.folder)
        # The folder is still made now: a database the run creates may be inside it.
        beside = self.folder.parent if self._created is not None else self.folder
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # An earlier run, killed, left its folder inside or beside the folder.
            for place in {self.folder, self.folder.parent} - {beside}:
                remove_stale_staging(place)
            self._area = Staging(beside)
            self._staging = self._area.path
            self._staging_fd = os.open(self._staging, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            self._cleanup()
            raise OutputError(
                f"cannot write here: {exc.strerror or exc}", path=self.folder
            ) from None
        return self

    def write(self, name: str, text: str) -> None:
        """Write one complete file (synced) into the temporary folder."""
        self._check_name(name)
        self._wait()
        self._write_files([(name, text)])
        self._names.append(name)

    def write_many(self, files: list[tuple[str, str]]) -> None:
        """Write complete files (name, text) into the temporary folder, on a thread of
        their own, while the caller prepares the next ones: the creation of a file is
        system time that need not wait for Python. The names are checked now; an error
        of the writing (OutputError) is raised by the next call of this object, and
        the writing is waited for before publishing or removing the folder."""
        for name, _ in files:
            self._check_name(name)
        self._wait()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="asnsql-write")
        self._pending = self._writer.submit(self._write_files, files)
        self._names += [name for name, _ in files]

    def check_targets(self) -> None:
        """Raise OutputError if a file cannot be moved into place (a folder of its name, a
        database or a protected file: :func:`check_not_protected`); then wait until every
        file written is on disk (:meth:`_sync_files`)."""
        self._wait()
        self._sync_files()
        # One listing of the folder rather than a lookup per file: most names are new.
        # Compared case-folded, as a file system that ignores case would match them.
        try:
            present = {name.casefold() for name in os.listdir(self.folder)}
        except OSError as exc:
            raise OutputError(
                f"cannot read the folder: {exc.strerror or exc}; nothing was written",
                path=self.folder,
            ) from None
        for name in self._names:
            if name.casefold() not in present:
                continue
            target = self.folder / name
            try:
                os.stat(target)
            except OSError:
                continue  # a broken link: the move replaces the link itself
            if target.is_dir():
                raise OutputError("a folder has this name; nothing was written", path=target)
            check_not_protected(target, self.protected)

    def _sync_files(self) -> None:
        """Wait until the files written are on disk: each synced on its own when they are
        few, so that the cost follows this run's files and not other processes' unwritten
        data (which a sync of the whole machine waits for); one sync of everything when
        they are many (bench/bench_sync.py measures both)."""
        if not self._names:
            return
        if len(self._names) > SYNC_EACH_MAX:
            os.sync()
            return
        # A few at a time: the file system commits concurrent syncs together, where one
        # after the other costs a journal commit each.
        with ThreadPoolExecutor(min(_SYNC_THREADS, len(self._names))) as syncing:
            for _ in syncing.map(self._sync_one, self._names):
                pass

    def _sync_one(self, name: str) -> None:
        assert self._staging_fd is not None
        try:
            fd = os.open(name, os.O_RDONLY, dir_fd=self._staging_fd)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise OutputError(
                f"cannot write {name}: {exc.strerror or exc}; nothing was written",
                path=self.folder,
            ) from None

    def publish(self) -> list[Path]:
        """Move every file into the folder; returns their paths in the order written.
        A signal before the move leaves nothing; one during it is held until every file
        is in place."""
        self._wait()
        assert self._staging is not None and self._staging_fd is not None
        sync_folder(self._staging)
        with interrupt.HeldInterrupt():
            assert self._area is not None
            self._area.close()  # its lock file must not be moved with the files
            renamed = self._rename_whole()
            if not renamed:
                self._move_each()
        sync_folder(self.folder.parent if renamed else self.folder)
        targets = [self.folder / name for name in self._names]
        self._close_staging()
        if not renamed:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging = None
        self._created = None
        return targets

    def __exit__(self, *exc_info: object) -> None:
        self._cleanup()

    def _rename_whole(self) -> bool:
        """Rename the temporary folder to ``folder`` when this made ``folder`` and it is
        still empty; False (nothing changed) otherwise."""
        assert self._staging is not None
        if self._created is None:
            return False
        try:
            # The temporary folder takes the mode the made folder got (mkdtemp's is 0700).
            os.chmod(self._staging, stat.S_IMODE(os.stat(self.folder).st_mode))
            os.rmdir(self.folder)
        except OSError:
            return False  # something was put there meanwhile (the run's database)
        try:
            os.rename(self._staging, self.folder)
        except OSError:
            # Made again meanwhile, not empty: the files go in one by one.
            self.folder.mkdir(exist_ok=True)
            return False
        return True

    def _move_each(self) -> None:
        assert self._staging_fd is not None
        folder_fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name in self._names:
                os.replace(name, name, src_dir_fd=self._staging_fd, dst_dir_fd=folder_fd)
        finally:
            os.close(folder_fd)

    @staticmethod
    def _check_name(name: str) -> None:
        if not _plain_name(name):
            raise OutputError(f"refusing to write {name!r}: not a plain file name")

    def _write_files(self, files: list[tuple[str, str]]) -> None:
        assert self._staging_fd is not None
        for name, text in files:
            try:
                _write_new(name, text, self._staging_fd)
            except OSError as exc:
                raise OutputError(
                    f"cannot write {name}: {exc.strerror or exc}; nothing was written",
                    path=self.folder,
                ) from None

    def _wait(self) -> None:
        """Wait for the files handed to the writing thread; raise what it raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _close_staging(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._staging_fd is not None:
            os.close(self._staging_fd)
            self._staging_fd = None

    def _cleanup(self) -> None:
        # The writing thread is stopped first: it must not create files in a folder
        # being removed.
        if self._writer is not None:
            self._writer.shutdown(wait=True, cancel_futures=True)
            self._writer = None
        self._pending = None
        self._close_staging()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._area is not None:
            self._area.close()
            self._area = None
        if self._created is not None:
            shutil.rmtree(self._created, ignore_errors=True)
            self._created = None


def _top_missing(folder: Path) -> Path | None:
    """The outermost folder of ``folder``'s path that does not exist yet, if any."""
    missing = None
    for candidate in [folder, *folder.parents]:
        if candidate.exists():
            break
        missing = candidate
    return missing
