"""The Python API, reached through the package only, as the README shows it."""

from __future__ import annotations

import ast
import json
import re
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
    # defined in the package itself, so that touching it loads no DuckDB (test_imports.py)
    assert asn_sql.generate.__module__ == "asn_sql"


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
        assert asn_sql.load_asn(plain, resolve=False) == json.loads(source.read_text())

    data = json.loads(source.read_text())
    data["products"][0]["members"][0]["expname"] = (
        "data/" + data["products"][0]["members"][0]["expname"]
    )
    with_folder = tmp_path / "folder_asn.json"
    with_folder.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match=r"folder_asn\.json: 1 member name\(s\) hold a directory"):
        assert asn_sql.load_asn(with_folder, resolve=False) == data


def test_load_asn_puts_the_association_folder_before_each_relative_member_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a dict, jwst's Level 3 pipelines look for members in the current folder
    # (ModelLibrary, ModelContainer); given the file, in its folder. The dict says where.
    data = json.loads((EXPECTED / "jw99009-o001_image3_00001_asn.json").read_text())
    members = data["products"][0]["members"]
    members[0]["tweakreg_catalog"] = "cat.ecsv"
    members[1]["tweakreg_catalog"] = ""
    members[1]["expname"] = "/elsewhere/jw_abs_cal.fits"
    members.append({"expname": "s3://bucket/jw_url_cal.fits", "exptype": "science"})
    (tmp_path / "asn").mkdir()
    (tmp_path / "asn" / "x_asn.json").write_text(json.dumps(data))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")

    with pytest.warns(UserWarning, match="2 member name"):
        loaded = asn_sql.load_asn("../asn/x_asn.json")

    folder = tmp_path / "work" / ".." / "asn"
    expected = json.loads(json.dumps(data))
    expected_members = expected["products"][0]["members"]
    expected_members[0]["expname"] = str(folder / members[0]["expname"])
    expected_members[0]["tweakreg_catalog"] = str(folder / "cat.ecsv")
    for member in expected_members[2:-1]:
        member["expname"] = str(folder / member["expname"])
    assert loaded == expected
    assert all(Path(m["expname"]).is_absolute() for m in loaded["products"][0]["members"][:-1])
    with pytest.warns(UserWarning, match="2 member name"):
        assert asn_sql.load_asn("../asn/x_asn.json", resolve=False) == data


def test_dir_lists_the_api_and_its_errors_without_loading_duckdb() -> None:
    code = (
        "import sys, json, asn_sql; names = dir(asn_sql);"
        "print(json.dumps([names, sorted(asn_sql.__all__), 'duckdb' in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names, public, duckdb_loaded = json.loads(done.stdout)
    assert (
        names
        == public
        == [
            "AsnSqlError",
            "DatabaseError",
            "DiffError",
            "DocumentError",
            "FromListError",
            "GatherError",
            "HeaderError",
            "MigrationError",
            "MissingFileError",
            "NamingError",
            "OutputError",
            "PoolError",
            "QueryError",
            "RuleError",
            "UsageError",
            "__version__",
            "generate",
            "load_asn",
        ]
    )
    assert not duckdb_loaded


def test_every_exported_error_is_the_class_its_room_raises() -> None:
    from asn_sql.io.documents import DocumentError
    from asn_sql.tools.gather import GatherError

    errors = [getattr(asn_sql, name) for name in asn_sql.__all__ if name.endswith("Error")]
    assert all(issubclass(error, asn_sql.AsnSqlError) for error in errors)
    assert asn_sql.DocumentError is DocumentError and asn_sql.GatherError is GatherError
    assert issubclass(asn_sql.MissingFileError, FileNotFoundError)
    assert issubclass(asn_sql.MigrationError, asn_sql.DatabaseError)


def test_star_import_gives_the_api() -> None:
    namespace: dict = {}
    exec("from asn_sql import *", namespace)
    assert {"generate", "load_asn", "AsnSqlError", "DocumentError"} <= set(namespace)


def _missing_pool(tmp_path: Path) -> None:
    asn_sql.generate(tmp_path / "nowhere.csv")


def _missing_rules_folder(tmp_path: Path) -> None:
    asn_sql.generate(POOL, rules=tmp_path / "no_rules")


def _missing_association(tmp_path: Path) -> None:
    asn_sql.load_asn(tmp_path / "nowhere_asn.json")


def _missing_association_to_edit(tmp_path: Path) -> None:
    from asn_sql.tools.edit import edit_file

    edit_file(tmp_path / "nowhere_asn.json", add=["x_cal.fits"])


def _missing_association_to_gather(tmp_path: Path) -> None:
    from asn_sql.tools.gather import plan_gather

    plan_gather(tmp_path / "nowhere_asn.json", tmp_path / "dest")


def _missing_gather_source(tmp_path: Path) -> None:
    from asn_sql.tools.gather import plan_gather

    association = tmp_path / "a_asn.json"
    association.write_text((EXPECTED / "jw99009-o001_image3_00001_asn.json").read_text())
    plan_gather(association, tmp_path / "dest", source=tmp_path / "no_source")


def _missing_pool_to_load(tmp_path: Path) -> None:
    from asn_sql.io.load import load_pools

    load_pools(tmp_path / "a.duckdb", [tmp_path / "nowhere.csv"], delimiter="|", replace=False)


def _missing_diff_folder(tmp_path: Path) -> None:
    from asn_sql.api import read_diff_side

    read_diff_side(str(tmp_path / "no_folder"), tmp_path / "a.duckdb")


@pytest.mark.parametrize(
    ("call", "missing", "words"),
    [
        (_missing_pool, "nowhere.csv", "no such pool file"),
        (_missing_rules_folder, "no_rules", "no such rules folder"),
        (_missing_association, "nowhere_asn.json", "no such file"),
        (_missing_association_to_edit, "nowhere_asn.json", "no such file"),
        (_missing_association_to_gather, "nowhere_asn.json", "no such file"),
        (_missing_gather_source, "no_source", "no such source folder"),
        (_missing_pool_to_load, "nowhere.csv", "no such file"),
        (_missing_diff_folder, "no_folder", "no such folder of association files"),
    ],
)
def test_a_missing_file_given_to_the_api_is_a_file_not_found_error(
    tmp_path: Path, call, missing: str, words: str
) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        call(tmp_path)
    error = caught.value
    assert isinstance(error, asn_sql.AsnSqlError)
    assert isinstance(error, asn_sql.MissingFileError)
    assert str(error) == f"{tmp_path / missing}: {words}" + (
        " (nor a run id or a loaded pool)" if "diff" in call.__name__ else ""
    )
    assert (error.filename, error.errno) == (str(tmp_path / missing), 2)
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["a_asn.json"])


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


