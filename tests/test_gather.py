"""`asnsql gather`: jwst 3.0.0's tests of asn_gather (test_asn_gather.py), member names
that try to leave SOURCE or DEST, and bad input.

jwst's tests and their counterparts: test_ispath, test_all_members and test_copy, each
on gather_simple (members beside the association) and gather_alternate (the association
elsewhere, -s SOURCE), with no filter, -t science and -x science ->
test_gather_writes_the_filtered_association_and_its_members.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from asn_sql.cli.main import app
from asn_sql.io.documents import load_asn

runner = CliRunner()

MEMBERS = [
    ("sci_1.txt", "science"),
    ("sci_2.txt", "science"),
    ("bkg_1.txt", "background"),
    ("imprint_1.txt", "imprint"),
]
# What jwst 3.0.0's asn_from_list(MEMBERS, product_name="primary", with_exptype=True)
# writes: the association jwst's asn_gather tests gather.
PRIMARY: dict[str, Any] = {
    "asn_type": "None",
    "asn_rule": "DMS_Level3_Base",
    "version_id": None,
    "code_version": "3.0.0",
    "degraded_status": "No known degraded exposures in association.",
    "program": "noprogram",
    "constraints": "No constraints",
    "asn_id": "a3001",
    "target": "none",
    "asn_pool": "none",
    "products": [
        {
            "name": "primary",
            "members": [{"expname": name, "exptype": role} for name, role in MEMBERS],
        }
    ],
}


def asnsql(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def write_association(folder: Path, data: dict[str, Any], name: str = "primary_asn.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data, indent=4))
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """jwst's source folder: four member files, each holding its own name, and primary_asn."""
    folder = tmp_path / "source"
    folder.mkdir()
    for name, _ in MEMBERS:
        (folder / name).write_text(name)
    write_association(folder, PRIMARY)
    return folder


def expected_document(keep: set[str]) -> dict[str, Any]:
    document = copy.deepcopy(PRIMARY)
    for product in document["products"]:
        product["members"] = [m for m in product["members"] if m["exptype"] in keep]
    return document


@pytest.mark.parametrize("where", ["simple", "alternate"])
@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ([], {"science", "background", "imprint"}),
        (["-t", "science"], {"science"}),
        (["-x", "science"], {"background", "imprint"}),
    ],
)
def test_gather_writes_the_filtered_association_and_its_members(
    source: Path, tmp_path: Path, where: str, filters: list[str], keep: set[str]
) -> None:
    association = source / "primary_asn.json"
    options: list[str | Path] = []
    if where == "alternate":
        association = write_association(tmp_path / "elsewhere", PRIMARY)
        options = ["-s", source]
    dest = tmp_path / "dest"
    result = asnsql("gather", association, dest, *options, *filters)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{dest / 'primary_asn.json'}\n"  # jwst returns this path
    gathered = json.loads((dest / "primary_asn.json").read_text())
    assert gathered == expected_document(keep)
    members = [m["expname"] for p in gathered["products"] for m in p["members"]]
    assert sorted(p.name for p in dest.iterdir()) == sorted([*members, "primary_asn.json"])
    for name in members:
        assert (dest / name).read_text() == name
    load_asn(dest / "primary_asn.json")
    umask = os.umask(0)
    os.umask(umask)
    assert (dest / "primary_asn.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_members_with_a_folder_under_source_are_gathered_by_base_name(tmp_path: Path) -> None:
    data = copy.deepcopy(PRIMARY)
    data["products"][0]["members"] = [
        {"expname": "raw/sci_1.txt", "exptype": "science"},
        {"expname": "./raw/deeper/../bkg_1.txt", "exptype": "background"},
    ]
    (tmp_path / "raw" / "deeper").mkdir(parents=True)
    (tmp_path / "raw" / "sci_1.txt").write_text("s")
    (tmp_path / "raw" / "bkg_1.txt").write_text("b")
    association = write_association(tmp_path, data)
    result = asnsql("gather", association, tmp_path / "dest")
    assert result.exit_code == 0, result.output
    gathered = json.loads((tmp_path / "dest" / "primary_asn.json").read_text())
    assert gathered["products"][0]["members"] == [
        {"expname": "sci_1.txt", "exptype": "science"},
        {"expname": "bkg_1.txt", "exptype": "background"},
    ]
    assert (tmp_path / "dest" / "bkg_1.txt").read_text() == "b"


@pytest.mark.parametrize(
    "expname", ["../outside.txt", "/etc/hostname", "sub/../../outside.txt", "..", "", "."]
)
def test_a_member_name_outside_source_is_refused_and_nothing_is_written(
    source: Path, tmp_path: Path, expname: str
) -> None:
    (tmp_path / "outside.txt").write_text("secret")
    data = copy.deepcopy(PRIMARY)
    data["products"][0]["members"].append({"expname": expname, "exptype": "science"})
    association = write_association(source, data, "evil_asn.json")
    dest = tmp_path / "dest"
    result = asnsql("gather", association, dest)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {association}: 1 member names point outside the source folder {source} "
        f"(members are read only under it): {expname!r} (see -s/--source)\n"
    )
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside.txt", "source"]


