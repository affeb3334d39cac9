"""Associations jwst forms but cannot write (--no-finalize) are kept as the run's rows.

jwst 3.0.0's own test of tso3 product names (jwst/associations/tests/
test_level3_product_names.py, ``test_tso3_names``) generates pool_021_tso without
finalizing and reads the names of five tso3 associations from memory: none is valid
outside an observation candidate, so ``asn_generate --discover --no-finalize`` writes
none of them. asnsql keeps them in ``unwritten_associations``, with the names jwst
gives them, and the same test runs on those rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import POOLS, query_rows

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions
from asn_sql.tools.runs import delete_run

# jwst's LEVEL3_PRODUCT_NAME_REGEX.
LEVEL3_PRODUCT_NAME = re.compile(
    r"jw(?P<program>\d{5})-(?P<acid>[a-z]\d{3,4})_(?P<target>(?:t\d{3})|(?:\{source_id\}))"
    r"(?:-(?P<epoch>epoch\d+))?_(?P<instrument>.+?)_(?P<opt_elem>.+)"
)
EMPTY = (None, "", "null", "--", "n", "f", "false", "n/a")


def _generate_pool_021(db: Path, **options: object) -> list:
    return generate_documents(
        db, str(POOLS / "pool_021_tso.csv"), GenerateOptions(**options), output_dir=None
    ).documents


def test_discover_no_finalize_keeps_jwsts_five_tso3_with_their_names(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    assert _generate_pool_021(db, discover=True, finalize=False) == []
    rows = query_rows(
        db,
        "select name, asn_rule, product_name, reason from unwritten_associations "
        "where asn_type = 'tso3' order by sequence",
    )
    assert rows == [
        (
            f"jw99009-a3001_tso3_0000{n}_asn",
            "discover_Asn_Lv3TSO",
            product,
            "it fails a validity test",
        )
        for n, product in enumerate(
            [
                "jw99009-a3001_t001_miri_f140m-slitlessprism",
                "jw99009-a3001_t001_niriss_f140m",
                "jw99009-a3001_t001_nircam_f140m",
                "jw99009-a3001_t001_nircam_f140m",
                "jw99009-a3001_t001_nirspec_clear-prism-s1600a1",
            ],
            start=1,
        )
    ]


def test_jwsts_tso3_name_test_passes_on_the_unwritten_rows(tmp_path: Path) -> None:
    """jwst's test_tso3_names: each name's optical part is the association's optical
    element, then its second element, slit and subarray where set (full left out); here
    read from the founding exposure, each tso3 holding just that one."""
    db = tmp_path / "asn.duckdb"
    _generate_pool_021(db, discover=True, finalize=False)
    rows = query_rows(
        db,
        "select u.product_name, u.n_members, lower(x.filter), lower(x.pupil), lower(x.grating),"
        " lower(x.fxd_slit), lower(x.subarray) "
        "from unwritten_associations as u "
        "join exposures as x on x.pool_id = u.pool_id and x.row_no = u.seed_row "
        "where u.asn_type = 'tso3'",
    )
    assert len(rows) == 5
    for product_name, n_members, opt_elem, pupil, grating, slit, subarray in rows:
        opt_elem2 = pupil if pupil not in EMPTY else grating
        match = LEVEL3_PRODUCT_NAME.fullmatch(product_name)
        assert match is not None, product_name
        assert n_members == 1
        values = [opt_elem if opt_elem not in EMPTY else "clear"]
        values += [v for v in (opt_elem2, slit, subarray) if v not in EMPTY and v != "full"]
        assert match["opt_elem"] == "-".join(values), product_name


def test_finalized_runs_keep_no_unwritten_associations(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    assert _generate_pool_021(db)  # the tso3 of observations are written
    assert query_rows(db, "select count(*) from unwritten_associations") == [(0,)]


def test_deleting_a_run_deletes_its_unwritten_associations(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    _generate_pool_021(db, discover=True, finalize=False)
    (run_id,) = query_rows(db, "select max(run_id) from runs")[0]
    delete_run(db, run_id)
    assert query_rows(db, "select count(*) from unwritten_associations") == [(0,)]
