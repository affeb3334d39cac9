"""Rules no row can reach are not planned (asn_sql/engine/gates.py), and only those."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import POOLS
from typer.testing import CliRunner

from asn_sql.cli import main as cli
from asn_sql.engine.gates import gated
from asn_sql.engine.rules import all_rules
from asn_sql.engine.user_rules import read_user_rule

runner = CliRunner()
POOL = POOLS / "pool_018_all_exptypes.csv"

HEADER = """\
-- rule:      Asn_Lv3Darks
-- asn_type:  dark3
-- level:     3
-- constraints:
--   - a dark exposure
-- product:   jw<program>-<acid>_<target>_<instrument>_dark
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_' || {{ l3.target_token(g) }} || '_' || {{ g }}.k_instrume
    || '_dark'
{%- endmacro %}

"""
MEMBER = """{{ l3.member('e', "'science'") }}, e.targetid as k_target"""
DARKS = f"""
select {MEMBER}
from scope_exposures as e
where {{{{ l3.base('e') }}}} and e.exp_type like '%dark%'
"""
# The darks come from a join whose FROM is not scope_exposures alone: the only select
# over scope_exposures with a WHERE takes no row, yet the rule returns the darks.
DARKS_BY_JOIN = f"""
select {MEMBER}
from scopes as s
join scope_exposures as e on e.scope_id = s.scope_id
where {{{{ l3.base('e') }}}} and e.exp_type like '%dark%'
union all by name
select {MEMBER}
from scope_exposures as e
where e.exp_type = 'no_such_type'
"""


def a_rule(tmp_path: Path, body: str):
    path = tmp_path / "lv3_darks.sql"
    path.write_text(HEADER + body)
    return read_user_rule(path, tmp_path)


def test_every_built_in_rule_is_gated() -> None:
    # a rule that is not pays its planning on every pool, whatever its exposure types
    con = duckdb.connect()
    assert [rule.name for rule in all_rules() if not gated(con, rule)] == []


@pytest.mark.parametrize(
    "body",
    [
        DARKS_BY_JOIN,
        # an aggregate without GROUP BY makes a row from no row
        f"select {MEMBER} from (select min(e.row_no) as row_no from scope_exposures as e "
        "where e.exp_type like '%dark%') as m join scope_exposures as e using (row_no)",
        # rows that a NOT EXISTS over scope_exposures lets through, its select taking none
        f"select {MEMBER} from scopes as s join scope_exposures as e using (scope_id) "
        "where e.exp_type like '%dark%' and not exists "
        "(select 1 from scope_exposures as x where x.exp_type = 'no_such_type')",
        # `a or b and c` reads as `a or (b and c)`: not the two conditions its text splits
        f"select {MEMBER} from scope_exposures as e "
        "where e.exp_type like '%dark%' or e.detector is null and e.program is null",
        # a CTE named like the table hides it
        "with scope_exposures as (select * from temp.scope_exposures) "
        f"select {MEMBER} from scope_exposures as e where e.exp_type like '%dark%'",
    ],
)
def test_a_rule_whose_rows_may_come_from_elsewhere_is_not_gated(tmp_path: Path, body: str) -> None:
    assert not gated(duckdb.connect(), a_rule(tmp_path, body))


def test_a_plain_rule_is_gated(tmp_path: Path) -> None:
    assert gated(duckdb.connect(), a_rule(tmp_path, DARKS))


def test_a_rule_not_gated_runs_though_its_one_select_takes_no_row(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "lv3_darks.sql").write_text(HEADER + DARKS_BY_JOIN)
    out = tmp_path / "out"
    result = runner.invoke(
        cli.app,
        [str(a) for a in ("generate", POOL, "-r", rules, "-p", out, "--db", tmp_path / "a.db")],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "jw99009-o026_dark3_00001_asn.json").read_text())
    assert doc["products"] == [
        {
            "name": "jw99009-o026_t001_nirspec_dark",
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
