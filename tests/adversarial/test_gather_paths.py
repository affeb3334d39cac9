"""`gather` checks every file it would write, the association's own target included,
before it writes any, and reads members only under SOURCE, links resolved
(reliability-2 kinds 5 and 6)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .failure_harness import assert_one_error_line, run, tree

MEMBERS = ["jw_00001_cal.fits", "jw_00002_cal.fits"]


def _association(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in MEMBERS:
        (folder / name).write_text(f"data of {name}\n")
    data = {
        "asn_type": "image3",
        "asn_rule": "DMS_Level3_Base",
        "version_id": None,
        "code_version": "3.0.0",
        "degraded_status": "No known degraded exposures in association.",
        "program": "00001",
        "constraints": "none",
        "asn_id": "a3001",
        "target": "t001",
        "asn_pool": "none",
        "products": [
            {"name": "p", "members": [{"expname": n, "exptype": "science"} for n in MEMBERS]}
        ],
    }
    path = folder / "jw00001-a3001_image3_00001_asn.json"
    path.write_text(json.dumps(data))
    return path


def _assert_nothing_written(outcome: object, tmp_path: Path, before: dict, *words: str) -> None:
    assert_one_error_line(outcome, 2, *words)  # type: ignore[arg-type]
    assert tree(tmp_path) == before


def test_a_target_that_links_to_a_database_is_refused_before_any_member_is_copied(
    tmp_path: Path, small_db: Path
) -> None:
    asn = _association(tmp_path / "src")
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(small_db, dest / asn.name)
    before = tree(tmp_path)
    outcome = run("gather", asn, dest)
    _assert_nothing_written(outcome, tmp_path, before, "DuckDB database", asn.name)


def test_a_member_target_that_is_a_database_is_refused_before_anything_is_written(
    tmp_path: Path, small_db: Path
) -> None:
    asn = _association(tmp_path / "src")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / MEMBERS[1]).write_bytes(small_db.read_bytes())
    before = tree(tmp_path)
    outcome = run("gather", asn, dest)
    _assert_nothing_written(outcome, tmp_path, before, "DuckDB database", MEMBERS[1])


@pytest.mark.parametrize("which", ["association", "member"])
def test_a_target_that_is_a_folder_is_refused_before_anything_is_written(
    which: str, tmp_path: Path
) -> None:
    asn = _association(tmp_path / "src")
    dest = tmp_path / "dest"
    (dest / (asn.name if which == "association" else MEMBERS[1])).mkdir(parents=True)
    before = tree(tmp_path)
    outcome = run("gather", asn, dest)
    _assert_nothing_written(outcome, tmp_path, before, "a folder has this name")


def test_dest_under_a_file_is_refused(tmp_path: Path) -> None:
    asn = _association(tmp_path / "src")
    (tmp_path / "file").write_text("x")
    before = tree(tmp_path)
    outcome = run("gather", asn, tmp_path / "file" / "dest")
    _assert_nothing_written(outcome, tmp_path, before, "is a file")


@pytest.mark.parametrize(
    "link",
    [
        "../outside.txt",  # relative, out of SOURCE
        "ABSOLUTE",  # absolute, out of SOURCE
        "sub/../../outside.txt",
        "hop",  # a link to a link that leaves
    ],
)
def test_a_member_whose_link_leaves_source_is_refused(link: str, tmp_path: Path) -> None:
    asn = _association(tmp_path / "src")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    member = tmp_path / "src" / MEMBERS[1]
    member.unlink()
    if link == "ABSOLUTE":
        os.symlink(outside, member)
    elif link == "hop":
        os.symlink(outside, tmp_path / "src" / "hop")
        os.symlink("hop", member)
    else:
        (tmp_path / "src" / "sub").mkdir()
        os.symlink(link, member)
    before = tree(tmp_path)
    outcome = run("gather", asn, tmp_path / "dest")
    _assert_nothing_written(outcome, tmp_path, before, "outside the source folder", MEMBERS[1])
    assert not (tmp_path / "dest").exists()


def test_a_source_folder_that_is_a_link_and_links_inside_it_still_work(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _association(real)
    os.rename(real / MEMBERS[1], real / "stored.fits")
    os.symlink("stored.fits", real / MEMBERS[1])  # a link that stays inside SOURCE
    os.symlink(real, tmp_path / "src")
    outcome = run(
        "gather", tmp_path / "src" / "jw00001-a3001_image3_00001_asn.json", tmp_path / "d"
    )
    assert outcome.code == 0, outcome.stderr
    assert (tmp_path / "d" / MEMBERS[1]).read_text() == f"data of {MEMBERS[1]}\n"
