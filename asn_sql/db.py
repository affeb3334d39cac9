"""Opening the database file, migrations, transactions, and the pool columns of `exposures`."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from asn_sql import interrupt
from asn_sql.defaults import DB_ENV, DEFAULT_DB
from asn_sql.errors import DatabaseError, MigrationError, first_line
from asn_sql.resources import migrations_dir

# DuckDB's memory and thread budget; by default half the machine's memory and
# every CPU this process may use (see the README, "Big pools").
MEMORY_ENV = "ASNSQL_MEMORY_LIMIT"
THREADS_ENV = "ASNSQL_THREADS"
# The attached database's catalog name; unqualified table names resolve to it.
CATALOG = "asn"
# The path DuckDB reads as a database in memory, not a file.
MEMORY = ":memory:"

# Every connection: no extension is downloaded or loaded behind asnsql's back. Without
# this, DuckDB meets a SQLite file given as the database by downloading sqlite_scanner
# into ~/.duckdb, even for a read-only command.
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


@dataclass(frozen=True)
class Migration:
    """One numbered schema file."""

    number: int
    name: str
    path: Path


# A DuckDB database file starts with a block checksum (8 bytes) and then "DUCK".
_MAGIC = b"DUCK"
_MAGIC_AT = 8


def is_duckdb_file(path: Path) -> bool:
    """Whether ``path`` (through symlinks) is a regular file with DuckDB's header; the
    extension says nothing: an analyst's database may have any name."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False  # a pipe or a device: opening it could block or never end
        with open(path, "rb") as handle:
            head = handle.read(_MAGIC_AT + len(_MAGIC))
    except OSError:
        return False
    return head[_MAGIC_AT:] == _MAGIC


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` both exist and are one file (a symlink, a hard link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def default_db_path() -> Path:
    """``$ASNSQL_DB`` when set, else ``asn.duckdb`` in the current directory."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def available_migrations(folder: Path | None = None) -> list[Migration]:
    """The migration files on disk, in order; gaps or stray names are an error."""
    folder = folder or migrations_dir()
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError("not named NNNN_name.sql", path=path)
        found.append(Migration(int(match.group(1)), path.stem, path))
    for expected, migration in enumerate(found, start=1):
        if migration.number != expected:
            raise MigrationError(f"expected migration number {expected:04d}", path=migration.path)
    return found


def resource_settings() -> dict[str, str]:
    """DuckDB's ``memory_limit`` and ``threads``: ``$ASNSQL_MEMORY_LIMIT`` (such as
    ``4GB``) and ``$ASNSQL_THREADS`` when set, else half the physical memory and the
    CPUs this process may run on."""
    memory = os.environ.get(MEMORY_ENV)
    if not memory:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        memory = f"{max(total // 2 // 2**20, 256)}MiB"
    threads = os.environ.get(THREADS_ENV)
    if not threads:
        threads = str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    return {"memory_limit": memory, "threads": threads}


def connect_memory(spill_beside: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory connection, used to stage work before touching the file.

    DuckDB keeps to :func:`resource_settings` and writes what does not fit to a
    folder ``<spill_beside>.tmp`` next to the database (``.tmp`` here when None),
    which it removes when the connection closes.
    """
    settings = resource_settings()
    config: dict[str, str | bool | int] = dict(NO_EXTENSIONS, **_SETTINGS)
    if spill_beside is not None:
        config["temp_directory"] = f"{spill_beside}.tmp"
    try:
        # every setting given when the database opens: no statement to run for them
        config["threads"] = int(settings["threads"])
        config["memory_limit"] = settings["memory_limit"]
        return interrupt.watch(duckdb.connect(":memory:", config=config))
    except (duckdb.Error, ValueError):
        pass  # a bad $ASNSQL_MEMORY_LIMIT or $ASNSQL_THREADS: said as below
    con = interrupt.watch(duckdb.connect(":memory:", config=dict(NO_EXTENSIONS)))
    try:
        con.execute("set memory_limit = $m", {"m": settings["memory_limit"]})
        con.execute("set threads = $t", {"t": int(settings["threads"])})
    except (duckdb.Error, ValueError) as exc:
        con.close()
        raise DatabaseError(
            f"${MEMORY_ENV} / ${THREADS_ENV} are not usable ({first_line(exc)}); "
            "give a size such as 4GB and a whole number of threads"
        ) from None
    if spill_beside is not None:
        con.execute("set temp_directory = $t", {"t": f"{spill_beside}.tmp"})
    for name, value in _SETTINGS.items():
        con.execute(f"set {name} = $v", {"v": value})
    return con


_SETTINGS: dict[str, str | bool] = {
    # DuckDB rewrites an IN list of constants into a join, which costs a query
    # planning time out of all proportion on the rules' many small lists.
    "disabled_optimizers": "in_clause",
    # DuckDB draws a progress bar on stdout during long statements (a big pool's
    # load); stdout carries only results.
    "enable_progress_bar": False,
}


# Below this many rows a pool runs on one DuckDB thread: its statements each take a
# few milliseconds, which a second thread only adds waiting to (on a busy machine,
# for a thread the scheduler has not run yet).
SMALL_POOL_ROWS = 10_000


def fit_threads(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    """One DuckDB thread for a pool of fewer than SMALL_POOL_ROWS rows, unless
    ``$ASNSQL_THREADS`` sets the number."""
    if rows < SMALL_POOL_ROWS and not os.environ.get(THREADS_ENV):
        con.execute("set threads = 1")


def attach(
    con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Attach the database file to ``con`` as the default catalog, migrating it first.

    A read-only attach of a database that needs migrations upgrades it in a
    short read-write session first, so analysts always see the current schema.
    """
    if read_only and not path.exists():
        raise DatabaseError("no database here; load a pool first (asnsql load POOL)", path=path)
    check_database_file(path)
    # a new file (and no write-ahead log left to replay into it): nothing applied, no read
    new = not os.path.lexists(path) and not os.path.lexists(wal_path(path))
    # (":memory:" is DuckDB's name for a database in memory: a batch worker's)
    if new and not read_only and str(path) != MEMORY and _copy_new_database(path):
        try:
            _attach_file(con, path, read_only=False)
            # the migrations are applied now, as far as the file says
            con.execute("update schema_migrations set applied_at = $at", {"at": now()})
            return con
        except (DatabaseError, MigrationError, duckdb.Error):
            # a damaged copy in the cache: forget it and make the database as without one
            if os.path.lexists(path):
                with suppress(duckdb.Error):
                    _detach(con)
            remove_database(path)
            template = _new_database_template()
            if template is not None:
                template.unlink(missing_ok=True)
    new = new and not os.path.lexists(path)  # not made meanwhile by another process
    if _attach_file(con, path, read_only=read_only, new=new) and read_only:
        # migrations to apply: in a short read-write session, then read-only again
        _detach(con)
        _attach_file(con, path, read_only=False)
        _detach(con)
        _attach_file(con, path, read_only=True)
    return con


def _copy_new_database(path: Path) -> bool:
    """Make ``path`` a copy of a new, migrated database file kept in the user's cache (made
    there the first time): copying one costs a run less than a dozen statements that
    create tables. False (nothing made) when there is no cache or the copy fails."""
    template = _new_database_template()
    if template is None:
        return False
    made = False
    try:
        with open(template, "rb") as source, open(path, "xb") as target:
            made = True
            shutil.copyfileobj(source, target)
    except OSError:
        if made:
            remove_database(path)
        return False
    return True


def _new_database_template() -> Path | None:
    """A new database with every migration applied, for this DuckDB and these migration
    files; None without a writable cache ($ASNSQL_NO_CACHE set)."""
    if os.environ.get("ASNSQL_NO_CACHE"):
        return None
    digest = hashlib.sha256(duckdb.__version__.encode())
    for migration in available_migrations():
        digest.update(migration.name.encode() + b"\0" + migration.path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    template = base / "asnsql" / "databases" / f"{digest.hexdigest()[:16]}.duckdb"
    if template.is_file():
        return template
    making = template.with_name(f"{template.stem}.{os.getpid()}.tmp")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        remove_database(making)
        con = duckdb.connect(":memory:", config=dict(NO_EXTENSIONS))
        try:
            con.execute("attach $path as made", {"path": str(making)})
            con.execute("use made")
            _migrate(con, available_migrations())
            con.execute("use memory")
            con.execute("detach made")  # checkpointed: the file alone holds it all
        finally:
            con.close()
        os.replace(making, template)
    except (OSError, duckdb.Error):
        remove_database(making)
        return None
    return template


def check_database_file(path: Path) -> None:
    """Raise DatabaseError unless ``path`` is missing (a new database is made there) or is
    a DuckDB database file: a pool, a JSON or a Parquet file given as --db must not be
    opened (DuckDB would read it as something else, or write over it)."""
    if not os.path.lexists(path):
        return
    if path.is_dir():
        raise DatabaseError("is a directory, not a database file", path=path)
    if not path.exists():
        raise DatabaseError("is a broken symbolic link, not a database file", path=path)
    if not is_duckdb_file(path):
        raise DatabaseError(
            "is not a DuckDB database (asnsql keeps its runs in one); give another database file",
            path=path,
            settings=("db",),
        )


def open_database(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the migrated database at ``path``."""
    return attach(connect_memory(spill_beside=path), path, read_only=read_only)


def _attach_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool, new: bool = False
) -> list[Migration]:
    """Attach and use ``path``; read-write, migrate it. Returns the migrations a read-only
    attach leaves to apply (``new``: the file does not exist yet, nothing is applied)."""
    if path.is_dir():
        raise DatabaseError("is a directory, not a database file", path=path)
    mode = " (read_only)" if read_only else ""
    try:
        # The path is a bound value; only the read-only flag shapes the statement.
        con.execute(f"attach $path as {CATALOG}{mode}", {"path": str(path)})
    except duckdb.IOException as exc:
        raise _open_error(path, exc) from None
    except duckdb.Error as exc:
        raise DatabaseError(f"cannot open the database: {first_line(exc)}", path=path) from None
    con.execute(f"use {CATALOG}")
    pending = _check_not_newer(con, path, [] if new else None)
    if not read_only:
        _migrate(con, pending)
        return []
    return pending


def _detach(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("use memory")
    con.execute(f"detach {CATALOG}")


def _applied(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The migrations applied to ``catalog``: one read (none when it has no
    schema_migrations table, as a new database)."""
    try:
        rows = con.execute(f"select name from {catalog}.schema_migrations order by name")
    except duckdb.CatalogException:
        return []
    return [name for (name,) in rows.fetchall()]


def _check_not_newer(
    con: duckdb.DuckDBPyConnection, path: Path, applied: list[str] | None = None
) -> list[Migration]:
    """The migrations still to apply; MigrationError if the database knows one that this
    version does not. ``applied`` when known already (a new database: none)."""
    known = available_migrations()
    applied = _applied(con, CATALOG) if applied is None else applied
    unknown = sorted(set(applied) - {m.name for m in known})
    if unknown:
        raise MigrationError(
            f"this database was written by a newer asnsql (migration {unknown[-1]} is unknown "
            "to this version); upgrade asnsql or use another database file",
            path=path,
            settings=("db",),
        )
    return [m for m in known if m.name not in applied]


def _migrate(con: duckdb.DuckDBPyConnection, pending: list[Migration]) -> None:
    if not pending:
        return
    # One transaction for all of them (a new database has them all to apply): each
    # file still lands with its row in schema_migrations, and one commit costs less
    # than one a file.
    with transaction(con):
        for migration in pending:
            try:
                con.execute(migration.path.read_text(encoding="utf-8"))
            except duckdb.Error as exc:
                raise MigrationError(first_line(exc), path=migration.path) from None
        con.execute(
            "insert into schema_migrations select unnest($names), $at",
            {"names": [migration.name for migration in pending], "at": now()},
        )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back if it raises.

    Inside another transaction the block joins it: the outer block commits or rolls
    back both (generate keeps a new pool's load, its run and its files together)."""
    if id(con) in _OPEN_TRANSACTIONS:
        yield con
        return
    # DuckDB aborts a transaction in which any statement fails, even a nested
    # "begin", so the open transactions are tracked here rather than probed.
    con.execute("begin transaction")
    _OPEN_TRANSACTIONS.add(id(con))
    held = interrupt.HeldInterrupt()
    try:
        yield con
        # A signal that came during the block (even one swallowed on its way) rolls it
        # back; from here to the end of the commit one is only noted, then raised.
        held.hold()
    except BaseException:
        interrupt.committed(False)
        con.execute("rollback")
        raise
    finally:
        _OPEN_TRANSACTIONS.discard(id(con))
    try:
        con.execute("commit")
        interrupt.committed(True)
    except BaseException:
        interrupt.committed(False)
        raise
    finally:
        held.release()


# id() of each connection inside a `transaction` block.
_OPEN_TRANSACTIONS: set[int] = set()


def _open_error(path: Path, exc: duckdb.Error) -> DatabaseError:
    text = str(exc)
    if "lock" in text.lower():
        holder = _LOCK_HOLDER.search(text)
        who = f" (PID {holder.group(1)})" if holder else ""
        return DatabaseError(
            f"the database is locked by another process{who}; close it and try again", path=path
        )
    return DatabaseError(f"cannot open the database: {first_line(exc)}", path=path)


def wal_path(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside a database file."""
    # DuckDB appends to the path as given; with_name() raised on '.', '..' or '/' (--db '').
    return Path(f"{path}.wal")


def remove_database(path: Path) -> None:
    """Remove a database file, and its write-ahead log, that a failed command created."""
    for file in (path, wal_path(path)):
        try:
            file.unlink(missing_ok=True)
        except OSError:
            pass  # what cannot be removed stays; the command's own error says what failed


def remove_if_no_run(path: Path) -> None:
    """Remove a database file a command created, and its log, when no run was committed
    to it (a batch that recorded no pool); keep it when it cannot tell."""
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("select count(*) from runs").fetchone()
        finally:
            con.close()
    except (duckdb.Error, OSError):
        return
    if row is not None and row[0] == 0:
        remove_database(path)


def clean_up_after_failure(path: Path, *, existed: bool, wal_existed: bool) -> None:
    """After a failed command (its connection closed): remove the database file if the
    command created it, and an empty write-ahead log a failed commit left behind."""
    if not existed:
        remove_database(path)
        return
    wal = wal_path(path)
    try:
        if not wal_existed and wal.exists() and wal.stat().st_size == 0:
            wal.unlink()
    except OSError:
        pass


def now() -> datetime:
    """The current UTC time, naive, as stored in timestamp columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def execute_script(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, object] | None = None,
    *,
    every_pass: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Run every statement of ``sql``, giving each the bound parameters it names.

    A comment line ``-- asnsql: unless_empty TABLE`` before a statement skips it and
    those after it, up to the matching ``-- asnsql: end`` (a comment before a later
    statement), when TABLE has no row: a pass that has nothing to work on is not
    planned at all. The skipped statements must change nothing when TABLE is empty,
    and create no table read outside the block. ``every_pass`` runs them all the same
    (checking a rule plans every statement it takes part in)."""
    params = params or {}
    result = con
    skipping = 0  # how deep inside skipped blocks; 0: running
    for statement in con.extract_statements(sql):
        for marker, table in _GUARD.findall(statement.query):
            if marker == "end":
                skipping = max(skipping - 1, 0)
            elif skipping or not (every_pass or has_rows(con, table)):
                skipping += 1
        if skipping:
            continue
        wanted = {name: params[name] for name in statement.named_parameters}
        result = con.execute(statement, wanted) if wanted else con.execute(statement)
    return result


_GUARD = re.compile(r"^\s*--\s*asnsql:\s*(unless_empty|end)\b\s*([a-z0-9_]*)", re.M)


def has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` (a name from asnsql's own SQL, never from a pool) has a row."""
    row = con.execute(f"select exists (select 1 from {table})").fetchone()
    return bool(row and row[0])


# Columns of `exposures` that asnsql fills itself rather than from a pool column.
_BOOKKEEPING = ("pool_id", "row_no", "line_no", "extra")


def exposure_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The pool columns the `exposures` table knows, in table order."""
    # duckdb_columns() rather than information_schema, whose views cost more to plan
    rows = con.execute(
        "select column_name from duckdb_columns() "
        "where database_name = current_database() and table_name = 'exposures' "
        "order by column_index"
    ).fetchall()
    return [name for (name,) in rows if name not in _BOOKKEEPING]
