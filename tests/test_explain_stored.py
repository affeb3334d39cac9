"""`asnsql explain` from what the run stored (migration 0009): whole outputs for a member,
an orphan and an exposure in several scopes, every orphan at once, lines that fit a
terminal without SQL, the same reasons as running the rules again, and old runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import POOLS
from typer.testing import CliRunner

from asn_sql.cli import main as cli
from asn_sql.engine.rules import find_rule
from asn_sql.tools import explain_rerun
from asn_sql.tools.explain import explain, explain_orphans

runner = CliRunner()
POOL = POOLS / "pool_010_spec_nirspec_lv2bkg.csv"


def invoke(*args: object):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pool_010 generated once (dry run): a copy per test keeps each test's database its own."""
    db = tmp_path_factory.mktemp("explain") / "a.duckdb"
    result = invoke("generate", POOL, "--dry-run", "--db", db)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def db(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "a.duckdb"
    shutil.copy(generated, copy)
    return copy


def test_explain_of_an_orphan_names_the_rule_and_the_condition_in_words(db: Path) -> None:
    result = invoke("explain", "jw_00006", "--db", db)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert result.stdout == (
        "jw_00006_uncal.fits (row 6, nrs_fixedslit), run 1\n"
        "  in no association\n"
        "  rules that take nrs_fixedslit exposures:\n"
        "    not Asn_Lv2NRSFSS: fails NIRSpec fixed slit: the slit, grating, filter and detector "
        "form a valid\n"
        "        light path (here detector = nrs2, filter = f100lp, fxd_slit = s200a2, "
        "grating = g140m)\n"
        "    not Asn_Lv2SpecSpecial: needs (program set) and exp_type one of mir_lrs-fixedslit,\n"
        "        mir_lrs-slitless, mir_mrs or 9 other types and a usable Level 2 instrument mode "
        "and\n"
        "        (exp_type not nrs_ifu or a valid NIRSpec IFU light path) and (bkgdtarg set or "
        "is_psf set)\n"
        "        (here bkgdtarg = unset, detector = nrs2, exp_type = nrs_fixedslit, filter = "
        "f100lp, grating\n"
        "        = g140m, is_psf = unset, program = 99009)\n"
        "    not Asn_Lv3NRSFSS: needs a valid NIRSpec fixed-slit light path (here detector = nrs2, "
        "filter =\n"
        "        f100lp, fxd_slit = s200a2, grating = g140m)\n"
        "    not Asn_Lv3SpecAux: needs bkgdtarg = t (here bkgdtarg = unset)\n"
        "  40 other rules take no nrs_fixedslit exposure in this run (--all: why)\n"
    )


def test_explain_of_an_exposure_in_several_scopes_names_each_candidate(db: Path) -> None:
    result = invoke("explain", "jw_00011", "--db", db)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert result.stdout == (
        "jw_00011_uncal.fits (row 11, nrs_autowave), run 1\n"
        "  in no association\n"
        "  rules that take nrs_autowave exposures:\n"
        "    not Asn_Lv3SpectralSource: eligible as autowave in 1000 (bare number in "
        "ASN_CANDIDATE, type\n"
        "        unknown), a3001 (discovered), c1000 (background), o003 (observation), but its "
        "association\n"
        "        was dropped: in 1000 (bare number in ASN_CANDIDATE, type unknown), it has no "
        "science member;\n"
        "        in a3001 (discovered), it has no science member; in o003 (observation), it has "
        "no science\n"
        "        member\n"
        "  43 other rules take no nrs_autowave exposure in this run (--all: why)\n"
    )


def test_explain_orphans_explains_every_orphan_of_the_run_in_one_table(db: Path) -> None:
    result = invoke("explain", "--orphans", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "\n"
        " exposure              exp_type        "
        "why: the rule that came closest, and what it needs\n"
        " " + "─" * 98 + "\n"
        " set acid              exp_type        no rule takes exp_type exposures in this run\n"
        " jw_00006_uncal.fits   nrs_fixedslit   Asn_Lv2NRSFSS fails NIRSpec fixed slit: the slit, "
        "grating,\n"
        "                                       filter and detector form a valid light path\n"
        " jw_00011_uncal.fits   nrs_autowave    Asn_Lv3SpectralSource could use it as autowave in "
        "1000 (bare\n"
        "                                       number in ASN_CANDIDATE, type unknown), but its "
        "association\n"
        "                                       was dropped: it has no science member\n"
        " jw_00018_uncal.fits   nrs_autowave    Asn_Lv3SpectralSource could use it as autowave in "
        "1001 (bare\n"
        "                                       number in ASN_CANDIDATE, type unknown), but its "
        "association\n"
        "                                       was dropped: it has no science member\n"
        " set acid              exp_type        no rule takes exp_type exposures in this run\n"
        "\n"
    )
    assert result.stderr == "run 1: 5 exposures in no association\n"
    # the same exposures as the orphans view, in its order
    run_id, found = explain_orphans(db, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        view = con.execute(
            "select filename, exp_type from orphans where run_id = 1 order by row_no"
        ).fetchall()
    assert (run_id, [(o.filename, o.exp_type) for o in found]) == (1, view)
    # the run is a positional argument, as in `asnsql orphans RUN`
    assert invoke("explain", "--orphans", "1", "--db", db).stdout == result.stdout
    wrong = invoke("explain", "--orphans", "one", "--db", db)
    assert (wrong.exit_code, wrong.stdout) == (2, "")
    assert wrong.stderr == "Error: --orphans takes a run number, not 'one'\n"


# Words of SQL that no line of explain may hold (a reason says what a condition needs).
SQL_WORDS = re.compile(
    r"\b(select|from|where|case|when|then|else|end|coalesce|null|distinct|regexp\w*|"
    r"list_\w+|in \()|'\w+'|\w+\.\w+ (=|<>|is)",
    re.IGNORECASE,
)


def test_every_line_fits_a_terminal_and_holds_no_sql(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [n for (n,) in con.execute("select distinct filename from exposures").fetchall()]
    names = [n for n in names if n.startswith("jw")]
    assert len(names) > 15
    for name in names:
        result = invoke("explain", name, "--all", "--db", db)
        assert result.exit_code == 0, result.output
        for line in result.stdout.splitlines():
            assert len(line) <= 100, line
            assert not SQL_WORDS.search(line.split(": ", 1)[-1].replace(name, "")), line
    every = invoke("explain", "--orphans", "--db", db)
    assert max(len(line) for line in every.stdout.splitlines()) <= 100


def test_the_stored_reasons_agree_with_running_the_rules_again(db: Path) -> None:
    """Fidelity: every rule's verdict on every exposure, stored vs worked out again."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [n for (n,) in con.execute("select distinct filename from exposures").fetchall()]
    for name in names:
        new = explain(db, name, 1)
        old = explain_rerun.explain(db, name, 1)
        assert len(new) == len(old)
        for stored, again in zip(new, old, strict=True):
            assert [vars(m) for m in stored.memberships] == [vars(m) for m in again.memberships]
            assert (stored.exp_type, stored.left_out) == (again.exp_type, again.left_out)
            assert [(v.rule, v.uses_type) for v in stored.verdicts] == [
                (v.rule, v.uses_type) for v in again.verdicts
            ], name
            for verdict, before in zip(stored.verdicts, again.verdicts, strict=True):
                _agree(verdict, before.reason, name)


def _agree(verdict, before: str, name: str) -> None:
    where = f"{name}, {verdict.rule}"
    if verdict.condition_at is None:
        # eligible somewhere, or no condition failed: the same sentence
        assert verdict.reason == before, where
        return
    # the rerun found the same condition (the same words), with the values it read
    assert before.startswith(verdict.condition), (where, before, verdict.condition)


def test_a_run_recorded_before_0009_is_explained_by_running_it_again(db: Path) -> None:
    stored = invoke("explain", "jw_00006", "--db", db)
    with duckdb.connect(str(db)) as con:
        for table in ("explain_verdicts", "explain_conditions", "explain_rules"):
            con.execute(f"delete from {table}")
    again = invoke("explain", "jw_00006", "--db", db)
    assert again.exit_code == 0, again.output
    assert again.stderr == (
        "Warning: run 1 was recorded before asnsql stored why (migration 0009): its work was "
        "done again, slowly; generate again for a quick explain\n"
    )
    assert again.stdout.splitlines()[:3] == stored.stdout.splitlines()[:3]
    orphans = invoke("explain", "--orphans", "--db", db)
    assert (orphans.exit_code, orphans.stdout) == (2, "")
    assert orphans.stderr.startswith("Error: run 1 was recorded before asnsql stored why")


def test_deleting_a_run_deletes_what_it_stored_for_explain(db: Path) -> None:
    assert invoke("runs", "--delete", "1", "--db", db).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        left = con.execute(
            "select (select count(*) from explain_verdicts) + (select count(*) from "
            "explain_conditions) + (select count(*) from explain_rules)"
        ).fetchone()
    assert left == (0,)


def test_a_rule_found_by_name_has_its_conditions_stored_in_words(db: Path) -> None:
    rule = find_rule("lv3_spec_aux")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select condition_no, words, columns from explain_conditions "
            "where run_id = 1 and rule = $rule order by select_no, condition_no",
            {"rule": rule.name},
        ).fetchall()
    assert rows[2:4] == [
        (2, "needs bkgdtarg = t", ["bkgdtarg"]),
        (3, "needs exp_type one of mir_lrs-fixedslit, nrs_fixedslit", ["exp_type"]),
    ]
