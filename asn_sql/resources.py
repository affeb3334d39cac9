"""Where the SQL and migration files are, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(packaged: str, checkout: str) -> Path:
    # A wheel carries the folders inside the package; an editable install or a
    # checkout reads them at the top of the repository.
    inside = _PACKAGE / packaged
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


def sql_dir() -> Path:
    """The ``sql/`` folder: rules, macros and finalize steps."""
    return _find("_sql", "sql")


def migrations_dir() -> Path:
    """The ``migrations/`` folder: numbered schema files."""
    return _find("_migrations", "migrations")


def schemas_dir() -> Path:
    """jwst's association JSON schemas, shipped as package data."""
    return _PACKAGE / "schemas"
