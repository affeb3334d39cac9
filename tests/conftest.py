"""Shared fixtures: a migrated database in a temporary directory, pools from fixtures/."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from asn_sql import db
from asn_sql.engine.run import GenerateOptions
from asn_sql.io.load import LoadResult, load_pools

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
POOLS = FIXTURES / "pools"
BAD = FIXTURES / "bad"
EXPECTED = FIXTURES / "expected"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a migrated, empty database file in a temporary directory."""
    path = tmp_path / "asn.duckdb"
    db.open_database(path).close()
    return path


@pytest.fixture
def load(db_path: Path) -> Callable[..., LoadResult]:
    """Load a fixture pool by file name into ``db_path``."""

    def _load(name: str, **options: object) -> LoadResult:
        options.setdefault("delimiter", "|")
        options.setdefault("replace", False)
        return load_pools(db_path, [POOLS / name], **options)[0]  # type: ignore[arg-type]

    return _load


def query_rows(db_path: Path, sql: str) -> list[tuple]:
    """Every row ``sql`` gives on the database file, opened read-only."""
    con = db.open_database(db_path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it does not exist."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def options_from_args(args: list[str]) -> GenerateOptions:
    """The GenerateOptions of asn_generate's arguments as a fixture records them
    (options.txt): -i ID..., --all-candidates, --discover, --no-finalize, --version-id V."""
    ids: list[str] = []
    flags: set[str] = set()
    version_id = None
    words = iter(args)
    taking_ids = False
    for word in words:
        if word in ("-i", "--ids"):
            taking_ids = True
        elif word == "--version-id":
            version_id, taking_ids = next(words), False
        elif word.startswith("-"):
            assert word in ("--all-candidates", "--discover", "--no-finalize"), word
            flags.add(word)
            taking_ids = False
        else:
            assert taking_ids, f"unexpected argument {word!r}"
            ids.append(word)
    return GenerateOptions(
        ids=tuple(ids) or None,
        all_candidates="--all-candidates" in flags,
        discover="--discover" in flags,
        finalize="--no-finalize" not in flags,
        version_id=version_id,
    )
