"""User rule files: generate -r/--rules DIR, --ignore-default, rules -r and rules --check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import POOLS
from typer.testing import CliRunner

from asn_sql.cli import main as cli
from asn_sql.resources import sql_dir

runner = CliRunner()
POOL = POOLS / "pool_018_all_exptypes.csv"

DARKS = """\
-- rule:      Asn_Lv3Darks
-- asn_type:  dark3
-- level:     3
-- constraints:
--   - a dark exposure (an exp_type with "dark" in it)
--   - the same program, instrument and detector
-- product:   jw<program>-<acid>_<target>_<instrument>_<detector>_dark
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_' || {{ l3.target_token(g) }} || '_' || {{ g }}.k_instrume
    || '_' || {{ g }}.k_detector || '_dark'
{%- endmacro %}

select
    {{ l3.member('e', "'science'") }},
    e.targetid as k_target,
    e.detector as k_detector
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type like '%dark%'
  and e.detector is not null
"""


def invoke(*args: object):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "my_rules"
    folder.mkdir()
    (folder / "lv3_darks.sql").write_text(DARKS)
    return folder


def test_a_user_rule_runs_beside_the_built_in_rules(tmp_path: Path, rules_dir: Path) -> None:
    out = tmp_path / "out"
    result = invoke("generate", POOL, "-r", rules_dir, "-p", out, "--db", tmp_path / "a.duckdb")
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "jw99009-o026_dark3_00001_asn.json").read_text())
    assert doc["asn_rule"] == "candidate_Asn_Lv3Darks"
    assert doc["products"] == [
        {
            "name": "jw99009-o026_t001_nirspec_nrs1_dark",
            "members": [
                {
                    "expname": "jw_00026_rate.fits",
                    "exptype": "science",
                    "exposerr": None,
                    "asn_candidate": "[('o026', 'observation')]",
                }
            ],
        }
    ]
    assert doc["constraints"].startswith('a dark exposure (an exp_type with "dark" in it)\n')
    # the built-in rules ran too
    assert (out / "jw99009-o001_image2_00001_asn.json").exists()


def test_ignore_default_runs_only_the_users_rules(tmp_path: Path, rules_dir: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "generate", POOL, "-r", rules_dir, "--ignore-default", "-p", out, "--db", tmp_path / "a.db"
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.json"))
    assert names and all("_dark3_" in name for name in names)


def test_ignore_default_without_rules_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("generate", POOL, "--ignore-default", "--dry-run", "--db", tmp_path / "a.db")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: ignoring the default rules leaves only those of a rules folder: give one "
        "(see --ignore-default, -r/--rules)"
    )


def test_a_user_file_named_like_a_built_in_rule_replaces_it(tmp_path: Path) -> None:
    folder = tmp_path / "rules" / "level3"
    folder.mkdir(parents=True)
    text = (sql_dir() / "rules" / "level3" / "lv3_image.sql").read_text()
    (folder / "lv3_image.sql").write_text(
        text.replace("-- asn_type:  image3", "-- asn_type:  mine3")
    )
    listed = invoke("rules", "-r", tmp_path / "rules", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.stdout.splitlines() if "Asn_Lv3Image," in line]
    assert lines == [f"3,Asn_Lv3Image,mine3,{folder / 'lv3_image.sql'}"]
    out = tmp_path / "out"
    result = invoke(
        "generate",
        POOLS / "pool_002_image_miri.csv",
        "-r",
        tmp_path / "rules",
        "--level",
        "3",
        "-p",
        out,
        "--db",
        tmp_path / "a.db",
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.json")) == ["jw99009-o001_mine3_00001_asn.json"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace("{{ l3.target_token(g) }}", "{{ l3.no_such_macro(g) }}"),
            "lv3_darks.sql, line 11: does not render: 'jinja2.environment.TemplateModule object' "
            "has no attribute 'no_such_macro'",
        ),
        (
            lambda t: t.replace("as k_detector", "as k_detector, {{ undefined_thing }}"),
            "lv3_darks.sql, line 18: does not render: 'undefined_thing' is undefined",
        ),
        (
            lambda t: t.replace("e.detector is not null", "e.no_such_column is not null"),
            'lv3_darks.sql, line 22: Binder Error: Table "e" does not have a column named '
            '"no_such_column"',
        ),
        (
            lambda t: t.replace("{% import 'macros/level3.sql' as l3 -%}", "{% if %}"),
            "lv3_darks.sql, line 8: does not render: ",
        ),
        (
            lambda t: t.replace("-- asn_type:  dark3\n", ""),
            "lv3_darks.sql, line 1: the header lacks asn_type",
        ),
        (
            lambda t: t.replace("-- level:     3", "-- level:     4"),
            "lv3_darks.sql, line 3: level must be 2 or 3",
        ),
        (
            lambda t: t.replace("e.detector as k_detector", "e.detector as k_detektor"),
            "lv3_darks.sql, line 18: returns column k_detektor, which is not in the contract",
        ),
        (
            lambda t: t.replace("-- rule:      Asn_Lv3Darks", "-- rule:      Asn_Lv3Image"),
            "lv3_darks.sql, line 1: rule Asn_Lv3Image is defined already by "
            "sql/rules/level3/lv3_image.sql; name the file lv3_image.sql to replace it",
        ),
    ],
)
def test_a_broken_user_rule_is_one_line_naming_file_and_line(
    tmp_path: Path, rules_dir: Path, change, message: str
) -> None:
    path = rules_dir / "lv3_darks.sql"
    path.write_text(change(DARKS))
    db = tmp_path / "a.duckdb"
    shutil.copy(POOL, tmp_path / POOL.name)
    result = invoke(
        "generate", tmp_path / POOL.name, "-r", rules_dir, "-p", tmp_path / "out", "--db", db
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {rules_dir}/") and message in lines[0]
    assert not (tmp_path / "out").exists()
    assert not db.exists()  # nothing loaded: the rule is checked first
    checked = invoke("rules", "--check", rules_dir)
    assert checked.exit_code == 2
    assert message in checked.stderr and checked.stderr.count("\n") == 1


# Each of the 44 rules through the engine on a scratch database: a sweep (`-m slow`).
@pytest.mark.slow
def test_rules_check_passes_every_built_in_rule_file() -> None:
    result = invoke("rules", "--check", sql_dir() / "rules")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\nok  ") + result.stdout.startswith("ok  ") == 44
    assert "lv3_image.sql: Asn_Lv3Image, level 3, replaces sql/rules/level3/lv3_image.sql" in (
        result.stdout
    )


def test_a_top_level_file_needs_a_level(tmp_path: Path, rules_dir: Path) -> None:
    path = rules_dir / "lv3_darks.sql"
    path.write_text(DARKS.replace("-- level:     3\n", ""))
    result = invoke("rules", "--check", rules_dir)
    assert result.exit_code == 2
    assert (
        "lv3_darks.sql, line 1: which level? add a '-- level: 2' or '-- level: 3'" in result.stderr
    )


def test_explain_shows_the_user_rule(tmp_path: Path, rules_dir: Path) -> None:
    db = tmp_path / "a.duckdb"
    assert invoke("generate", POOL, "-r", rules_dir, "--dry-run", "--db", db).exit_code == 0
    result = invoke("explain", "jw_00026", "-r", rules_dir, "--db", db)
    assert result.exit_code == 0, result.output
    assert (
        "  in jw99009-o026_dark3_00001_asn: science of jw99009-o026_t001_nirspec_nrs1_dark "
        "(Asn_Lv3Darks)" in result.stdout
    )
    # The run recorded its -r folder (migration 0006): explain needs no -r again.
    without = invoke("explain", "jw_00026", "--db", db)
    assert (without.exit_code, without.stdout, without.stderr) == (0, result.stdout, "")
    # Other rules than the run's, given on purpose, explain with a warning.
    other = tmp_path / "other_rules" / "level3"
    other.mkdir(parents=True)
    shutil.copy(sql_dir() / "rules" / "level3" / "lv3_image.sql", other / "lv3_image.sql")
    other = other.parent
    mixed = invoke("explain", "jw_00026", "-r", other, "--db", db)
    assert mixed.exit_code == 0, mixed.output
    assert mixed.stderr.startswith("Warning: run 1 was made with other rules")


def test_the_runs_table_records_the_rules_folder(tmp_path: Path, rules_dir: Path) -> None:
    db = tmp_path / "a.duckdb"
    args = ("--dry-run", "--db", db)
    assert invoke("generate", POOL, "-r", rules_dir, "--ignore-default", *args).exit_code == 0
    assert invoke("generate", POOL, *args).exit_code == 0
    rows = invoke(
        "query",
        "select run_id, rules_dir, ignore_default from runs order by 1",
        "-f",
        "csv",
        "--db",
        db,
    )
    assert rows.stdout.splitlines() == [
        "run_id,rules_dir,ignore_default",
        f"1,{rules_dir.resolve()},true",
        "2,,false",
    ]


def test_explain_of_a_run_whose_rules_changed_or_went_reads_what_the_run_stored(
    tmp_path: Path, rules_dir: Path
) -> None:
    db = tmp_path / "a.duckdb"
    assert invoke("generate", POOL, "-r", rules_dir, "--dry-run", "--db", db).exit_code == 0
    before = invoke("explain", "jw_00026", "--db", db)
    assert before.exit_code == 0, before.output
    # The run stored why (migration 0009): its rule files are not read again.
    (rules_dir / "lv3_darks.sql").write_text(DARKS.replace("'_dark'", "'_darks'"))
    changed = invoke("explain", "jw_00026", "--db", db)
    assert (changed.exit_code, changed.stdout, changed.stderr) == (0, before.stdout, "")
    shutil.rmtree(rules_dir)
    gone = invoke("explain", "jw_00026", "--db", db)
    assert (gone.exit_code, gone.stdout, gone.stderr) == (0, before.stdout, "")


def test_two_user_files_with_one_class_name_clash(tmp_path: Path, rules_dir: Path) -> None:
    (rules_dir / "lv3_darks_again.sql").write_text(DARKS)
    expected = (
        f"Error: {rules_dir / 'lv3_darks_again.sql'}, line 1: rule Asn_Lv3Darks is defined "
        f"already by {rules_dir / 'lv3_darks.sql'}"
    )
    checked = invoke("rules", "--check", rules_dir)
    assert checked.exit_code == 2 and checked.stderr.strip() == expected
    run = invoke("generate", POOL, "-r", rules_dir, "--dry-run", "--db", tmp_path / "a.db")
    assert run.exit_code == 2 and run.stderr.strip() == expected


def test_a_rule_failing_on_the_pools_rows_is_one_line_and_keeps_the_database(
    tmp_path: Path, rules_dir: Path
) -> None:
    # Every select's conditions are evaluated before the rules (gating, orphans, explain):
    # a cast that a FILENAME defeats fails there, and the run is refused as a rule error.
    failing = rules_dir / "lv3_darks.sql"
    failing.write_text(DARKS.replace("e.detector is not null", "cast(e.filename as integer) > 0"))
    db = tmp_path / "a.duckdb"
    assert invoke("load", POOL, "--db", db).exit_code == 0
    before = db.read_bytes()
    result = invoke("generate", POOL.name, "-r", rules_dir, "-p", tmp_path / "out", "--db", db)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(
        "Error: a rule's conditions failed on the pool's rows: Conversion Error: "
    )
    assert len(result.stderr.splitlines()) == 1
    assert db.read_bytes() == before
    assert not (tmp_path / "out").exists()


def test_a_select_whose_conditions_read_a_cte_runs_as_written(
    tmp_path: Path, rules_dir: Path
) -> None:
    # A condition that reads one of the rule's CTEs cannot be evaluated alone: that
    # select is left out of the conditions table (never gated), and the rule runs.
    (rules_dir / "lv3_darks.sql").write_text(
        DARKS.replace(
            "select\n    {{ l3.member",
            "with darks as (select row_no from scope_exposures"
            " where exp_type like '%dark%')\nselect\n    {{ l3.member",
        ).replace("and e.detector is not null", "and e.row_no in (select row_no from darks)")
    )
    plain = tmp_path / "plain_rules"
    plain.mkdir()
    (plain / "lv3_darks.sql").write_text(DARKS.replace("  and e.detector is not null\n", ""))
    written = {}
    for name, folder in (("cte", rules_dir), ("plain", plain)):
        out = tmp_path / f"{name}_out"
        args = ("generate", POOL, "-r", folder, "-p", out, "--db", tmp_path / f"{name}.duckdb")
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        written[name] = {p.name: p.read_text() for p in out.iterdir()}
    assert any("dark" in text for text in written["cte"].values())
    assert written["cte"] == written["plain"]
