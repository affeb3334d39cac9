"""A pool read through a pipe (a fifo, ``/dev/stdin``, ``<(…)``) is a pool for `generate`
as it is for `load`: it used to be "neither a pool file nor the name of a loaded pool"."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from .failure_harness import SMALL_POOL, assert_one_error_line, run, tree


def _fifo_with(path: Path, data: bytes) -> threading.Thread:
    """A fifo at ``path`` that a thread fills with ``data`` once a reader opens it."""
    os.mkfifo(path)

    def write() -> None:
        with path.open("wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


@pytest.mark.parametrize("ids", [[], ["-i", "o001"]])
def test_generate_reads_a_pool_from_a_fifo_as_from_its_file(tmp_path: Path, ids: list[str]) -> None:
    from_file = run(
        "generate", *ids, SMALL_POOL, "-p", tmp_path / "file", "--db", tmp_path / "f.db"
    )
    assert from_file.code == 0, from_file.stderr
    fifo = tmp_path / "pool_002_image_miri.csv"
    writer = _fifo_with(fifo, SMALL_POOL.read_bytes())
    from_fifo = run("generate", *ids, fifo, "-p", tmp_path / "fifo", "--db", tmp_path / "p.db")
    writer.join(5)
    assert from_fifo.code == 0, from_fifo.stderr
    assert from_fifo.stderr == from_file.stderr
    assert tree(tmp_path / "fifo") == tree(tmp_path / "file")
    assert len(tree(tmp_path / "fifo")) == 9


def test_generate_still_refuses_a_folder_named_as_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_db: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pools.csv").mkdir()
    assert_one_error_line(
        run("generate", "pools.csv", "-p", "out", "--db", small_db), 2, "'pools.csv' is neither"
    )
    assert not (tmp_path / "out").exists()
