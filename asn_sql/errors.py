"""Errors the user can fix: each says what is wrong and where."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path


class AsnSqlError(Exception):
    """Something the user can fix; ``str()`` reads ``pool.csv, line 14, column 3: ...``.

    ``settings`` names the settings at fault by their parameter names (``delimiter``,
    ``rules_dir``): the message speaks of them in words, never of command-line options,
    and the command line adds the option that sets each (asn_sql/cli/common.py)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        settings: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.settings = tuple(settings)

    def __str__(self) -> str:
        where = [self.path] if self.path else []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MissingFileError(AsnSqlError, FileNotFoundError):
    """A file or folder given does not exist: a FileNotFoundError (``errno`` ENOENT,
    ``filename`` the path) as well as an AsnSqlError."""

    def __init__(self, message: str = "no such file", *, path: str | Path | None = None) -> None:
        super().__init__(message, path=path)
        self.errno = errno.ENOENT
        self.strerror = message
        self.filename = self.path


class PoolError(AsnSqlError):
    """A pool file that cannot be read as jwst reads it."""


class DatabaseError(AsnSqlError):
    """The database file cannot be opened, is locked, or is from a newer asnsql."""


class MigrationError(DatabaseError):
    """The migrations on disk and in the database disagree."""


class QueryError(AsnSqlError):
    """An analyst's SQL failed."""


class RuleError(AsnSqlError):
    """A rule file is malformed or its SQL failed."""


class UsageError(AsnSqlError):
    """A bad combination of options or a name that matches nothing."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (DuckDB's run on with context lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
