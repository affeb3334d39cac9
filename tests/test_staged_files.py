"""Staged files: batches written on the folder's own thread, published all or nothing."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest

from asn_sql.io import staged_files
from asn_sql.io.staged_files import OutputError, StagedFolder

FILES = [(f"jw00001-o001_image2_{n:05d}_asn.json", f'{{\n    "n": {n}\n}}') for n in range(1, 8)]


def _contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


def test_a_new_folder_is_published_with_every_file_and_nothing_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "a" / "out"
    with StagedFolder(out) as staged:
        staged.write_many(FILES[:3])
        staged.write_many(FILES[3:])
        staged.write("orphans.csv", "x\n")
        staged.check_targets()
        written = staged.publish()
    assert written == [out / name for name, _ in FILES] + [out / "orphans.csv"]
    assert _contents(out) == dict(FILES) | {"orphans.csv": "x\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["out"]
    (tmp_path / "plain").mkdir()
    assert out.stat().st_mode == (tmp_path / "plain").stat().st_mode  # not mkdtemp's 0700


def test_a_new_folder_that_gained_a_file_during_the_run_gets_the_files_one_by_one(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with StagedFolder(out) as staged:
        (out / "asn.duckdb").write_text("the run's database")  # made inside -p meanwhile
        staged.write_many(FILES)
        staged.check_targets()
        staged.publish()
    assert _contents(out) == dict(FILES) | {"asn.duckdb": "the run's database"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_existing_folder_keeps_its_other_files_and_gets_new_versions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / FILES[0][0]).write_text("an older run's file")
    with StagedFolder(out) as staged:
        staged.write_many(FILES)
        staged.check_targets()
        staged.publish()
    assert _contents(out) == dict(FILES) | {"notes.txt": "mine"}


def test_a_folder_where_a_file_must_go_is_refused_before_any_move(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / FILES[2][0]).mkdir(parents=True)
    with pytest.raises(OutputError, match="a folder has this name"):
        with StagedFolder(out) as staged:
            staged.write_many(FILES)
            staged.check_targets()
    assert [p.name for p in out.iterdir()] == [FILES[2][0]]
    assert (out / FILES[2][0]).is_dir()


@pytest.mark.parametrize("existing", [False, True])
def test_a_write_failing_on_the_thread_is_raised_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    out = tmp_path / "out"
    if existing:
        out.mkdir()
    real, calls = staged_files._write_new, []

    def full_disk(name: str, text: str, folder_fd: int) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(name, text, folder_fd)

    monkeypatch.setattr(staged_files, "_write_new", full_disk)
    with pytest.raises(OutputError, match="cannot write .*No space left on device"):
        with StagedFolder(out) as staged:
            staged.write_many(FILES[:3])
            staged.write_many(FILES[3:])
            staged.check_targets()
    assert all(name.startswith("asnsql-write") for name in calls)
    assert [p.name for p in tmp_path.iterdir()] == (["out"] if existing else [])
    assert not existing or list(out.iterdir()) == []


def test_leaving_while_a_batch_is_being_written_removes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with StagedFolder(out) as staged:
            staged.write_many(FILES)
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a/b.json", "..", ".", "", "x\x00.json"])
def test_a_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="not a plain file name"):
        with StagedFolder(tmp_path / "out") as staged:
            staged.write_many([FILES[0], (name, "x")])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("many", [False, True], ids=["few-files", "many-files"])
def test_few_files_are_synced_each_and_many_by_one_sync_of_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, many: bool
) -> None:
    # A whole-machine sync waits for other processes' data too: only for many files.
    monkeypatch.setattr(staged_files, "SYNC_EACH_MAX", 3 if many else len(FILES))
    synced: list[int] = []
    whole: list[bool] = []
    real_fsync = staged_files.os.fsync
    monkeypatch.setattr(staged_files.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    monkeypatch.setattr(staged_files.os, "sync", lambda: whole.append(True))
    out = tmp_path / "out"
    with StagedFolder(out) as staged:
        staged.write_many(FILES)
        staged.check_targets()
        files_synced = len(synced)
        staged.publish()
    assert (files_synced, whole) == ((0, [True]) if many else (len(FILES), []))
    assert _contents(out) == dict(FILES)


def test_a_file_that_cannot_be_synced_is_one_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(staged_files.os, "fsync", failing)
    with pytest.raises(OutputError, match="cannot write .*Input/output error; nothing was written"):
        with StagedFolder(tmp_path / "out") as staged:
            staged.write_many(FILES)
            staged.check_targets()
    assert list(tmp_path.iterdir()) == []
