"""`make-pool` reads regular files only, and a header only up to a bound; it writes no
pool that `load` could not read back as one row per file (reliability-2 kinds 8, 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fits_headers import header_cards, write_fits

from asn_sql.tools import make_pool

from .failure_harness import assert_one_error_line, run, tree


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_fits(tmp_path / "good.fits", header_cards({}, ()))
    return tmp_path


def _refused(folder: Path, name: str, *words: str) -> None:
    before = tree(folder)
    outcome = run("make-pool", "pool.csv", "good.fits", name)
    assert_one_error_line(outcome, 2, *words)
    assert outcome.stdout == ""
    assert tree(folder) == before


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("/dev/zero", "not a regular file"),
        ("/dev/null", "not a regular file"),
        ("/dev/urandom", "not a regular file"),
        ("fifo", "not a regular file"),
        ("sub", "is a directory"),
        ("missing.fits", "no such file"),
    ],
)
def test_a_file_that_is_not_a_regular_file_is_refused_at_once(
    folder: Path, name: str, words: str
) -> None:
    if name == "fifo":
        os.mkfifo(folder / name)  # nobody writes it: opening it would wait for ever
    if name == "sub":
        (folder / name).mkdir()
    _refused(folder, name, words, name)


def test_a_link_to_a_device_is_refused(folder: Path) -> None:
    os.symlink("/dev/zero", folder / "zero.fits")
    _refused(folder, "zero.fits", "not a regular file")


def test_a_header_without_an_end_is_read_only_up_to_the_bound(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(make_pool, "MAX_HEADER_BYTES", 2880 * 4)
    cards = [b"SIMPLE  =                    T".ljust(80)]
    cards += [f"KEY{n:05d} = {n}".encode().ljust(80) for n in range(36 * 6)]
    (folder / "endless.fits").write_bytes(b"".join(cards))
    _refused(folder, "endless.fits", "no END card in the first 11,520 bytes")


@pytest.mark.parametrize(
    "name",
    [
        "jw_a\nb_cal.fits",
        "jw_a\rb_cal.fits",
        "jw_a|b_cal.fits",
        'jw_a"b_cal.fits',
        "jw_a\tb_cal.fits",
        "jw_a\x1b[31mb_cal.fits",
        "jw_a\x85b_cal.fits",
    ],
)
def test_a_name_a_pool_cannot_hold_is_refused(folder: Path, name: str) -> None:
    write_fits(folder / name, header_cards({}, ()))
    _refused(folder, name, "cannot be written into a pool")


def test_every_name_written_loads_back(folder: Path, small_db: Path) -> None:
    names = ["good.fits", "jw_a b_cal.fits", "#jw_c_cal.fits", "jw_é_cal.fits", "jw_a'b.fits"]
    for name in names[1:]:
        write_fits(folder / name, header_cards({}, ()))
    made = run("make-pool", "pool.csv", *names)
    assert made.code == 0, made.stderr
    loaded = run("load", "pool.csv", "--db", small_db)
    assert loaded.code == 0, loaded.stderr
    rows = run(
        "query",
        "select filename from exposures where pool_id = 2 order by 1",
        "-f",
        "csv",
        "--db",
        small_db,
    )
    assert rows.stdout.splitlines()[1:] == sorted(names)
