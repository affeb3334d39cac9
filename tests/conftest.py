"""Shared fixtures: a migrated database in a temporary directory, pools from fixtures/."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import time
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


@pytest.fixture(autouse=True)
def _signals_as_python_starts() -> None:
    """Every test starts with SIGINT and SIGTERM as Python starts a process: handled by
    default, not blocked. Commands run in-process (by tests and by module fixtures)
    install asnsql's handlers, hold signals around commits, and a batch worker's
    initializer ignores both; a process a later test starts would inherit an ignored or
    blocked SIGINT, and the signal tests would see no interrupt at all."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))


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


def cpu_seconds(pid: int) -> float:
    """The CPU time, user and system, that process ``pid`` has used so far (Linux's
    /proc); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; whether it held.

    Tests wait for what they need (a file, a process's progress), never for a fixed time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="session")
def generated_template(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``template(pool, **options)``: a database on which ``generate`` ran once (a dry
    run, run 1) over the fixture pool with those GenerateOptions, made the first time a
    test asks for it. Never write to it: take a copy with ``generated_db``."""
    from asn_sql.api import generate_documents
    from asn_sql.engine.run import GenerateOptions

    made: dict[tuple[str, tuple[tuple[str, object], ...]], Path] = {}

    def template(pool: str, **options: object) -> Path:
        key = (pool, tuple(sorted(options.items())))
        if key not in made:
            path = tmp_path_factory.mktemp("generated") / "asn.duckdb"
            generate_documents(
                path,
                str(POOLS / pool),
                GenerateOptions(**options),  # type: ignore[arg-type]
                output_dir=None,
            )
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def generated_db(generated_template: Callable[..., Path], tmp_path: Path) -> Callable[..., Path]:
    """``copy(pool, name="asn.duckdb", **options)``: a private copy in ``tmp_path`` of a
    database on which ``generate`` ran over a fixture pool (see ``generated_template``),
    for tests that read, explain or change a run rather than make it: one generate a
    session, not one a test."""

    def copy(pool: str, name: str = "asn.duckdb", **options: object) -> Path:
        target = tmp_path / name
        shutil.copyfile(generated_template(pool, **options), target)
        return target

    return copy


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
