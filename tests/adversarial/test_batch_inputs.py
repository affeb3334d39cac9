"""`batch` facing what is not what it expects: a --scheduler address where no Dask
scheduler listens (one line naming the address, within seconds), a pool named twice
(run once), and an old DIR/POOL/ holding the user's own files (kept); its folders get
the mode generate's do (reliability-2 kinds 9 and 11, and the two notes)."""

from __future__ import annotations

import os
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from conftest import query_rows

from asn_sql.tools.batch import find_pools

from .failure_harness import SMALL_POOL, assert_one_error_line, digest, run


@contextmanager
def _listener(serve: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on a free port whose every connection is handed to ``serve``."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    connections: list[socket.socket] = []

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(connection)
            serve(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for connection in connections:
            connection.close()
        server.close()


def _silent(connection: socket.socket) -> None:
    pass  # accepts, never says a word


def _claims_a_huge_frame(connection: socket.socket) -> None:
    connection.sendall(struct.pack("<Q", 1 << 60) + b"x" * 64)


def _greets_otherwise(connection: socket.socket) -> None:
    connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")


def _hangs_up(connection: socket.socket) -> None:
    connection.close()


@contextmanager
def _http_server() -> Iterator[str]:
    class Quiet(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("serve", "words"),
    [
        (_silent, "no Dask scheduler answered"),
        (_claims_a_huge_frame, "is not a Dask scheduler"),
        (_greets_otherwise, "is not a Dask scheduler"),
        (_hangs_up, "is not a Dask scheduler"),
    ],
)
def test_a_scheduler_address_where_no_dask_listens_is_one_line_within_seconds(
    serve: Callable[[socket.socket], None], words: str, small_db: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    before = digest(small_db)
    with _listener(serve) as address:
        clock = time.monotonic()
        outcome = run(
            "batch", SMALL_POOL, "--scheduler", address, "-p", tmp_path / "out", "--db", small_db
        )
        seconds = time.monotonic() - clock
    assert_one_error_line(outcome, 2, address, words)
    assert seconds < 20
    assert digest(small_db) == before
    assert not (tmp_path / "out").exists()


def test_an_http_server_is_no_scheduler(small_db: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with _http_server() as address:
        clock = time.monotonic()
        outcome = run("batch", SMALL_POOL, "--scheduler", address, "--db", small_db)
        assert time.monotonic() - clock < 20
    assert_one_error_line(outcome, 2, address, "no Dask scheduler answered")


def test_a_port_where_nothing_listens_is_one_line(small_db: Path) -> None:
    pytest.importorskip("distributed")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    outcome = run("batch", SMALL_POOL, "--scheduler", f"tcp://127.0.0.1:{port}", "--db", small_db)
    assert_one_error_line(outcome, 2, f"tcp://127.0.0.1:{port}", "cannot reach")


def test_a_pool_named_twice_in_any_spelling_is_one_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pools = tmp_path / "pools"
    pools.mkdir()
    pool = pools / "p.csv"
    pool.write_bytes(SMALL_POOL.read_bytes())
    os.symlink("p.csv", pools / "link.csv")
    os.link(pool, tmp_path / "hard.csv")
    named = [
        Path("pools/p.csv"),
        Path("./pools/p.csv"),
        pool,
        pools / "link.csv",
        Path("pools/../pools/p.csv"),
        tmp_path / "hard.csv",
        pools,
    ]
    assert find_pools(named) == [Path("pools/p.csv")]


def test_batch_runs_a_pool_named_twice_once_keeps_the_users_files_and_makes_0755(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.umask(umask := os.umask(0o022))  # the umask the folders are made under
    out = tmp_path / "out"
    made = run("generate", "-p", "gen", "--db", small_db)
    assert made.code == 0, made.stderr
    pool = Path(SMALL_POOL.name)
    pool.write_bytes(SMALL_POOL.read_bytes())
    first = run("batch", pool, "-p", out, "--workers", "1", "--db", small_db)
    assert first.code == 0, first.stderr
    folder = out / pool.stem
    mode = stat.S_IMODE(folder.stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "gen").stat().st_mode) == 0o777 & ~umask
    # the user's own files in the pool's folder, and an association file of old
    (folder / "notes.txt").write_text("mine\n")
    (folder / "plots").mkdir()
    (folder / "plots" / "a.png").write_bytes(b"png")
    stale = "jw00001-o999_image3_00001_asn.json"
    (folder / stale).write_text("{}")
    runs_before = query_rows(small_db, "select count(*) from runs")[0][0]
    again = run(
        "batch", pool, f"./{pool}", "-p", out, "--workers", "1", "--force", "--db", small_db
    )
    assert again.code == 0, again.stderr
    assert again.stdout.splitlines() == [str(folder)]
    assert query_rows(small_db, "select count(*) from runs")[0][0] == runs_before + 1
    names = query_rows(
        small_db,
        "select name from associations where run_id = (select max(run_id) from runs) order by 1",
    )
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted([f"{n}.json" for (n,) in names] + ["notes.txt", "plots"])
    assert (folder / "notes.txt").read_text() == "mine\n"
    assert (folder / "plots" / "a.png").read_bytes() == b"png"
    assert stat.S_IMODE(folder.stat().st_mode) == mode
    assert [p.name for p in out.iterdir()] == [pool.stem]  # no temporary folder left
