"""Pools found by bench/differential.py: asnsql must write exactly jwst 3.0.0's documents.

Each fixtures/differential/<kind>_<seed>/ holds a shrunk random pool (pool.csv), what
jwst 3.0.0's ``asn_generate pool.csv`` wrote for it (expected/), with the options of
``options.txt`` when there is one (``-i``, ``--all-candidates``, ``--discover``,
``--no-finalize``, ``--version-id``), and a README line saying what differed when it
was found. The comparison is strict: the same file names
and the same documents but for ``constraints`` and ``code_version``, member order and
``degraded_status`` included. jwst is not needed here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import options_from_args

from asn_sql.api import generate_documents

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "differential"
IGNORED_KEYS = ("constraints", "code_version")

# Kinds (the folder name without its seed) that asnsql does not reproduce yet, and why.
NOT_YET: dict[str, str] = {
    "lv3image_copy_joins_later": (
        "Level 3: a second copy of a file whose first copy an image3 association holds "
        "matches that one by name, so jwst never offers it to an association founded later; "
        "asnsql's Level 3 puts it in the one the next row founds"
    ),
}


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the keys that are not compared."""
    return {key: value for key, value in doc.items() if key not in IGNORED_KEYS}


def _cases() -> list[Any]:
    cases = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []:
        kind = folder.name.rsplit("_", 1)[0]
        marks = []
        if kind in NOT_YET:
            marks.append(pytest.mark.xfail(strict=True, reason=NOT_YET[kind]))
        cases.append(pytest.param(folder, id=folder.name, marks=marks))
    return cases


def test_every_fixture_has_a_pool_expected_files_and_a_readme() -> None:
    folders = [p for p in FIXTURES.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        assert (folder / "pool.csv").is_file(), folder
        assert (folder / "README").read_text().strip(), folder
        assert (folder / "expected").is_dir(), folder


def test_every_kind_not_yet_reproduced_has_a_fixture() -> None:
    kinds = {p.name.rsplit("_", 1)[0] for p in FIXTURES.iterdir() if p.is_dir()}
    assert set(NOT_YET) <= kinds


# A generate per fixture: a sweep, run with `-m slow` (.ci/run runs it once).
@pytest.mark.slow
@pytest.mark.parametrize("folder", _cases())
def test_asnsql_writes_jwsts_documents(folder: Path, tmp_path: Path) -> None:
    options = folder / "options.txt"
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(folder / "pool.csv"),
        options_from_args(options.read_text().split() if options.exists() else []),
        output_dir=None,
    )
    actual = {doc.file_name: comparable(doc.data) for doc in result.documents}
    expected = {
        path.name: comparable(json.loads(path.read_text()))
        for path in sorted((folder / "expected").glob("*.json"))
    }
    assert actual == expected