# Where the API's messages are written: everything below the command line.
_API_SOURCES = [
    path
    for path in sorted((Path(asn_sql.__file__).parent).rglob("*.py"))
    if "cli" not in path.relative_to(Path(asn_sql.__file__).parent).parts
]
# An option's spelling: -x, --name (not a SQL comment "-- ", nor "jw01234-a3001").
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
# make-pool's warnings name the options that set a column jwst fills with a default.
_OPTION_WORDS_ALLOWED = {("make_pool.py", "--dms-note"), ("make_pool.py", "--is-imprt")}
_OPTION_WORDS_ALLOWED |= {("make_pool.py", "--pntgtype"), ("values.py", "-Infinity")}  # JSON
# What an interrupt kept is said with the command that removes it, for API and shell alike.
_OPTION_WORDS_ALLOWED |= {("api.py", "--delete"), ("batch.py", "--delete")}


def _strings_outside_docstrings(tree: ast.AST) -> list[str]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_no_message_below_the_command_line_names_a_command_line_option() -> None:
    found = [
        (path.name, word)
        for path in _API_SOURCES
        for text in _strings_outside_docstrings(ast.parse(path.read_text(encoding="utf-8")))
        for word in _OPTION.findall(text)
    ]
    assert [hit for hit in found if hit not in _OPTION_WORDS_ALLOWED] == []
    assert len(_API_SOURCES) > 30


def test_the_command_line_knows_the_option_of_every_setting_an_error_names() -> None:
    from asn_sql.cli.common import OPTION_OF_SETTING

    named = set()
    for path in _API_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("settings", "error_settings"):
                named |= {
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
    assert "delimiter" in named and "rules_dir" in named
    assert named <= set(OPTION_OF_SETTING), named - set(OPTION_OF_SETTING)


def test_an_api_error_names_its_setting_and_the_command_line_adds_the_option(
    tmp_path: Path,
) -> None:
    bad = FIXTURES / "bad" / "too_many_fields.csv"
    with pytest.raises(asn_sql.PoolError) as caught:
        asn_sql.generate(bad)
    assert str(caught.value) == (
        f"{bad}, line 7, column 122: 12 fields, expected 11 as in the header on line 4: "
        "is the delimiter '|'?"
    )
    assert caught.value.settings == ("delimiter",)
    done = subprocess.run(
        [sys.executable, "-m", "asn_sql", "generate", str(bad), "--db", str(tmp_path / "a.db")],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"Error: {caught.value} (see -d/--delimiter)\n"
