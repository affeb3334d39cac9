"""The acceptance facts of jwst's own Level 3 tests (../shared/spec/level3.md §13.1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import POOLS

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions

DMS_PRODUCT = re.compile(
    r"jw\d{5}-(o|c|a)\d{3,4}_(t\d{3}|\{source_id\}|t\d{3}-\{source_id\})_[a-z]+(_[a-z0-9{}_\-]+)?"
)


def level3(tmp_path: Path, pool: str, **options: object) -> list[dict]:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / f"{pool}.csv"),
        GenerateOptions(levels=(3,), **options),  # type: ignore[arg-type]
        output_dir=None,
    )
    return [doc.data for doc in result.documents]


def members(doc: dict) -> list[dict]:
    return doc["products"][0]["members"]


def test_meta_of_a_discovered_miri_image_association(tmp_path: Path) -> None:
    [doc] = level3(tmp_path, "pool_002_image_miri", discover=True)
    assert doc["program"] == "99009"
    assert doc["target"] == "t001"
    assert doc["asn_type"] == "image3"
    assert doc["asn_id"] == "a3001"
    assert doc["asn_pool"] == "pool_002_image_miri.csv"
    assert doc["asn_rule"] == "discover_Asn_Lv3Image"
    assert doc["degraded_status"] == "No known degraded exposures in association."
    assert doc["version_id"] is None
    assert doc["constraints"]


@pytest.mark.parametrize(
    "pool",
    [
        "pool_006_spec_nirspec",
        "pool_007_spec_miri",
        "pool_010_spec_nirspec_lv2bkg",
        "pool_017_spec_nirspec_lv2imprint",
    ],
)
def test_target_acquisitions_join_every_association_but_the_aux_ones(
    tmp_path: Path, pool: str
) -> None:
    docs = level3(tmp_path, pool)
    assert docs
    for doc in docs:
        if doc["asn_rule"].endswith(("SpecAux", "NRSIFUBackground")):
            continue
        assert any(m["exptype"] == "target_acquisition" for m in members(doc)), doc["asn_rule"]


def test_nirspec_modes_name_their_products_with_placeholders(tmp_path: Path) -> None:
    docs = {d["asn_id"]: d for d in level3(tmp_path, "pool_006_spec_nirspec", all_candidates=True)}
    expected = {
        "o001": (
            "jw99009-o001_t001-{source_id}_nirspec_f100lp-g140m-{slit_name}-s200a2",
            {"science", "target_acquisition", "autowave"},
        ),
        "o002": (
            "jw99009-o002_{source_id}_nirspec_f100lp-g140h",
            {"science", "target_acquisition", "autoflat", "autowave"},
        ),
        "o003": ("jw99009-o003_t002_nirspec_g235h", {"science", "target_acquisition", "autowave"}),
    }
    for acid, (name, exptypes) in expected.items():
        assert docs[acid]["asn_type"] == "spec3"
        assert docs[acid]["products"][0]["name"] == name
        assert {m["exptype"] for m in members(docs[acid])} == exptypes


def test_miri_mrs_observations_name_no_optical_element(tmp_path: Path) -> None:
    for acid in ("o007", "o008"):
        [doc] = level3(tmp_path, "pool_007_spec_miri", ids=(acid,))
        assert doc["asn_type"] == "spec3"
        assert doc["products"][0]["name"] == f"jw99009-{acid}_t001_miri"


def test_wavefront_products_are_unique_over_all_candidates(tmp_path: Path) -> None:
    docs = level3(tmp_path, "pool_004_wfs", all_candidates=True)
    names = [doc["products"][0]["name"] + doc["asn_id"] for doc in docs]
    assert len(docs) == 42 and len(names) == len(set(names))


def test_no_image3_holds_a_line_of_sight_jitter_exposure(tmp_path: Path) -> None:
    docs = level3(tmp_path, "pool_033_wfs_jitter")
    assert [doc for doc in docs if doc["asn_type"] == "image3"] == []


def test_same_product_name_with_different_visits_keeps_both(tmp_path: Path) -> None:
    docs = level3(tmp_path, "jw00632_dups", all_candidates=True)
    names = {doc["products"][0]["name"] for doc in docs}
    assert len(docs) == 2 and names == {"jw00632-o003_t001_nircam_f212n-wlp8-nrca1_{suffix}-05"}


def test_a_duplicated_exposure_gives_one_candidate_and_one_discovered_image3(
    tmp_path: Path,
) -> None:
    docs = level3(tmp_path, "pool_duplicate")
    assert sorted(doc["asn_id"] for doc in docs) == ["a3001", "o029"]
    assert {doc["asn_type"] for doc in docs} == {"image3"}


@pytest.mark.parametrize(
    ("pool", "count"),
    [
        ("pool_005_spec_niriss", 1),
        ("pool_006_spec_nirspec", 3),
        ("pool_007_spec_miri", 8),
        ("pool_019_niriss_wfss", 3),
    ],
)
def test_spectrographic_pools_give_jwsts_counts(tmp_path: Path, pool: str, count: int) -> None:
    assert len(level3(tmp_path, pool)) == count


def test_every_product_and_file_name_follows_the_dms_pattern(tmp_path: Path) -> None:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / "pool_018_all_exptypes.csv"),
        GenerateOptions(levels=(3,)),
        output_dir=None,
    )
    for doc in result.documents:
        assert re.fullmatch(
            r"jw\d{5}-(o|c)\d{3,4}_\w+_\d{5}_asn|jw\d{5}-a\d{4}_[\w-]+_\d{5}_asn", doc.name
        )
        assert DMS_PRODUCT.fullmatch(doc.data["products"][0]["name"]), doc.data["products"][0][
            "name"
        ]


def test_tso_names_carry_the_subarray_and_slit(tmp_path: Path) -> None:
    names = sorted(doc["products"][0]["name"] for doc in level3(tmp_path, "pool_021_tso"))
    assert "jw99009-o010_t001_nirspec_clear-prism-s1600a1" in names
    assert "jw99009-o002_t001_miri_f140m-slitlessprism" in names


def test_wfss_spec3_product_names_the_level2_catalogs(tmp_path: Path) -> None:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / "jw87800_20180412T163456_pool.csv"),
        GenerateOptions(),
        output_dir=None,
    )
    docs = [doc.data for doc in result.documents]
    assert {doc["asn_type"] for doc in docs} == {"image2", "spec2", "image3", "spec3"}
    [image3] = [doc for doc in docs if doc["asn_type"] == "image3"]
    catalog = image3["products"][0]["name"]
    for spec2 in [doc for doc in docs if doc["asn_type"] == "spec2"]:
        expnames = {m["exptype"]: m["expname"] for m in members(spec2)}
        assert expnames["sourcecat"] == f"{catalog}_cat.ecsv"
        assert expnames["segmap"] == f"{catalog}_segm.fits"


def test_a_version_id_goes_between_candidate_and_type(tmp_path: Path) -> None:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / "pool_020_00009_image_miri.csv"),
        GenerateOptions(version_id="20250101t000000"),
        output_dir=None,
    )
    assert result.documents
    for doc in result.documents:
        assert re.fullmatch(r"jw\d{5}-[a-z]\d{3,4}_20250101t000000_[\w-]+_\d{5}_asn", doc.name)
