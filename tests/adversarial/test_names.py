"""Values from a pool never become paths (reliability kind 2): candidate ids, FILENAME,
PROGRAM and the values in product names follow their DMS grammar, or the row (pair,
association) is left out with a warning naming the pool line; the writer itself refuses
any file name that is not an association's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from asn_sql.errors import AsnSqlError
from asn_sql.io.documents import Document, write_documents
from asn_sql.names import ASN_FILE_PATTERN, check_association_file

from .failure_harness import assert_one_error_line, line_of, pool_with, run, tree

BAD_IDS = [
    "o001/../../../x",  # the shared trigger
    "../../x",
    "o001\\..\\x",
    "c1000 x",
    "..",
    "o001\x1b[31m",
    "o0010000000000",
    "",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_candidate_id_outside_the_dms_grammar_is_left_out_at_load(
    tmp_path: Path, bad: str
) -> None:
    cell = f"[('{bad}', 'observation'), ('o001', 'observation')]"
    pool = pool_with(tmp_path / "bad_id.csv", {(2, "ASN_CANDIDATE"): cell})
    db = tmp_path / "asn.duckdb"
    outcome = run("load", pool, "--db", db)
    assert outcome.code == 0, outcome.stderr
    assert f"bad_id.csv, line {line_of(2)}: candidate id {bad!r} is not a candidate id" in (
        outcome.stderr
    )
    con = duckdb.connect(str(db), read_only=True)
    ids = {acid for (acid,) in con.execute("select acid from exposure_candidates").fetchall()}
    con.close()
    assert ids == {"o001"}


def test_no_file_is_written_outside_the_folder_whatever_the_candidate_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    monkeypatch.chdir(work)
    changes = {
        (row, "ASN_CANDIDATE"): f"[('{bad}', 'observation'), ('o001', 'observation')]"
        for row, bad in enumerate(BAD_IDS[:6])
    }
    pool = pool_with(work / "evil.csv", changes)
    before = tree(tmp_path)
    outcome = run("generate", pool, "-p", "out", "--db", "asn.duckdb")
    assert outcome.code == 0, outcome.stderr
    new = set(tree(tmp_path)) - set(before)
    written = {p for p in new if p.startswith("work/out/")}
    assert new - written == {"work/asn.duckdb"}
    assert len(written) == 9
    assert all(re.fullmatch(ASN_FILE_PATTERN, Path(p).name) for p in written)
    assert outcome.stderr.count("is not a candidate id") == 5  # five named, then a count
    assert "1 more candidate ids left out" in outcome.stderr


def test_rows_whose_filename_or_program_would_make_a_path_are_left_out(tmp_path: Path) -> None:
    bad = {
        (1, "FILENAME"): "../../jw_00002_uncal.fits",
        (2, "FILENAME"): "a/jw_00003_uncal.fits",
        (3, "FILENAME"): "jw_00004\x07_uncal.fits",
        (4, "PROGRAM"): "99/09",
        (5, "PROGRAM"): "..",
        (6, "PROGRAM"): "9 9",
    }
    pool = pool_with(tmp_path / "evil.csv", bad)
    out = tmp_path / "out"
    outcome = run("generate", pool, "--level", "2", "-p", out, "--db", tmp_path / "asn.duckdb")
    assert outcome.code == 0, outcome.stderr
    for row in (1, 2, 3):
        assert f"evil.csv, line {line_of(row)}: FILENAME" in outcome.stderr
        assert f"line {line_of(row)}: FILENAME" in outcome.stderr
    for row in (4, 5, 6):
        assert f"evil.csv, line {line_of(row)}: an association started here is left out" in (
            outcome.stderr
        )
    # eight rows, one Level 2 association each: those of rows 1-6 are left out
    science = sorted(
        member["expname"]
        for path in out.iterdir()
        for product in json.loads(path.read_text())["products"]
        for member in product["members"]
        if member["exptype"] == "science"
    )
    assert science == ["jw_00001_rate.fits", "jw_00008_rate.fits"]


def test_orphans_and_explain_say_why_the_name_checks_left_an_exposure_out(
    tmp_path: Path,
) -> None:
    bad = {(1, "FILENAME"): "../jw_00002_uncal.fits", (2, "PROGRAM"): "9 9"}
    pool = pool_with(tmp_path / "evil.csv", bad)
    db = tmp_path / "asn.duckdb"
    outcome = run("generate", pool, "--level", "2", "-p", tmp_path / "out", "--db", db)
    assert outcome.code == 0, outcome.stderr
    con = duckdb.connect(str(db), read_only=True)
    reasons = dict(con.execute("select filename, reason from orphans").fetchall())
    con.close()
    unsafe = "asnsql left it out of every association: its FILENAME holds a path separator"
    assert reasons["../jw_00002_uncal.fits"].startswith(unsafe)
    assert (
        "asnsql left it out: its file name 'jw009 9-o001_image2_" in reasons["jw_00003_uncal.fits"]
    )

    explained = run("explain", "jw_00002", "--db", db)
    assert explained.code == 0, explained.stderr
    assert unsafe + ", '..' or a control character" in " ".join(explained.stdout.split())
    explained = run("explain", "jw_00003", "--db", db)
    words = " ".join(explained.stdout.split())  # the report wraps at the terminal's width
    assert (
        "not Asn_Lv2Image: eligible as science in a3001 (discovered), o001 (observation), but "
        "its association was dropped: in o001 (observation), asnsql left it out: its file name"
        in words
    )


@pytest.mark.parametrize("value", ["f5/60w", "f560w\\x", "..", "f5\x0160w"])
def test_an_association_whose_product_name_would_make_a_path_is_left_out(
    tmp_path: Path, value: str
) -> None:
    pool = pool_with(tmp_path / "evil.csv", {(row, "FILTER"): value for row in range(8)})
    out = tmp_path / "out"
    outcome = run("generate", pool, "--level", "3", "-p", out, "--db", tmp_path / "asn.duckdb")
    assert outcome.code == 0, outcome.stderr
    assert "an association started here is left out: its product name" in outcome.stderr
    assert "wrote 0 associations" in outcome.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        "../jw99009-o001_image2_00001_asn.json",
        "jw99009-o001/../../x_image2_00001_asn.json",
        "/tmp/jw99009-o001_image2_00001_asn.json",
        "jw99009-o001_image2_00001_asn.json\n",
        "jw9909-o001_image2_00001_asn.json",
        "jw99009-o001_x/y_image2_00001_asn.json",
        "x.json",
    ],
)
def test_the_writer_refuses_any_name_but_an_association_files(tmp_path: Path, name: str) -> None:
    with pytest.raises(AsnSqlError):
        check_association_file(name)
    doc = Document(name=name.removesuffix(".json"), level=2, data={})
    good = Document(name="jw99009-o001_image2_00001_asn", level=2, data={})
    with pytest.raises(AsnSqlError, match="refusing to write"):
        write_documents([good, doc], tmp_path / "out")
    assert tree(tmp_path) == {}, "nothing written, not even the good file or the folder"


@pytest.mark.parametrize("name", ["../x", "a/b", "x\ny", "", "..", "a\\b"])
def test_from_list_refuses_a_product_name_that_would_make_a_path(tmp_path: Path, name: str) -> None:
    out = tmp_path / "a_asn.json"
    outcome = run("from-list", "a_cal.fits", "-t", "image3", "--product-name", name, "-o", out)
    assert_one_error_line(outcome, 2, "--product-name")
    assert not out.exists()
