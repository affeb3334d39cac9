"""A batch stopped before it recorded any pool leaves nothing, as generate does: the
database file it created and the output folders it made are removed (they were left, a
migrated database with no run and an empty folder)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .failure_harness import copy_db, digest, run
from .signal_support import finish, start, wait_for


def _stop_batch_waiting_on_a_fifo(tmp_path: Path, signum: int) -> str:
    # a fifo no one writes holds the batch after it opened the database and made -p
    os.mkfifo(tmp_path / "pool.csv")
    process = start(
        ["batch", "pool.csv", "-p", "out/nested", "--workers", "1", "--db", "asn.duckdb"],
        tmp_path,
    )
    assert wait_for(lambda: (tmp_path / "out" / "nested").is_dir(), process), finish(process).stderr
    process.send_signal(signum)
    done = finish(process)
    assert done.returncode == 130, done.stderr
    return done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_batch_stopped_before_any_pool_removes_the_database_and_folders_it_made(
    tmp_path: Path, signum: int
) -> None:
    stderr = _stop_batch_waiting_on_a_fifo(tmp_path, signum)
    assert stderr == "Error: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.csv"]


def test_a_batch_stopped_before_any_pool_keeps_a_database_that_was_there(
    tmp_path: Path, template_db: Path
) -> None:
    db = copy_db(template_db, tmp_path)
    before = digest(db)
    stderr = _stop_batch_waiting_on_a_fifo(tmp_path, signal.SIGINT)
    assert stderr == "Error: interrupted\n"
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asn.duckdb", "pool.csv"]


def test_a_batch_whose_every_pool_fails_leaves_no_database_and_no_folder(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    outcome = run(
        "batch", tmp_path / "empty.csv", "-p", tmp_path / "out", "--db", tmp_path / "asn.duckdb"
    )
    assert outcome.code == 1, outcome.stderr
    assert outcome.stderr.splitlines() == [
        f"Error: {tmp_path / 'empty.csv'}: the file is empty: a pool needs a header row",
        "batch: 0 pools done, 0 skipped, 1 failed; 0 associations",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.csv"]


@pytest.mark.parametrize("command", ["load", "generate", "batch"])
def test_a_database_given_as_a_pool_is_named_as_one(
    tmp_path: Path, template_db: Path, command: str
) -> None:
    db = copy_db(template_db, tmp_path / "db")
    before = digest(db)
    outcome = run(command, db, "--db", db, *(["-p", tmp_path / "out"] if command != "load" else []))
    assert f"Error: {db}: is a DuckDB database, not a pool (see --db)" in outcome.stderr
    assert outcome.code == (1 if command == "batch" else 2)
    assert digest(db) == before and not (tmp_path / "out").exists()