def test_gather_never_writes_outside_dest_even_when_source_is_wide(tmp_path: Path) -> None:
    # With -s at the top, '../x' and absolute names are readable; still only DEST is written.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x")
    data = copy.deepcopy(PRIMARY)
    data["products"][0]["members"] = [
        {"expname": "asn/../data/x.txt", "exptype": "science"},
        {"expname": str(tmp_path / "data" / "x.txt"), "exptype": "background"},
    ]
    association = write_association(tmp_path / "asn", data)
    dest = tmp_path / "dest"
    result = asnsql("gather", association, dest, "-s", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in dest.iterdir()) == ["primary_asn.json", "x.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asn", "data", "dest"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["x.txt"]


def test_missing_member_files_are_listed_in_one_error_and_nothing_is_written(
    source: Path, tmp_path: Path
) -> None:
    for name in ("sci_2.txt", "bkg_1.txt", "imprint_1.txt"):
        (source / name).unlink()
    dest = tmp_path / "dest"
    result = asnsql("gather", source / "primary_asn.json", dest)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {source / 'primary_asn.json'}: 3 member files missing from the source folder "
        f"{source}: sci_2.txt, bkg_1.txt, imprint_1.txt (see -s/--source)\n"
    )
    assert not dest.exists()


def test_a_filter_that_keeps_nothing_is_an_error(source: Path, tmp_path: Path) -> None:
    result = asnsql("gather", source / "primary_asn.json", tmp_path / "dest", "-t", "psf")
    assert result.exit_code == 2
    assert "no member passes the exposure type filters" in result.stderr
    assert not (tmp_path / "dest").exists()


def test_two_members_with_one_base_name_are_refused(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text(folder)
    data = copy.deepcopy(PRIMARY)
    data["products"][0]["members"] = [
        {"expname": "a/x.txt", "exptype": "science"},
        {"expname": "b/x.txt", "exptype": "science"},
    ]
    result = asnsql("gather", write_association(tmp_path, data), tmp_path / "dest")
    assert result.exit_code == 2
    assert "members with the same file name would overwrite each other" in result.stderr
    assert not (tmp_path / "dest").exists()


def test_types_can_be_repeated_or_separated_by_commas(source: Path, tmp_path: Path) -> None:
    repeated = asnsql(
        "gather", source / "primary_asn.json", tmp_path / "a", "-t", "science", "-t", "imprint"
    )
    commas = asnsql("gather", source / "primary_asn.json", tmp_path / "b", "-t", "science,imprint")
    assert repeated.exit_code == 0 and commas.exit_code == 0, repeated.output + commas.output
    expected = expected_document({"science", "imprint"})
    for folder in ("a", "b"):
        assert json.loads((tmp_path / folder / "primary_asn.json").read_text()) == expected


def test_link_makes_hard_links_and_symlink_makes_symbolic_links(
    source: Path, tmp_path: Path
) -> None:
    asn = source / "primary_asn.json"
    assert asnsql("gather", asn, tmp_path / "hard", "--link").exit_code == 0
    assert asnsql("gather", asn, tmp_path / "soft", "--symlink").exit_code == 0
    for name, _ in MEMBERS:
        assert os.path.samefile(tmp_path / "hard" / name, source / name)
        assert not (tmp_path / "hard" / name).is_symlink()
        assert (tmp_path / "soft" / name).is_symlink()
        assert (tmp_path / "soft" / name).read_text() == name
    both = asnsql("gather", asn, tmp_path / "x", "--link", "--symlink")
    assert both.exit_code == 2 and "exclude each other" in both.stderr


def test_dry_run_says_what_it_would_write_and_writes_nothing(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = asnsql("gather", source / "primary_asn.json", dest, "-x", "science", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"copy {source / 'bkg_1.txt'} -> {dest / 'bkg_1.txt'}\n"
        f"copy {source / 'imprint_1.txt'} -> {dest / 'imprint_1.txt'}\n"
        f"write {dest / 'primary_asn.json'}\n"
    )
    assert "dry run: 2 members of 1 product, nothing written" in result.stderr
    assert not dest.exists()


def test_gathering_into_the_source_folder_rewrites_the_association_in_place(
    source: Path,
) -> None:
    data = copy.deepcopy(PRIMARY)
    data["products"][0]["members"][0]["expname"] = "./sci_1.txt"
    association = write_association(source, data)
    before = {name: (source / name).stat().st_ino for name, _ in MEMBERS}
    result = asnsql("gather", association, source)
    assert result.exit_code == 0, result.output
    assert json.loads(association.read_text()) == PRIMARY
    assert {name: (source / name).stat().st_ino for name, _ in MEMBERS} == before
    assert "0 files copied, 4 already there" in result.stderr


def test_a_real_level2_association_is_gathered_and_stays_valid(tmp_path: Path) -> None:
    expected = Path(__file__).resolve().parent.parent / "fixtures" / "make_pool" / "expected"
    original = json.loads((expected / "jw01234-o001_image2_00001_asn.json").read_text())
    association = write_association(tmp_path / "src", original, "level2_asn.json")
    for product in original["products"]:
        for member in product["members"]:
            (tmp_path / "src" / member["expname"]).write_text("data")
    result = asnsql("gather", association, tmp_path / "dest")
    assert result.exit_code == 0, result.output
    assert load_asn(tmp_path / "dest" / "level2_asn.json", resolve=False) == original


def test_a_file_that_is_not_an_association_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "list_asn.json").write_text('["a.fits", "b.fits"]')
    result = asnsql("gather", tmp_path / "list_asn.json", tmp_path / "dest")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'list_asn.json'}: not an association: no list of products "
        "whose members have an expname\n"
    )
