"""`asnsql generate`, `rules`, `render` and `explain` from the command line."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from conftest import EXPECTED, POOLS
from typer.testing import CliRunner

from asn_sql.cli import main as cli

runner = CliRunner()
POOL = POOLS / "jw09505_20251216t202003_pool.csv"


def invoke(*args: str):
    return runner.invoke(cli.app, [str(a) for a in args])


def test_generate_writes_jwsts_files_and_lists_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("generate", POOL, "--path", out, "--db", tmp_path / "asn.duckdb")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.glob("*.json"))
    assert written == sorted(p.name for p in (EXPECTED / POOL.stem).glob("*.json"))
    assert sorted(result.stdout.split()) == [str(out / name) for name in written]
    assert "wrote 10 associations (image2 4, image3 1, spec2 4, spec3 1)" in result.stderr


def test_generate_level_3_only(tmp_path: Path) -> None:
    result = invoke("generate", POOL, "--level", "3", "-p", tmp_path, "--db", tmp_path / "a.duckdb")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        "jw09505-o001_image3_00001_asn.json",
        "jw09505-o001_spec3_00001_asn.json",
    ]


def test_generate_dry_run_writes_nothing_but_records_the_run(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    result = invoke("generate", POOL, "--dry-run", "-p", tmp_path / "out", "--db", db)
    assert result.exit_code == 0, result.output
    assert "would write 10 associations" in result.stderr
    assert not list(tmp_path.glob("out/*.json"))
    runs = invoke("query", "select n_associations from runs", "--format", "csv", "--db", db)
    assert runs.stdout.split() == ["n_associations", "10"]


def test_generate_uses_the_only_loaded_pool_or_names_the_choices(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    assert invoke("load", POOL, "--db", db).exit_code == 0
    assert invoke("generate", "--dry-run", "--db", db).exit_code == 0
    assert invoke("load", POOLS / "pool_002_image_miri.csv", "--db", db).exit_code == 0
    result = invoke("generate", "--dry-run", "--db", db)
    assert result.exit_code == 2
    assert (
        "several pools are loaded" in result.stderr and "pool_002_image_miri.csv" in result.stderr
    )
    by_name = invoke("generate", "pool_002_image_miri", "--dry-run", "--db", db)
    assert by_name.exit_code == 0, by_name.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--discover", "--all-candidates"], "only one of"),
        (["-i", "o001", "--discover"], "only one of"),
        (["--level", "4"], "--level must be 2, 3 or all"),
        (["nosuchpool"], "neither a pool file nor the name of a loaded pool"),
    ],
)
def test_generate_rejects_bad_options_with_one_line(
    tmp_path: Path, args: list[str], words: str
) -> None:
    result = invoke("generate", *args, "--dry-run", "--db", tmp_path / "a.duckdb")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and words in lines[0]
    assert "Traceback" not in result.output


def test_generate_version_id_goes_into_file_names_lower_cased(tmp_path: Path) -> None:
    result = invoke(
        "generate", POOL, "--version-id", "MyTag_1", "-p", tmp_path, "--db", tmp_path / "a.duckdb"
    )
    assert result.exit_code == 0, result.output
    names = [p.name for p in tmp_path.glob("*.json")]
    assert names and all(
        re.fullmatch(r"jw09505-o001_mytag_1_\w+_\d{5}_asn\.json", n) for n in names
    )
    doc = json.loads((tmp_path / "jw09505-o001_mytag_1_image3_00001_asn.json").read_text())
    assert doc["version_id"] == "MyTag_1"


def test_a_bare_version_id_means_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = [
        "asnsql",
        "generate",
        str(POOL),
        "--version-id",
        "-p",
        str(tmp_path),
        "--db",
        str(tmp_path / "a.duckdb"),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        cli.run()
    assert stop.value.code == 0
    names = [p.name for p in tmp_path.glob("*.json")]
    assert names and all(re.search(r"_\d{8}t\d{6}_", n) for n in names)


def test_several_ids_after_one_flag_are_all_taken() -> None:
    assert cli._expand_argv(["generate", "-i", "o001", "c1000", str(POOL)]) == [
        "generate",
        "-i",
        "o001",
        "-i",
        "c1000",
        str(POOL),
    ]


def test_rules_lists_every_rule_of_both_levels() -> None:
    result = invoke("rules", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = result.stdout.strip().splitlines()[1:]
    assert len([r for r in rows if r.startswith("2,")]) == 22
    assert len([r for r in rows if r.startswith("3,")]) == 22
    assert "3,Asn_Lv3Image,image3,sql/rules/level3/lv3_image.sql" in rows


def test_render_prints_a_rules_sql_and_rejects_unknown_names() -> None:
    result = invoke("render", "lv3_image")
    assert result.exit_code == 0, result.output
    assert "-- rule:      Asn_Lv3Image" in result.stdout and "from scope_exposures" in result.stdout
    unknown = invoke("render", "lv9_nothing")
    assert unknown.exit_code == 2 and "no rule named 'lv9_nothing'" in unknown.stderr


def test_explain_names_the_association_of_a_member_and_why_others_did_not_take_it(
    generated_db,
) -> None:
    db = generated_db(POOL.name)  # `generate POOL --dry-run`, run once a session
    result = invoke("explain", "jw09505001001_02101_00001_mirimage_cal.fits", "--all", "--db", db)
    assert result.exit_code == 0, result.output
    assert (
        "in jw09505-o001_image3_00001_asn: science of jw09505-o001_t001_miri_f560w (Asn_Lv3Image)"
        in result.stdout
    )
    assert (
        "not Asn_Lv3WFSSMIR: needs exp_type = mir_wfss (here exp_type = mir_image)" in result.stdout
    )


def test_explain_of_an_unknown_exposure_is_one_error_line(generated_db) -> None:
    db = generated_db(POOL.name)
    result = invoke("explain", "jw_99999", "--db", db)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: no exposure named like 'jw_99999' in the pool of run 1"
    ]
