"""Runs are data: tables per run, a failed run leaves nothing, views for analysts."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import POOLS, file_digest, query_rows

from asn_sql.api import generate_documents, generate_many
from asn_sql.engine import rules
from asn_sql.engine.run import GenerateOptions
from asn_sql.errors import RuleError


def generate(db_path: Path, pool: str, **options: object):
    return generate_documents(
        db_path,
        str(POOLS / pool),
        GenerateOptions(**options),
        output_dir=None,  # type: ignore[arg-type]
    )


def test_a_run_records_its_associations_products_and_members(tmp_path: Path) -> None:
    path = tmp_path / "asn.duckdb"
    result = generate(path, "pool_010_spec_nirspec_lv2bkg.csv")
    [(run_id, n, mode, levels)] = query_rows(
        path, "select run_id, n_associations, mode, levels from runs"
    )
    assert (run_id, n, mode, levels) == (result.summary.run_id, 19, "default", [2, 3])
    assert query_rows(path, "select count(*) from associations")[0][0] == 19
    assert query_rows(path, "select count(*) from products")[0][0] == 19
    names = {name for (name,) in query_rows(path, "select name from associations")}
    assert names == {doc.name for doc in result.documents}


def test_old_runs_stay_queryable(tmp_path: Path) -> None:
    path = tmp_path / "asn.duckdb"
    generate(path, "pool_002_image_miri.csv", levels=(3,))
    generate(path, "pool_002_image_miri.csv", levels=(2,))
    assert query_rows(path, "select run_id, n_associations from runs order by run_id") == [
        (1, 1),
        (2, 8),
    ]
    assert query_rows(
        path, "select run_id, count(*) from associations group by all order by 1"
    ) == [
        (1, 1),
        (2, 8),
    ]


def test_a_failed_run_leaves_the_database_as_it_was(
    generated_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated_db("pool_002_image_miri.csv")
    before = file_digest(path)
    broken = rules.find_rule("lv3_image")
    real_render = rules.render_rule
    monkeypatch.setattr(
        "asn_sql.engine.level3.render_rule",
        lambda rule: (
            "select no_such_column from scope_exposures" if rule == broken else real_render(rule)
        ),
    )
    with pytest.raises(RuleError, match="lv3_image.sql"):
        generate(path, "pool_002_image_miri.csv")
    assert file_digest(path) == before
    assert query_rows(path, "select count(*) from runs")[0][0] == 1


def test_a_rule_breaking_a_column_constraint_is_not_blamed_on_another(
    generated_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A NULL role fails only when the rows are inserted, which aborts the
    # transaction; the error must say what failed, not name the next rule.
    path = generated_db("pool_002_image_miri.csv")
    before = file_digest(path)
    broken = rules.find_rule("lv2_image")
    real_render = rules.render_rule
    monkeypatch.setattr(
        "asn_sql.engine.level2.render_rule",
        lambda rule: (
            f"select * replace (null::varchar as role) from ({real_render(rule)})"
            if rule == broken
            else real_render(rule)
        ),
    )
    failed = r"NOT NULL constraint failed: l2_eligible\.\"?role"
    with pytest.raises(RuleError, match=failed) as raised:
        generate(path, "pool_002_image_miri.csv")
    assert ".sql" not in str(raised.value)
    assert file_digest(path) == before


def test_orphans_carry_a_reason(generated_db) -> None:
    path = generated_db("pool_010_spec_nirspec_lv2bkg.csv")
    reasons = dict(query_rows(path, "select filename, reason from orphans where run_id = 1"))
    assert "jw_00006_uncal.fits" in reasons and "jw_00011_uncal.fits" in reasons
    assert all(reason for reason in reasons.values())
    assert "no science member" in reasons["jw_00011_uncal.fits"]


def test_pairings_show_each_science_exposures_background(generated_db) -> None:
    path = generated_db("pool_010_spec_nirspec_lv2bkg.csv", levels=(2,))
    pairs = query_rows(
        path,
        "select association, science, member, role from pairings order by association, member",
    )
    assert (
        "jw99009-c1000_spec2_00001_asn",
        "jw_00005_rate.fits",
        "jw_00001_rate.fits",
        "background",
    ) in pairs
    assert (
        "jw99009-c1001_spec2_00001_asn",
        "jw_00013_rate.fits",
        "jw_00004_rate.fits",
        "background",
    ) in pairs


def test_degraded_status_follows_the_members_exposure_errors(tmp_path: Path) -> None:
    result = generate(tmp_path / "asn.duckdb", "pool_008_exposerr.csv", ids=("o001",))
    [doc] = [d.data for d in result.documents]
    errors = [m["exposerr"] for m in doc["products"][0]["members"]]
    degraded = any(e not in (None, "", "null", "--", "n", "f", "false", "n/a") for e in errors)
    assert doc["degraded_status"].startswith(
        "One or more members" if degraded else "No known degraded"
    )


def test_an_orphans_reason_names_the_failed_condition_in_words(generated_db) -> None:
    # As explain does: the macro's comment in sql/macros/, not the SQL it renders to.
    db_path = generated_db("pool_010_spec_nirspec_lv2bkg.csv", levels=(2,))
    assert query_rows(
        db_path, "select filename, reason from orphans where exp_type = 'nrs_fixedslit'"
    ) == [
        (
            "jw_00006_uncal.fits",
            "no rule takes it: Asn_Lv2NRSFSS takes nrs_fixedslit exposures but needs NIRSpec "
            "fixed slit: the slit, grating, filter and detector form a valid light path",
        )
    ]


@pytest.mark.parametrize(
    "args",
    [["orphans", "99"], ["diff", "99", "1"], ["diff", "1", "99"], ["runs", "--delete", "99"]],
)
def test_a_missing_run_is_the_same_line_whichever_command_is_given_it(
    tmp_path: Path, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from asn_sql.cli.main import app

    db_path = tmp_path / "asn.duckdb"
    generate(db_path, str(POOLS / "pool_002_image_miri.csv"))
    result = CliRunner().invoke(app, [*args, "--db", str(db_path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: there is no run 99 (asnsql runs lists them)\n"


def test_each_runs_orphan_count_is_the_orphans_views(tmp_path: Path) -> None:
    # The summary counts from the tables under the view (asn_sql/engine/run.py): the
    # two must agree for every run of a pass, a pool with a file name twice included.
    path = tmp_path / "asn.duckdb"
    names = ["pool_010_spec_nirspec_lv2bkg.csv", "pool_duplicate.csv", "pool_021_tso.csv"]
    results = generate_many(
        path, [str(POOLS / n) for n in names], GenerateOptions(), output_dir=None
    )
    counted = query_rows(
        path,
        "select r.run_id, count(o.run_id) from runs as r left join orphans as o using (run_id) "
        "group by all order by 1",
    )
    assert [(r.summary.run_id, r.summary.n_orphans) for r in results] == counted
    assert [n for _, n in counted] != [0, 0, 0]
