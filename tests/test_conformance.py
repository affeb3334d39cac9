"""asnsql's documents against jwst 3.0.0's, whole document by whole document.

fixtures/expected/<pool>/ holds what `asn_generate <pool>` (default options)
wrote. Every field is compared except `constraints` (jwst writes Python reprs
with memory addresses) and `code_version`; member order included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPECTED, POOLS

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions
from asn_sql.io.documents import Document

# Every fixture pool through the whole engine: a `slow` module (`python -m pytest -q`
# leaves it out; .ci/run runs it once, on the newest versions of the dependencies).
pytestmark = pytest.mark.slow

IGNORED_KEYS = ("constraints", "code_version")
POOL_NAMES = sorted(p.name for p in EXPECTED.iterdir() if p.is_dir())

# Documents that differ from jwst's, with the reason (see the README).
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {}


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """The document without the keys that are not compared."""
    return {key: value for key, value in data.items() if key not in IGNORED_KEYS}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Document]]:
    """Every fixture pool generated with default options into one database."""
    db_path = tmp_path_factory.mktemp("conformance") / "asn.duckdb"
    documents: dict[str, dict[str, Document]] = {}
    for name in POOL_NAMES:
        result = generate_documents(
            db_path, str(POOLS / f"{name}.csv"), GenerateOptions(), output_dir=None
        )
        documents[name] = {doc.file_name: doc for doc in result.documents}
    return documents


@pytest.mark.parametrize("pool", POOL_NAMES)
def test_generate_writes_the_same_files_as_jwst(pool: str, generated) -> None:
    expected = {p.name for p in (EXPECTED / pool).glob("*.json")}
    known = set(KNOWN_DIFFERENCES.get(pool, {}))
    assert set(generated[pool]) ^ expected <= known


@pytest.mark.parametrize("pool", POOL_NAMES)
def test_generate_writes_the_same_documents_as_jwst(pool: str, generated) -> None:
    known = KNOWN_DIFFERENCES.get(pool, {})
    differing = []
    for path in sorted((EXPECTED / pool).glob("*.json")):
        if path.name in known or path.name not in generated[pool]:
            continue
        expected = comparable(json.loads(path.read_text()))
        actual = comparable(generated[pool][path.name].data)
        if actual != expected:
            differing.append(path.name)
    assert differing == []


def test_every_generated_document_keeps_jwsts_key_order(generated) -> None:
    doc = generated["pool_002_image_miri"]["jw99009-o001_image3_00001_asn.json"]
    expected = json.loads((EXPECTED / "pool_002_image_miri" / doc.file_name).read_text())
    assert list(doc.data) == list(expected)
    level2 = generated["pool_002_image_miri"]["jw99009-o001_image2_00001_asn.json"]
    expected2 = json.loads((EXPECTED / "pool_002_image_miri" / level2.file_name).read_text())
    assert list(level2.data) == list(expected2)
    assert list(level2.data["products"][0]["members"][0]) == ["expname", "exptype", "exposerr"]


def test_a_document_is_laid_out_as_jwst_writes_json(generated) -> None:
    doc = generated["pool_002_image_miri"]["jw99009-o001_image3_00001_asn.json"]
    text = doc.dumps()
    assert text.startswith('{\n    "asn_type": "image3",\n')
    assert not text.endswith("\n")


def test_generation_is_byte_identical_across_runs(tmp_path: Path) -> None:
    pools = ["mega_pool.csv", "pool_010_spec_nirspec_lv2bkg.csv"]
    outputs = []
    for attempt in ("first", "second"):
        out = tmp_path / attempt
        for pool in pools:
            generate_documents(
                tmp_path / f"{attempt}.duckdb", str(POOLS / pool), GenerateOptions(), output_dir=out
            )
        outputs.append({p.name: p.read_bytes() for p in sorted(out.glob("*.json"))})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 800
