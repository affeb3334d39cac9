"""The Python API, reached through the package only, as the README shows it."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import asn_sql
from asn_sql import generate as generate_imported

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
POOL = FIXTURES / "pools" / "pool_002_image_miri.csv"
EXPECTED = FIXTURES / "expected" / "pool_002_image_miri"


def _comparable(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("constraints", "code_version")}


def test_generate_works_twice_in_one_process_and_returns_documents_by_file_name() -> None:
    first = asn_sql.generate(POOL, level=3)
    second = asn_sql.generate(str(POOL), level=3)
    assert first == second
    expected = {
        path.name: json.loads(path.read_text())
        for path in EXPECTED.glob("*.json")
        if "image3" in path.name
    }
    assert {name: _comparable(doc) for name, doc in first.items()} == {
        name: _comparable(doc) for name, doc in expected.items()
    }


def test_from_asn_sql_import_generate_gets_the_function() -> None:
    assert callable(generate_imported)
    assert generate_imported is asn_sql.generate
    assert asn_sql.generate.__module__ == "asn_sql.api"


def test_generate_stays_the_function_after_every_module_is_imported() -> None:
    # A fresh interpreter: importing the engine must not replace the package attribute.
    code = (
        "import asn_sql, asn_sql.cli.main, asn_sql.tools.explain;"
        f"a = asn_sql.generate({str(POOL)!r}, level=2);"
        f"b = asn_sql.generate({str(POOL)!r}, level=2);"
        "from asn_sql import generate;"
        "assert callable(generate) and a == b and len(a) > 0, a;"
        "print(sorted(a)[0])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "jw99009-o001_image2_00001_asn.json"


def test_generate_rejects_an_unknown_level() -> None:
    with pytest.raises(asn_sql.AsnSqlError, match="level must be 2, 3 or 'all'"):
        asn_sql.generate(POOL, level=4)


def test_load_asn_returns_the_document_and_warns_on_member_names_with_a_directory(
    tmp_path: Path,
) -> None:
    source = EXPECTED / "jw99009-o001_image3_00001_asn.json"
    plain = tmp_path / "plain_asn.json"
    plain.write_text(source.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asn_sql.load_asn(plain) == json.loads(source.read_text())

    data = json.loads(source.read_text())
    data["products"][0]["members"][0]["expname"] = (
        "data/" + data["products"][0]["members"][0]["expname"]
    )
    with_folder = tmp_path / "folder_asn.json"
    with_folder.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match=r"folder_asn\.json: 1 member name\(s\) hold a directory"):
        assert asn_sql.load_asn(with_folder) == data


def test_generate_takes_a_folder_of_user_rules(tmp_path: Path) -> None:
    from test_user_rules import DARKS

    (tmp_path / "lv3_darks.sql").write_text(DARKS)
    pool = FIXTURES / "pools" / "pool_018_all_exptypes.csv"
    docs = asn_sql.generate(pool, level=3, rules=tmp_path, ignore_default=True)
    assert sorted(docs) == [
        f"jw99009-{acid}_dark3_00001_asn.json"
        for acid in ("a3001", "o010", "o026", "o027", "o028", "o048", "o059", "o067")
    ]
    assert docs["jw99009-o010_dark3_00001_asn.json"]["products"][0]["members"] == [
        {
            "expname": "jw_00010_rate.fits",
            "exptype": "science",
            "exposerr": None,
            "asn_candidate": "[('o010', 'observation')]",
        }
    ]
