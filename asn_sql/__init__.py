"""asnsql: JWST associations built by SQL rules over a DuckDB database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from asn_sql.errors import (
        AsnSqlError,
        DatabaseError,
        MigrationError,
        MissingFileError,
        PoolError,
        QueryError,
        RuleError,
        UsageError,
    )
    from asn_sql.io.documents import DocumentError, load_asn
    from asn_sql.io.staged_files import OutputError
    from asn_sql.names import NamingError
    from asn_sql.tools.diff import DiffError
    from asn_sql.tools.from_list import FromListError
    from asn_sql.tools.gather import GatherError
    from asn_sql.tools.make_pool import HeaderError

# `import asn_sql` stays light: duckdb and jsonschema load on first use of the API.
# (The engine's run lives in asn_sql.engine.run: a submodule named `generate` would replace
# the function on the package as soon as it is imported.)
_LAZY = {
    "load_asn": "asn_sql.io.documents",
    # Every error the API raises: AsnSqlError and the errors of each room under it.
    "AsnSqlError": "asn_sql.errors",
    "DatabaseError": "asn_sql.errors",
    "DiffError": "asn_sql.tools.diff",
    "DocumentError": "asn_sql.io.documents",
    "FromListError": "asn_sql.tools.from_list",
    "GatherError": "asn_sql.tools.gather",
    "HeaderError": "asn_sql.tools.make_pool",
    "MigrationError": "asn_sql.errors",
    "MissingFileError": "asn_sql.errors",
    "NamingError": "asn_sql.names",
    "OutputError": "asn_sql.io.staged_files",
    "PoolError": "asn_sql.errors",
    "QueryError": "asn_sql.errors",
    "RuleError": "asn_sql.errors",
    "UsageError": "asn_sql.errors",
}

__all__ = [
    "AsnSqlError",
    "DatabaseError",
    "DiffError",
    "DocumentError",
    "FromListError",
    "GatherError",
    "HeaderError",
    "MigrationError",
    "MissingFileError",
    "NamingError",
    "OutputError",
    "PoolError",
    "QueryError",
    "RuleError",
    "UsageError",
    "__version__",
    "generate",
    "load_asn",
]


def generate(
    pool_path: str | Path,
    level: int | str = "all",
    *,
    db_path: str | Path | None = None,
    rules: str | Path | None = None,
    ignore_default: bool = False,
) -> dict[str, dict[str, Any]]:
    """Associations of a pool file, as ``asn_generate`` would write them.

    Args:
        pool_path: a pool file.
        level: 2, 3 or "all".
        db_path: a database file to keep the run in; None: a temporary one, removed after.
        rules: a folder of user rule files (``generate -r``); ``ignore_default``: only those.
    Returns:
        The documents by file name (``jw…_asn.json``), in the order the run wrote them.
    Raises:
        MissingFileError: no such pool file or rules folder (a FileNotFoundError too).
        AsnSqlError: a pool that cannot be read, a bad ``level``, a bad rule file.
    """
    # A function here rather than a lazy name: touching asn_sql.generate loads no DuckDB,
    # only calling it does (asn_sql.api.generate, whose signature tests/test_api.py
    # checks is this one).
    from asn_sql.api import generate as generate_in_api

    return generate_in_api(
        pool_path, level, db_path=db_path, rules=rules, ignore_default=ignore_default
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'asn_sql' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public API, for dir() and tab completion; not typing's names nor submodules.
    return sorted(__all__)
