"""`asnsql explain` for people: the rules of the exposure's type first, in words, scopes
named as the candidate list names them, and the right reason for Level 2 outside
observation candidates."""

from __future__ import annotations

from typer.testing import CliRunner

from asn_sql.cli import main as cli

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(cli.app, [str(a) for a in args])


def test_explain_puts_the_rules_of_its_type_first_and_folds_the_others(generated_db) -> None:
    # `generate POOL --dry-run`, run once a session
    db = generated_db("pool_010_spec_nirspec_lv2bkg.csv")
    result = invoke("explain", "jw_00002", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "jw_00002_uncal.fits (row 2, nrs_fixedslit), run 1",
        "  in jw99009-o001_spec2_00001_asn: science of jw_00002 (Asn_Lv2SpecSpecial)",
        "  in jw99009-o001_spec3_00001_asn: science of "
        "jw99009-o001_t003_nirspec_f100lp-g140m-s200a2-s200a2",
        "      (Asn_Lv3SpecAux)",
        "  rules that take nrs_fixedslit exposures:",
        "    not Asn_Lv2NRSFSS: fails NIRSpec fixed slit: the slit, grating, filter and detector "
        "form a valid",
        "        light path (here detector = nrs2, filter = f100lp, fxd_slit = s200a2, "
        "grating = g140m)",
        "    not Asn_Lv3NRSFSS: needs a valid NIRSpec fixed-slit light path (here detector = nrs2, "
        "filter =",
        "        f100lp, fxd_slit = s200a2, grating = g140m)",
        "  40 other rules take no nrs_fixedslit exposure in this run (--all: why)",
    ]
    everything = invoke("explain", "jw_00011", "--all", "--db", db)
    lines = everything.stdout.splitlines()
    assert "  rules that take no nrs_autowave exposure in this run:" in lines
    assert (
        "    not Asn_Lv3Image: IMG: an imaging exposure type: needs exp_type one of nrc_image, "
        "mir_image,\n        nis_image, fgs_image, nrs_mimf (here exp_type = nrs_autowave)"
    ) in everything.stdout
    assert "    not Asn_Lv3NRSIFU: needs patttype set (here patttype = unset)" in lines
    assert len([line for line in lines if line.startswith("    not ")]) == 44
    # scopes as a person knows them: a bare number in ASN_CANDIDATE says so
    source = next(
        " ".join(part.split())
        for part in everything.stdout.split("\n    not ")
        if part.startswith("Asn_Lv3SpectralSource")
    )
    assert source.startswith(
        "Asn_Lv3SpectralSource: eligible as autowave in 1000 (bare number in ASN_CANDIDATE, type "
        "unknown), a3001 (discovered), c1000 (background), o003 (observation), but its "
        "association was dropped: in 1000 (bare number in ASN_CANDIDATE, type unknown), it has "
        "no science member;"
    )


def test_a_level_2_association_only_discovered_is_explained_as_jwst_keeps_it(
    generated_db,
) -> None:
    db = generated_db("jw93060_20150312T160130_pool.csv", levels=(2,))  # --level 2 --dry-run
    name = "jw93060002001_01101_00001_nrca1_image_uncal.fits"
    result = invoke("explain", name, "--db", db)
    assert result.exit_code == 0, result.output
    assert (
        "    not Asn_Lv2Image: eligible as science in a3001 (discovered), but jwst keeps Level 2 "
        "associations\n        only for observation candidates and for background candidates "
        "with a background member: none\n        in a3001 (discovered)\n"
    ) in result.stdout
    orphans = invoke("orphans", "--format", "csv", "--db", db)
    assert (
        f"{name},nrc_image,Asn_Lv2Image could use it (as science in a3001) but jwst keeps Level 2 "
        "associations only for observation candidates and background candidates with a "
        "background member"
    ) in orphans.stdout.splitlines()
