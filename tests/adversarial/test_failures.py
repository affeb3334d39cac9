"""A failed command leaves nothing (reliability kind 3) and ends with one line (kind 4):
unwritable or full output folders and databases, interrupts, files that are not pools,
deep JSON, outputs that name folders. The database's bytes stay as they were and no
file appears outside the paths the command names; a bug in asnsql is exit 1."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cpu_seconds, wait_until

from asn_sql.io import staged_files

from .failure_harness import (
    POOLS,
    SMALL_POOL,
    assert_one_error_line,
    copy_db,
    digest,
    run,
    tree,
)


def _unchanged(tmp_path: Path, db: Path, outcome, *words: str, code: int = 2) -> None:
    before = _unchanged.state
    assert_one_error_line(outcome, code, *words)
    assert digest(db) == before[0], "the database changed"
    assert tree(tmp_path) == before[1], "files changed"


def _snapshot(tmp_path: Path, db: Path) -> None:
    _unchanged.state = (digest(db), tree(tmp_path))  # type: ignore[attr-defined]


# -- generate: the output folder cannot be written ------------------------------------


@pytest.mark.parametrize(
    "where",
    ["file", "file/out", "file/a/b/c"],  # -p is a file, or a folder under one
)
def test_generate_into_a_path_under_a_regular_file_changes_nothing(
    tmp_path: Path, small_db: Path, where: str
) -> None:
    (tmp_path / "file").write_text("not a folder")
    _snapshot(tmp_path, small_db)
    outcome = run("generate", "-p", tmp_path / where, "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, "file")


def _fail_on_call(number: int, exc: BaseException, real=os.write):
    calls = {"n": 0}

    def fault(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] >= number:
            raise exc
        return real(*args, **kwargs)  # type: ignore[operator]

    return fault


@pytest.mark.parametrize(
    ("call", "exc", "words"),
    [
        (1, OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (5, OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (3, OSError(errno.EDQUOT, "Disk quota exceeded"), "Disk quota exceeded"),
        (2, OSError(errno.EIO, "Input/output error"), "Input/output error"),
    ],
)
def test_a_full_disk_while_writing_files_leaves_no_file_and_no_run(
    tmp_path: Path,
    small_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    call: int,
    exc: OSError,
    words: str,
) -> None:
    # each file is written with os.write (one sync for all of them before the commit)
    monkeypatch.setattr(staged_files.os, "write", _fail_on_call(call, exc))
    _snapshot(tmp_path, small_db)
    outcome = run("generate", "-p", tmp_path / "new" / "out", "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, words)


@pytest.mark.parametrize("target", ["mkdtemp", "mkdir"])
def test_a_folder_without_write_permission_changes_nothing(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    # Tests run as root, which ignores permission bits: the refusal is injected.
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "out"))

    if target == "mkdtemp":
        (tmp_path / "out").mkdir()
        monkeypatch.setattr(staged_files.tempfile, "mkdtemp", refuse)
    else:
        monkeypatch.setattr(staged_files.Path, "mkdir", refuse)
    _snapshot(tmp_path, small_db)
    outcome = run("generate", "-p", tmp_path / "out", "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, "Permission denied")


def test_an_existing_file_is_not_replaced_by_a_failed_run(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = out / "jw99009-o001_image2_00001_asn.json"
    old.write_text("an older run's file")
    monkeypatch.setattr(staged_files.os, "write", _fail_on_call(4, OSError(errno.ENOSPC, "full")))
    _snapshot(tmp_path, small_db)
    outcome = run("generate", "-p", out, "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, "full")
    assert old.read_text() == "an older run's file"


def test_a_folder_where_a_file_must_go_fails_before_the_commit(
    tmp_path: Path, small_db: Path
) -> None:
    (tmp_path / "out" / "jw99009-o001_image3_00001_asn.json").mkdir(parents=True)
    _snapshot(tmp_path, small_db)
    outcome = run("generate", "-p", tmp_path / "out", "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, "a folder has this name")


def test_a_new_database_is_not_left_behind_by_a_failed_generate(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    before = tree(tmp_path)
    outcome = run(
        "generate", SMALL_POOL, "-p", tmp_path / "file" / "out", "--db", tmp_path / "n.db"
    )
    assert_one_error_line(outcome, 2, "file")
    assert tree(tmp_path) == before


# -- interrupts ----------------------------------------------------------------------


def _interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("asn_sql.engine.run", "run_level3"),  # while the rules run
        ("asn_sql.engine.run", "_record_runs"),  # while the run is stored
        ("asn_sql.api", "stage_run_documents"),  # after the run, before any file
        ("asn_sql.io.staged_files", "_write_new"),  # while files are written
    ],
)
def test_an_interrupted_generate_exits_130_and_changes_nothing(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch, module: str, name: str
) -> None:
    monkeypatch.setattr(f"{module}.{name}", _interrupt)
    _snapshot(tmp_path, small_db)
    outcome = run("generate", "-p", tmp_path / "out", "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, code=130)
    assert outcome.error_lines == ["Error: interrupted"]


@pytest.mark.parametrize(
    "name", ["_insert_exposures", "_insert_candidates", "_duplicate_filenames"]
)
def test_an_interrupted_load_exits_130_and_changes_nothing(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(f"asn_sql.io.load.{name}", _interrupt)
    _snapshot(tmp_path, small_db)
    outcome = run("load", POOLS / "pool_003_image_nircam.csv", SMALL_POOL, "--db", small_db)
    _unchanged(tmp_path, small_db, outcome, code=130)


def test_sigint_during_a_real_generate(tmp_path: Path, template_db: Path) -> None:
    db = copy_db(template_db, tmp_path / "db")
    before = digest(db), tree(tmp_path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from asn_sql.cli.main import run; run()",
            "generate",
            str(POOLS / "mega_pool.csv"),
            "-p",
            str(tmp_path / "out"),
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # -p (with its hidden staging folder) appears once the command has begun its run;
    # the signal comes when the run has worked a while (CPU time, whatever the load).
    wait_until(lambda: (tmp_path / "out").exists() or process.poll() is not None)
    begun = cpu_seconds(process.pid)
    wait_until(lambda: process.poll() is not None or cpu_seconds(process.pid) > begun + 0.3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the run ended before the signal came")
    assert process.returncode == 130, stderr
    assert stderr.splitlines() == ["Error: interrupted"]
    assert (digest(db), tree(tmp_path)) == before


# -- inputs that are not what the command reads --------------------------------------


@pytest.mark.parametrize(
    ("pool", "words"),
    [
        ("/dev/zero", "is a character device, not a pool file"),  # the shared trigger
        ("/dev/null", "is a character device"),
        ("/dev/urandom", "is a character device"),
        (".", "is a directory"),
        ("missing.csv", "no such file"),
    ],
)
def test_load_reads_only_regular_files_and_pipes(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch, pool: str, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _snapshot(tmp_path, small_db)
    _unchanged(tmp_path, small_db, run("load", pool, "--db", small_db), words)


def test_a_pipe_longer_than_the_limit_is_refused(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asn_sql.io import pool

    monkeypatch.setattr(pool, "MAX_PIPE_BYTES", 1000)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    _snapshot(tmp_path, small_db)
    pid = os.fork()
    if pid == 0:  # the writer: more than the limit
        with open(fifo, "wb") as handle:
            try:
                handle.write(SMALL_POOL.read_bytes() * 4)
            except BrokenPipeError:
                pass
        os._exit(0)
    outcome = run("load", fifo, "--db", small_db)
    os.waitpid(pid, 0)
    _unchanged(tmp_path, small_db, outcome, "the pipe gave more than 1,000 bytes")


def _deep(tmp_path: Path, depth: int) -> Path:
    path = tmp_path / f"deep{depth}.json"
    path.write_text('{"asn_type": "image3", "products": ' + "[" * depth + "]" * depth + "}")
    return path


@pytest.mark.parametrize("depth", [65, 5000, 200_000])
def test_deeply_nested_json_is_one_line(tmp_path: Path, depth: int) -> None:
    path = _deep(tmp_path, depth)
    before = tree(tmp_path)
    validate = run("validate", path)
    assert_one_error_line(validate, 2, "files invalid")
    assert "nested more than 64 levels deep" in validate.stdout
    edit = run("edit", path, "--add", "x_cal.fits", "-o", tmp_path / "e.json")
    assert_one_error_line(edit, 2, "nested more than 64 levels deep")
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["from-list", "a_cal.fits", "-t", "image2", "-o", "{tmp}/folder.json"], "is a folder"),
        (["from-list", "a_cal.fits", "-t", "image2", "-o", "{tmp}"], "must be a .json file"),
        (["from-list", "a_cal.fits", "-t", "image2", "-o", "{tmp}/no/x.json"], "does not exist"),
        (["edit", "{asn}", "--add", "x_cal.fits", "-o", "{tmp}/missing/x.json"], "does not exist"),
        (["edit", "{asn}", "--add", "x_cal.fits", "-o", "{tmp}/folder.json"], "is a folder"),
        (["edit", "{asn}", "--add", "x_cal.fits", "-o", "{tmp}/file/x.json"], "not a folder"),
    ],
)
def test_an_output_that_cannot_be_a_file_is_one_line(
    tmp_path: Path, args: list[str], words: str
) -> None:
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "file").write_text("x")
    asn = tmp_path / "a_asn.json"
    outcome = run("from-list", "a_cal.fits", "-t", "image2", "-o", asn)
    assert outcome.code == 0, outcome.stderr
    before = tree(tmp_path)
    args = [a.format(tmp=tmp_path, asn=asn) for a in args]
    assert_one_error_line(run(*args), 2, words)
    assert tree(tmp_path) == before


def test_an_edit_that_cannot_be_written_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asn = tmp_path / "a_asn.json"
    assert run("from-list", "a_cal.fits", "-t", "image2", "-o", asn).code == 0
    before = tree(tmp_path)
    full = OSError(errno.ENOSPC, "full")
    monkeypatch.setattr(staged_files.os, "fsync", _fail_on_call(1, full, real=os.fsync))
    assert_one_error_line(run("edit", asn, "--add", "b_cal.fits"), 2, "full")
    assert tree(tmp_path) == before


# -- the database's own disk ----------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs (needs root and mount); the test is skipped where there is none."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_under_the_database_is_one_line_and_changes_nothing(
    tiny_disk: Path,
) -> None:
    db = tiny_disk / "asn.duckdb"
    assert run("load", SMALL_POOL, "--db", db).code == 0
    _snapshot(tiny_disk, db)
    outcome = run("load", POOLS / "mega_pool.csv", "--db", db)
    _unchanged(tiny_disk, db, outcome, "No space left on device")


def test_a_database_in_a_read_only_folder_is_one_line(tiny_disk: Path) -> None:
    db = tiny_disk / "asn.duckdb"
    assert run("load", SMALL_POOL, "--db", db).code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    _snapshot(tiny_disk, db)
    for args in (["load", POOLS / "pool_003_image_nircam.csv"], ["generate", "--dry-run"]):
        _unchanged(tiny_disk, db, run(*args, "--db", db), "Read-only file system")
    assert run("query", "select count(*) from exposures", "--db", db).code == 0


def test_a_database_folder_that_refuses_new_files_is_one_line(
    tmp_path: Path, small_db: Path
) -> None:
    folder = small_db.parent
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        _snapshot(tmp_path, small_db)
        outcome = run("load", POOLS / "pool_003_image_nircam.csv", "--db", small_db)
        _unchanged(tmp_path, small_db, outcome, "could not be written")
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=False)


# -- bugs ----------------------------------------------------------------------------


def test_a_bug_is_exit_1_with_one_line_and_debug_shows_the_traceback(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr("asn_sql.io.query.run_query", bug)  # pools imports it when it runs
    line = assert_one_error_line(run("pools", "--db", small_db), 1, "internal error")
    assert "ValueError: a bug" in line and "please report" in line
    debug = run("pools", "--db", small_db, "-D")
    assert debug.code == 1
    assert "Traceback" in debug.stderr and debug.stderr.endswith("ValueError: a bug\n")


def test_a_user_mistake_with_debug_shows_the_traceback_and_is_still_exit_2(
    tmp_path: Path, small_db: Path
) -> None:
    # 1 means a bug (docs/safety.md): -D changes what is shown, not whose fault it was
    debug = run("-D", "generate", tmp_path / "nope.csv", "--db", small_db)
    assert debug.exception is None and debug.code == 2
    assert "Traceback" in debug.stderr and "nope.csv" in debug.stderr.splitlines()[-1]
