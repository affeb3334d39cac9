"""Facts of jwst's own Level 2 tests and worked examples (../shared/spec/level2.md §8)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import POOLS

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions


def level2(tmp_path: Path, pool: str, **options: object) -> dict[str, dict]:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / f"{pool}.csv"),
        GenerateOptions(levels=(2,), **options),  # type: ignore[arg-type]
        output_dir=None,
    )
    return {doc.name: doc.data for doc in result.documents}


def members(doc: dict) -> list[tuple[str, str]]:
    return [(m["expname"], m["exptype"]) for m in doc["products"][0]["members"]]


def test_level2_names_follow_the_dms_pattern(tmp_path: Path) -> None:
    docs = level2(tmp_path, "pool_018_all_exptypes")
    assert docs
    for name in docs:
        assert re.fullmatch(
            r"jw\d{5}-(o|c)\d{3,4}_[\w-]+_\d{5}_asn|jw\d{5}-a\d{4}_[\w-]+_\d{5}_asn", name
        )


def test_background_candidates_take_the_background_and_prune_the_observation_copy(
    tmp_path: Path,
) -> None:
    docs = level2(tmp_path, "pool_010_spec_nirspec_lv2bkg")
    assert members(docs["jw99009-c1000_spec2_00001_asn"]) == [
        ("jw_00005_rate.fits", "science"),
        ("jw_00001_rate.fits", "background"),
    ]
    assert members(docs["jw99009-c1001_spec2_00001_asn"]) == [
        ("jw_00004_rate.fits", "background"),
        ("jw_00013_rate.fits", "science"),
    ]
    assert not any(name.startswith(("jw99009-o003_spec2", "jw99009-o004_spec2")) for name in docs)
    # reversed numbering: the association created last is 00001
    assert docs["jw99009-o003_image2_00001_asn"]["products"][0]["name"] == "jw_00010"


def test_an_ifu_nod_keeps_its_imprint_and_the_imprint_gets_its_own(tmp_path: Path) -> None:
    docs = level2(tmp_path, "pool_017_spec_nirspec_lv2imprint")
    assert members(docs["jw99009-o001_spec2_00002_asn"]) == [
        ("jw_00001_rate.fits", "science"),
        ("jw_00002_rate.fits", "imprint"),
    ]
    assert members(docs["jw99009-o001_spec2_00001_asn"]) == [("jw_00002_rate.fits", "science")]


def test_fixed_slit_nods_take_the_other_primary_positions_as_background(tmp_path: Path) -> None:
    docs = level2(tmp_path, "pool_024b_nirspec_fss_nods")
    assert len(docs) == 10
    # S1600A1 5-point pattern: the neighbouring positions are not backgrounds
    assert members(docs["jw93125-o001_spec2_00001_asn"]) == [
        ("jw_00010_rate.fits", "science"),
        ("jw_00002_rate.fits", "background"),
        ("jw_00004_rate.fits", "background"),
        ("jw_00006_rate.fits", "background"),
    ]


def test_wfss_spectra_carry_the_image3_catalogs(tmp_path: Path) -> None:
    docs = level2(tmp_path, "pool_019_niriss_wfss")
    spec2 = [doc for name, doc in docs.items() if "_spec2_" in name]
    assert len(spec2) == 12
    root = "jw99009-o001_t001_niriss_clear-f140m"
    for doc in spec2:
        tail = doc["products"][0]["members"][1:]
        assert tail == [
            {"expname": f"{root}_i2d.fits", "exptype": "direct_image"},
            {"expname": f"{root}_cat.ecsv", "exptype": "sourcecat"},
            {"expname": f"{root}_segm.fits", "exptype": "segmap"},
        ]


def test_time_series_members_are_rateints(tmp_path: Path) -> None:
    docs = level2(tmp_path, "pool_021_tso")
    assert len(docs) == 5
    for doc in docs.values():
        assert all(name.endswith("_rateints.fits") for name, _ in members(doc))


def test_discovery_alone_gives_no_level2_association(tmp_path: Path) -> None:
    assert level2(tmp_path, "pool_001_candidates", discover=True) == {}


def test_wavefront_jitter_exposures_make_no_image2(tmp_path: Path) -> None:
    docs = level2(tmp_path, "pool_033_wfs_jitter")
    assert (
        sorted(doc["asn_rule"] for doc in docs.values())
        == ["candidate_Asn_Lv2ImageNonScience"] + ["candidate_Asn_Lv2WFSC"] * 5
    )
