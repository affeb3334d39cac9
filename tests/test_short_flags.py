"""asn_from_list's and asn_edit's spellings: -i/--id, --output-file, -a, -r, --ignore."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from asn_sql.cli import main as cli

runner = CliRunner()


def asnsql(*args: object):
    return runner.invoke(cli.app, cli._expand_argv([str(a) for a in args]))


def test_from_list_takes_asn_from_lists_id_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "l2_asn.json"
    result = asnsql(
        "from-list", "jw_00001_rate.fits", "--output-file", out, "-t", "image2", "-i", "o042"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["asn_id"] == "o042"
    long = asnsql("from-list", "jw_00001_rate.fits", "-o", out, "-t", "image2", "--id", "o043")
    assert long.exit_code == 0 and json.loads(out.read_text())["asn_id"] == "o043"


def test_edit_takes_asn_edits_short_flags_with_several_files(tmp_path: Path) -> None:
    asn = tmp_path / "a_asn.json"
    made = asnsql(
        "from-list",
        "jw_00001_cal.fits",
        "jw_00002_cal.fits",
        "-o",
        asn,
        "-t",
        "image3",
        "--product-name",
        "p1",
    )
    assert made.exit_code == 0, made.output
    added = asnsql("edit", asn, "-a", "x1_cal.fits", "x2_cal.fits", "-t", "background")
    assert added.exit_code == 0, added.output
    members = json.loads(asn.read_text())["products"][0]["members"]
    assert [(m["expname"], m["exptype"]) for m in members] == [
        ("jw_00001_cal.fits", "science"),
        ("jw_00002_cal.fits", "science"),
        ("x1_cal.fits", "background"),
        ("x2_cal.fits", "background"),
    ]
    removed = asnsql("edit", asn, "-r", "jw_00001_rate.fits", "x1_cal.fits", "--ignore")
    assert removed.exit_code == 0, removed.output
    members = json.loads(asn.read_text())["products"][0]["members"]
    assert [m["expname"] for m in members] == ["jw_00002_cal.fits", "x2_cal.fits"]


def test_dash_r_stays_rules_outside_edit() -> None:
    argv = ["generate", "-r", "my_rules", "pool.csv"]
    assert cli._expand_argv(argv) == argv
