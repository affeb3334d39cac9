"""asnsql: JWST associations built by SQL rules over a DuckDB database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["AsnSqlError", "__version__", "generate", "load_asn"]

if TYPE_CHECKING:
    from asn_sql.api import generate
    from asn_sql.errors import AsnSqlError
    from asn_sql.io.documents import load_asn

# `import asn_sql` stays light: duckdb and jsonschema load on first use of the API.
# (The engine's run lives in asn_sql.engine.run: a submodule named `generate` would replace
# the function on the package as soon as it is imported.)
_LAZY = {
    "generate": "asn_sql.api",
    "load_asn": "asn_sql.io.documents",
    "AsnSqlError": "asn_sql.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'asn_sql' has no attribute {name!r}")
