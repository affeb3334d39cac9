"""Defaults the command line needs before anything heavy is imported (no duckdb here)."""

from __future__ import annotations

DEFAULT_DB = "asn.duckdb"
DB_ENV = "ASNSQL_DB"
DEFAULT_DELIMITER = "|"
# jwst's file name for --save-orphans given alone.
ORPHANS_FILE = "orphaned.csv"
