"""How many associations each candidate mode gives, as jwst 3.0.0 and its tests say.

Level 3 counts: ../shared/spec/level3.md §13.2 (jwst's CLI, Level 3 rules
only). Level 2 and all-level counts: jwst's own tests (generator.md §15).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import POOLS

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions

DEFAULT, ALL_CANDIDATES, DISCOVER = "default", "all-candidates", "discover"

LEVEL3_COUNTS = {
    # pool: (default, --all-candidates, --discover)
    "jw00632_dups": (2, 2, 2),
    "jw09505_20251216t202003_pool": (2, 2, 2),
    "jw87800_20180412T163456_pool": (2, 2, 2),
    "mega_pool": (210, 195, 70),
    "pool_001_candidates": (22, 20, 2),
    "pool_001_candidates_lower": (22, 20, 2),
    "pool_002_image_miri": (1, 1, 1),
    "pool_003_image_nircam": (2, 2, 2),
    "pool_004_wfs": (42, 42, 42),
    "pool_005_spec_niriss": (1, 1, 0),
    "pool_006_spec_nirspec": (3, 3, 3),
    "pool_007_spec_miri": (8, 7, 1),
    "pool_008_exposerr": (0, 0, 0),
    "pool_010_spec_nirspec_lv2bkg": (4, 4, 3),
    "pool_013_coron_nircam": (24, 18, 6),
    "pool_017_spec_nirspec_lv2imprint": (1, 1, 1),
    "pool_018_all_exptypes": (18, 17, 5),
    "pool_019_niriss_wfss": (3, 3, 3),
    "pool_020_00009_image_miri": (1, 1, 1),
    "pool_021_tso": (5, 5, 0),
    "pool_023_nirspec_msa_3nod": (2, 2, 2),
    "pool_023b_nirspec_msa_3nod_subpix": (1, 1, 1),
    "pool_024_nirspec_fss_nods": (5, 4, 1),
    "pool_024b_nirspec_fss_nods": (1, 1, 1),
    "pool_024c_nirspec_fss_nods": (1, 1, 1),
    "pool_025_nirspec_fss_nod_chop": (6, 5, 2),
    "pool_033_wfs_jitter": (0, 0, 0),
    "pool_duplicate": (2, 1, 2),
}


def count(tmp_path: Path, pool: str, levels: tuple[int, ...], **options: object) -> int:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / f"{pool}.csv"),
        GenerateOptions(levels=levels, **options),  # type: ignore[arg-type]
        output_dir=None,
    )
    return len(result.documents)


# Three generates a pool: the quick run takes a few pools that differ in all three modes,
# the slow one (`-m slow`, .ci/run) every pool.
QUICK_POOLS = ("pool_001_candidates", "pool_007_spec_miri", "pool_duplicate")


@pytest.mark.parametrize(
    ("pool", "counts"),
    [
        pytest.param(pool, counts, marks=() if pool in QUICK_POOLS else pytest.mark.slow)
        for pool, counts in sorted(LEVEL3_COUNTS.items())
    ],
)
def test_level3_counts_per_mode_match_jwst(
    tmp_path: Path, pool: str, counts: tuple[int, int, int]
) -> None:
    default, all_candidates, discover = counts
    assert count(tmp_path, pool, (3,)) == default
    assert count(tmp_path, pool, (3,), all_candidates=True) == all_candidates
    assert count(tmp_path, pool, (3,), discover=True) == discover


def slow(*values: object) -> object:
    """A case of a sweep that only the slow run takes (`-m slow`, .ci/run)."""
    return pytest.param(*values, marks=pytest.mark.slow)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (("nosuchid",), 0),
        (("o001",), 2),
        slow(("o002",), 2),
        slow(("o001", "o002"), 4),
        slow(("c1000",), 2),
        (("c1000", "c1001"), 4),
    ],
)
def test_level3_candidate_ids_of_pool_001_match_jwst(
    tmp_path: Path, ids: tuple[str, ...], expected: int
) -> None:
    assert count(tmp_path, "pool_001_candidates", (3,), ids=ids) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        slow({"ids": ("nosuchid",)}, 0),
        ({"ids": ("o001",)}, 10),
        ({}, 70),
        ({"discover": True}, 0),
        slow({"all_candidates": True}, 70),
    ],
)
def test_level2_candidate_modes_of_pool_001_match_jwst(
    tmp_path: Path, options: dict, expected: int
) -> None:
    assert count(tmp_path, "pool_001_candidates", (2,), **options) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"all_candidates": True}, 60),
        slow({"ids": ("o001",)}, 2),
        slow({"ids": ("o001", "o002")}, 2),
        slow({"ids": ("c1001",)}, 1),
        ({"ids": ("o001", "c1001")}, 3),
        slow({"ids": ("c1001", "c1002")}, 2),
        ({}, 61),
    ],
)
def test_all_levels_candidate_modes_of_pool_018_match_jwst(
    tmp_path: Path, options: dict, expected: int
) -> None:
    assert count(tmp_path, "pool_018_all_exptypes", (2, 3), **options) == expected


def test_an_unknown_candidate_id_warns(tmp_path: Path) -> None:
    result = generate_documents(
        tmp_path / "asn.duckdb",
        str(POOLS / "pool_002_image_miri.csv"),
        GenerateOptions(ids=("o999",)),
        output_dir=None,
    )
    assert result.documents == []
    assert any("o999" in warning for warning in result.warnings)
