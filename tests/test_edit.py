"""asnsql edit: adding and removing members as jwst's asn_edit does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXPECTED
from typer.testing import CliRunner

from asn_sql.cli.main import _expand_argv, app

runner = CliRunner()
LEVEL2 = EXPECTED / "pool_010_spec_nirspec_lv2bkg" / "jw99009-c1000_spec2_00001_asn.json"
LEVEL3 = EXPECTED / "pool_010_spec_nirspec_lv2bkg" / "jw99009-c1000_spec3_00001_asn.json"


@pytest.fixture
def asn(tmp_path: Path) -> Path:
    """A copy of a Level 3 association (6 members, one product) to edit."""
    return Path(shutil.copy(LEVEL3, tmp_path / LEVEL3.name))


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, _expand_argv(list(args)))


def _members(path: Path) -> list[tuple[str, str]]:
    data = json.loads(path.read_text())
    return [(m["expname"], m["exptype"]) for p in data["products"] for m in p["members"]]


def test_edit_adds_files_by_base_name_to_every_product_in_place(asn: Path) -> None:
    result = _invoke("edit", str(asn), "--add", "dir/new_cal.fits", "b_cal.fits", "-t", "psf")
    assert result.exit_code == 0, result.output
    assert _members(asn)[-2:] == [("new_cal.fits", "psf"), ("b_cal.fits", "psf")]
    assert "0 members removed, 2 added" in result.stderr
    assert [p.name for p in asn.parent.iterdir()] == [asn.name]  # no backup or temporary left


def test_edit_removes_by_base_name_and_warns_once_for_names_not_found(asn: Path) -> None:
    out = asn.with_name("out_asn.json")
    result = _invoke(
        "edit", str(asn), "--remove", "/data/jw_00007_cal.fits", "nope.fits", "nada.fits",
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ("jw_00007_cal.fits", "target_acquisition") not in _members(out)
    assert len(_members(out)) == 5
    assert result.stderr.splitlines()[0] == f"Warning: not in {asn}: nope.fits, nada.fits"
    assert json.loads(asn.read_text()) == json.loads(LEVEL3.read_text())  # the input is kept


def test_edit_ignore_suffix_matches_roots(asn: Path) -> None:
    result = _invoke("edit", str(asn), "--remove", "jw_00001_rate.fits", "--ignore-suffix")
    assert result.exit_code == 0, result.output
    assert "jw_00001_x1d.fits" not in [name for name, _ in _members(asn)]


def test_edit_deletes_products_it_empties(tmp_path: Path) -> None:
    asn = Path(shutil.copy(LEVEL2, tmp_path / LEVEL2.name))
    result = _invoke("edit", str(asn), "--remove", "jw_00005_rate.fits", "jw_00001_rate.fits")
    assert result.exit_code == 0, result.output
    assert json.loads(asn.read_text())["products"] == []


@pytest.mark.parametrize(
    ("name", "text", "extra", "words"),
    [
        ("a.txt", "{}", [], "not recognized as JSON"),
        ("a.json", '{"products": [],}', [], "line 1, column 17: not JSON"),
        ("a.json", '{"products": 3}', [], "not an association"),
        ("a.json", '{"products": []}', ["-o", "b.yaml"], "must be a .json file"),
    ],
)
def test_edit_rejects_bad_input_with_one_error_line(
    name: str, text: str, extra: list[str], words: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = _invoke("edit", str(path), "--add", "x.fits", *extra)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0]
    assert path.read_text() == text


def test_edit_of_a_missing_file_says_so(tmp_path: Path) -> None:
    result = _invoke("edit", str(tmp_path / "none.json"), "--add", "x.fits")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'none.json'}: no such file\n"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        # asn_edit's order with the association and no file after it
        (
            ["-a", "{asn}"],
            "Error: no files given to add: {asn} is the association (edit ASN -a|-r FILE…)",
        ),
        (
            ["-r", "--ignore", "{asn}"],
            "Error: no files given to remove: {asn} is the association (edit ASN -a|-r FILE…)",
        ),
        # neither --add nor --remove: nothing to do, and the file is not rewritten
        (
            ["{asn}"],
            "Error: {asn}: nothing to do: no files to add or remove (see -a/--add, -r/--remove)",
        ),
        (
            ["{asn}", "-t", "psf"],
            "Error: {asn}: nothing to do: no files to add or remove (see -a/--add, -r/--remove)",
        ),
        (["-a", "x_cal.fits"], "Error: no association file given (edit ASN -a|-r FILE…)"),
    ],
)
def test_edit_with_no_file_to_add_or_remove_is_one_line_and_the_file_untouched(
    asn: Path, args: list[str], line: str
) -> None:
    before = asn.read_bytes(), asn.stat().st_mtime_ns
    result = _invoke("edit", *[a.replace("{asn}", str(asn)) for a in args])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == line.replace("{asn}", str(asn)) + "\n"
    assert (asn.read_bytes(), asn.stat().st_mtime_ns) == before
    assert list(asn.parent.iterdir()) == [asn]
