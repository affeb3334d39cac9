"""asnsql validate: every schema error of every file, with its JSON path."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXPECTED
from typer.testing import CliRunner

from asn_sql.cli.main import app

runner = CliRunner()
GOOD = sorted((EXPECTED / "pool_002_image_miri").glob("*.json"))


def test_validate_accepts_jwst_files_and_says_how_many() -> None:
    result = runner.invoke(app, ["validate", *map(str, GOOD)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == f"{len(GOOD)} files valid"


def test_validate_lists_every_schema_error_with_its_json_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad_asn.json"
    members = [{"exptype": "science"}, {"expname": 3, "exptype": "science"}]
    bad.write_text(json.dumps({"asn_type": "image2", "products": [{"members": members}]}))
    result = runner.invoke(app, ["validate", str(GOOD[0]), str(bad)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{bad}: $.products[0].members[0]: 'expname' is a required property",
        f"{bad}: $.products[0].members[1].expname: 3 is not of type 'string'",
    ]
    assert result.stderr.splitlines() == ["Error: 1 of 2 files invalid"]


def test_validate_uses_the_level_3_schema_for_level_3_types(tmp_path: Path) -> None:
    bad = tmp_path / "l3_asn.json"
    bad.write_text(json.dumps({"asn_type": "image3", "asn_id": 1, "products": []}))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert result.stdout.strip() == f"{bad}: $.asn_id: 1 is not of type 'string'"


def test_validate_names_unreadable_files_one_line_each(tmp_path: Path) -> None:
    comma = tmp_path / "comma_asn.json"
    comma.write_text('{"products": [],\n}')
    other = tmp_path / "asn.txt"
    other.write_text("{}")
    missing = tmp_path / "missing_asn.json"
    result = runner.invoke(app, ["validate", str(comma), str(other), str(missing)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{comma}, line 2, column 1: not JSON: Expecting property name enclosed in double quotes",
        f"{other}: not recognized as JSON: the name does not end in .json",
        f"{missing}: no such file",
    ]
    assert result.stderr.splitlines() == ["Error: 3 of 3 files invalid"]
    assert "Traceback" not in result.output
