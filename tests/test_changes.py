"""Pool versions: jwst's pool names as versions of a program, `asnsql changes`, and pool
names as sides of `asnsql diff`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import POOLS, file_digest, query_rows
from typer.testing import CliRunner

from asn_sql.cli.main import app

runner = CliRunner()
BASE = POOLS / "jw09505_20251216t202003_pool.csv"
OLD = "jw09505_20251216t202003_pool.csv"
NEW = "jw09505_20251220t081500_pool.csv"
DARK = "jw09505001004_02101_00001_mirimage_uncal.fits"


def _rows(text: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = text.splitlines()
    return lines, {line.split("|")[0]: line.split("|") for line in lines[1:]}


def _with(row: list[str], header: list[str], **values: str) -> str:
    cells = list(row)
    for column, value in values.items():
        cells[header.index(column.upper())] = value
    return "|".join(cells)


def make_versions(folder: Path) -> tuple[Path, Path]:
    """Two versions of program 9505 made from the fixture pool.

    The older has the fixture's rows and a dark (an orphan). In the newer: the dark was
    retaken as an F560W image (it joins the image3), image 1002_00002 was retaken with
    F770W (it leaves the F560W image3 for one of its own), a second image of visit 3
    arrived, WFSS exposure 02102_00004 became a dark (it leaves its spec2 and the spec3:
    an orphan) and WFSS exposure 02102_00003 was withdrawn (its spec2 goes)."""
    lines, rows = _rows(BASE.read_text())
    header = lines[0].split("|")
    visit3 = rows["jw09505001003_02101_00001_mirimage_uncal.fits"]
    dark = _with(visit3, header, filename=DARK, exp_type="MIR_DARKIMG", visit="4")
    old = folder / OLD
    old.write_text("\n".join([*lines, dark]) + "\n")
    changed = {
        "jw09505001002_02101_00002_mirimage_uncal.fits": {"filter": "F770W"},
        "jw09505001001_02102_00004_mirimage_uncal.fits": {"exp_type": "MIR_DARKIMG"},
    }
    new_lines = [lines[0]]
    for line in lines[1:]:
        name = line.split("|")[0]
        if name == "jw09505001001_02102_00003_mirimage_uncal.fits":
            continue
        new_lines.append(_with(rows[name], header, **changed[name]) if name in changed else line)
    second = "jw09505001003_02101_00002_mirimage_uncal.fits"
    new_lines.append(_with(visit3, header, filename=second, exposure="2"))
    new_lines.append(_with(visit3, header, filename=DARK, visit="4"))
    new = folder / NEW
    new.write_text("\n".join(new_lines) + "\n")
    return old, new


def asnsql(*args: object) -> object:
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture
def two_versions(tmp_path: Path) -> Path:
    """A database holding both versions, each with one run (run 1 the older's)."""
    db = tmp_path / "asn.duckdb"
    old, new = make_versions(tmp_path)
    for pool in (old, new):
        result = asnsql("generate", pool, "--dry-run", "--db", db)
        assert result.exit_code == 0, result.output
    return db


CHANGES = f"""\
renamed  jw09505-o001_image2_00001_asn.json -> jw09505-o001_image2_00003_asn.json
renamed  jw09505-o001_image2_00002_asn.json -> jw09505-o001_image2_00004_asn.json
renamed  jw09505-o001_image2_00003_asn.json -> jw09505-o001_image2_00005_asn.json
renamed  jw09505-o001_image2_00004_asn.json -> jw09505-o001_image2_00006_asn.json
renamed  jw09505-o001_spec2_00003_asn.json -> jw09505-o001_spec2_00001_asn.json
renamed  jw09505-o001_spec2_00004_asn.json -> jw09505-o001_spec2_00002_asn.json
removed  jw09505-o001_spec2_00001_asn.json (spec2, candidate_Asn_Lv2WFSSMIR, o001, 4 members)
removed  jw09505-o001_spec2_00002_asn.json (spec2, candidate_Asn_Lv2WFSSMIR, o001, 4 members)
added    jw09505-o001_image2_00001_asn.json (image2, candidate_Asn_Lv2Image, o001, 1 member)
added    jw09505-o001_image2_00002_asn.json (image2, candidate_Asn_Lv2Image, o001, 1 member)
added    jw09505-o001_image3_00001_asn.json (image3, candidate_Asn_Lv3Image, o001, 1 member)
changed  jw09505-o001_image3_00001_asn.json -> jw09505-o001_image3_00002_asn.json (similarity 0.50)
    member jw09505001002_02101_00002_mirimage_cal.fits (science) moved to jw09505-o001_image3_00001_asn.json
    + member jw09505001003_02101_00002_mirimage_cal.fits (science)
    + member jw09505001004_02101_00001_mirimage_cal.fits (science)
changed  jw09505-o001_spec3_00001_asn.json (similarity 0.50)
    - member jw09505001001_02102_00003_mirimage_cal.fits (science)
    - member jw09505001001_02102_00004_mirimage_cal.fits (science)
orphaned jw09505001001_02102_00004_mirimage_uncal.fits (mir_darkimg), was in jw09505-o001_spec2_00001_asn.json, jw09505-o001_spec3_00001_asn.json: no rule took an exposure of EXP_TYPE mir_darkimg in this run (asnsql explain gives each rule's first failed condition)
adopted  {DARK} (mir_image), now in jw09505-o001_image2_00001_asn.json, jw09505-o001_image3_00002_asn.json
"""  # noqa: E501


def test_changes_lists_what_to_reprocess_from_one_version_to_the_next(two_versions: Path) -> None:
    result = asnsql("changes", "jw09505", "--db", two_versions)
    assert result.exit_code == 1, result.output
    assert result.stdout == CHANGES
    assert result.stderr.splitlines() == [
        f"{NEW} (run 2) against {OLD} (run 1)",
        "0 same, 6 renamed, 2 changed, 2 removed, 3 added, 1 orphaned, 1 no longer orphans",
    ]
    # The newer version named in full says the same.
    assert asnsql("changes", NEW, "--db", two_versions).stdout == CHANGES


def test_the_versions_of_a_program_are_rows_of_pool_versions(two_versions: Path) -> None:
    assert query_rows(two_versions, "from pool_versions order by pool_id") == [
        (1, OLD, "jw09505", "20251216t202003", 1, 2, None, False),
        (2, NEW, "jw09505", "20251220t081500", 2, 2, 1, True),
    ]
    # Loading the newer version kept the older's run.
    assert query_rows(two_versions, "select run_id, pool_id from runs order by 1") == [
        (1, 1),
        (2, 2),
    ]


def test_an_older_version_loaded_last_is_placed_by_the_time_in_its_name(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    old, new = make_versions(tmp_path)
    result = asnsql("load", new, old, "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{NEW}: loaded 9 exposures as pool 1 (jw09505, version 2 of 2)",
        f"{OLD}: loaded 9 exposures as pool 2 (jw09505, version 1 of 2)",
    ]
    assert query_rows(
        db, "select name, version_no, previous_pool_id, newest from pool_versions order by pool_id"
    ) == [
        (NEW, 2, 2, True),
        (OLD, 1, None, False),
    ]
    listed = asnsql("pools", "--db", db, "-f", "csv").stdout.splitlines()
    assert listed[0].startswith("pool_id,name,program,version,exposures,")
    assert listed[1].startswith(f"1,{NEW},jw09505,20251220t081500,9,")


def test_a_bare_program_name_means_its_newest_version(two_versions: Path, tmp_path: Path) -> None:
    result = asnsql("generate", "jw09505", "--dry-run", "--db", two_versions)
    assert result.exit_code == 0, result.output
    assert query_rows(two_versions, "select pool_id from runs where run_id = 3") == [(2,)]


def test_diff_takes_pool_names_as_sides_their_latest_runs(two_versions: Path) -> None:
    result = asnsql("diff", OLD, "jw09505", "--db", two_versions)
    assert result.exit_code == 1, result.output
    assert result.stdout == CHANGES
    assert result.stderr.splitlines()[:2] == [f"{OLD}: run 1", "jw09505: run 2"]
    same = asnsql("diff", "2", "jw09505", "--db", two_versions)
    assert same.exit_code == 0, same.output
    assert same.stdout == ""
    assert same.stderr.splitlines()[-1] == (
        "11 same, 0 renamed, 0 changed, 0 removed, 0 added, 0 orphaned, 0 no longer orphans"
    )


def test_two_versions_with_the_same_rows_have_no_changes(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    for name in (OLD, NEW):
        (tmp_path / name).write_bytes(BASE.read_bytes())
        assert asnsql("generate", tmp_path / name, "--dry-run", "--db", db).exit_code == 0
    result = asnsql("changes", "jw09505", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "10 same, 0 renamed, 0 changed, 0 removed, 0 added, 0 orphaned, 0 no longer orphans"
    )


def test_changes_warns_when_the_runs_were_made_differently(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    old, new = make_versions(tmp_path)
    assert asnsql("generate", old, "--dry-run", "--db", db).exit_code == 0
    assert asnsql("generate", new, "--dry-run", "--level", "3", "--db", db).exit_code == 0
    result = asnsql("changes", "jw09505", "--db", db)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        "Warning: runs 1 and 2 were made with different levels, rules; "
        "some changes may come from that, not from the pool"
    )


def test_a_redelivered_file_of_a_loaded_name_still_needs_replace(two_versions: Path) -> None:
    redelivered = two_versions.parent / "again" / OLD
    redelivered.parent.mkdir()
    redelivered.write_bytes(BASE.read_bytes())
    before = file_digest(two_versions)
    refused = asnsql("load", redelivered, "--db", two_versions)
    assert refused.exit_code == 2
    assert "--replace" in refused.stderr and OLD in refused.stderr
    assert file_digest(two_versions) == before
    # The same bytes again are "already loaded".
    again = asnsql("load", two_versions.parent / NEW, "--db", two_versions)
    assert again.stderr.strip() == f"{NEW}: already loaded, unchanged (pool 2)"
    # --replace reloads the one pool and removes its runs only; the other version keeps its run.
    replaced = asnsql("load", "--replace", redelivered, "--db", two_versions)
    assert replaced.exit_code == 0, replaced.output
    assert (
        replaced.stderr.strip()
        == f"{OLD}: replaced 8 exposures as pool 3 (jw09505, version 1 of 2)"
    )
    assert query_rows(two_versions, "select run_id, pool_id from runs") == [(2, 2)]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nothing"], "'nothing' is neither a loaded pool's name nor a program's"),
        (["jw00001"], "'jw00001' is neither a loaded pool's name nor a program's"),
        (["pool_002_image_miri.csv"], "pool_002_image_miri.csv is not named as a version"),
        ([OLD], f"{OLD} is the first version of jw09505 loaded"),
    ],
)
def test_changes_refuses_with_one_error_line(
    two_versions: Path, args: list[str], words: str
) -> None:
    load = asnsql("load", POOLS / "pool_002_image_miri.csv", "--db", two_versions)
    assert load.exit_code == 0, load.output
    before = file_digest(two_versions)
    result = asnsql("changes", *args, "--db", two_versions)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], lines
    assert file_digest(two_versions) == before


def test_changes_needs_a_run_of_each_version(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    old, new = make_versions(tmp_path)
    assert asnsql("load", old, "--db", db).exit_code == 0
    assert asnsql("generate", new, "--dry-run", "--db", db).exit_code == 0
    result = asnsql("changes", "jw09505", "--db", db)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: pool {OLD} has no run yet (asnsql generate {OLD})"
