"""asnsql diff: pairing associations by content, and what it reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXPECTED, POOLS
from typer.testing import CliRunner

from asn_sql.api import generate_documents
from asn_sql.cli.main import app
from asn_sql.engine.run import GenerateOptions
from asn_sql.tools.diff import (
    RunExposures,
    diff_documents,
    read_directory,
    report_lines,
    summary_line,
)

runner = CliRunner()
POOL_010 = EXPECTED / "pool_010_spec_nirspec_lv2bkg"


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=4))


def _members(data: dict) -> list[dict]:
    return data["products"][0]["members"]


def _modified_copy(source: Path, target: Path) -> Path:
    """``source`` with one association removed, one renamed, one member's role changed and
    one member moved to another association."""
    shutil.copytree(source, target)
    (target / "jw99009-o004_image2_00004_asn.json").unlink()
    (target / "jw99009-o003_spec3_00001_asn.json").rename(
        target / "jw99009-o003_spec3_00009_asn.json"
    )
    _edit(
        target / "jw99009-c1000_spec3_00001_asn.json",
        lambda d: _members(d)[2].update(exptype="science"),
    )
    moved = _members(json.loads((target / "jw99009-o001_spec3_00001_asn.json").read_text()))[1]
    _edit(target / "jw99009-o001_spec3_00001_asn.json", lambda d: _members(d).pop(1))
    _edit(target / "jw99009-o002_spec3_00001_asn.json", lambda d: _members(d).append(moved))
    return target


def test_diff_counts_what_the_conformance_checker_counts(tmp_path: Path) -> None:
    new = _modified_copy(POOL_010, tmp_path / "new")
    report = diff_documents(read_directory(POOL_010)[0], read_directory(new)[0])
    # compare.py on the same two folders: 14/19 exact, 1 missing, 0 extra, 4 differ.
    assert report.counts() == {"exact": 14, "differ": 4, "missing": 1, "extra": 0}
    assert [(c.old, c.new) for c in report.renamed] == [
        ("jw99009-o003_spec3_00001_asn.json", "jw99009-o003_spec3_00009_asn.json")
    ]
    assert [a.file for a in report.removed] == ["jw99009-o004_image2_00004_asn.json"]


def test_diff_prints_roles_moves_and_removals(tmp_path: Path) -> None:
    new = _modified_copy(POOL_010, tmp_path / "new")
    result = runner.invoke(app, ["diff", str(POOL_010), str(new)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "member jw_00007_cal.fits: role target_acquisition -> science" in "\n".join(lines)
    assert any(
        "jw_00002_cal.fits (science) moved to jw99009-o002_spec3_00001_asn.json" in x for x in lines
    )
    assert any(x.startswith("removed  jw99009-o004_image2_00004_asn.json") for x in lines)
    assert "14 same, 1 renamed, 3 changed, 1 removed, 0 added" in result.stderr


def test_diff_of_a_folder_with_itself_is_empty_and_exits_0() -> None:
    result = runner.invoke(app, ["diff", str(POOL_010), str(POOL_010)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "19 same, 0 renamed, 0 changed, 0 removed, 0 added" in result.stderr


def test_diff_pairs_renamed_associations_with_other_fields_changed() -> None:
    old = {
        "a_asn.json": {
            "asn_type": "image3",
            "asn_rule": "x",
            "products": [{"name": "p", "members": [{"expname": "f1", "exptype": "science"}]}],
        }
    }
    new = {
        "b_asn.json": {
            "asn_type": "image3",
            "asn_rule": "y",
            "products": [{"name": "q", "members": [{"expname": "f1", "exptype": "science"}]}],
        }
    }
    (change,) = diff_documents(old, new).changes
    assert change.fields == {"asn_rule": ("x", "y"), "file": ("a_asn.json", "b_asn.json")}
    assert change.products == ["product name: 'p' -> 'q'"]


def test_diff_never_pairs_a_level_2_with_a_level_3_association() -> None:
    members = [{"expname": "f1", "exptype": "science"}]
    old = {"a.json": {"asn_type": "image2", "products": [{"name": "p", "members": members}]}}
    new = {"a.json": {"asn_type": "image3", "products": [{"name": "p", "members": members}]}}
    assert diff_documents(old, new).counts() == {"exact": 0, "differ": 0, "missing": 1, "extra": 1}


@pytest.mark.parametrize("pool", ["pool_002_image_miri", "pool_010_spec_nirspec_lv2bkg"])
def test_diff_reads_a_run_from_the_database(pool: str, db_path: Path, tmp_path: Path) -> None:
    written = tmp_path / "run"
    result = generate_documents(
        db_path,
        str(POOLS / f"{pool}.csv"),
        GenerateOptions(),
        output_dir=written,
    )
    run = str(result.summary.run_id)
    same = runner.invoke(app, ["diff", run, str(written), "--db", str(db_path)])
    assert same.exit_code == 0, same.output
    victim = sorted(written.glob("*.json"))[0]
    victim.rename(victim.with_name("renamed_asn.json"))
    changed = runner.invoke(app, ["diff", run, str(written), "--db", str(db_path)])
    assert changed.exit_code == 1, changed.output
    assert changed.stdout.startswith(f"renamed  {victim.name} -> renamed_asn.json")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["no/such/folder", str(POOL_010)], "no/such/folder: no such folder of association files"),
        (["99", str(POOL_010)], "there is no run 99"),
    ],
)
def test_diff_rejects_bad_sides_with_one_error_line(
    args: list[str], words: str, db_path: Path
) -> None:
    result = runner.invoke(app, ["diff", *args, "--db", str(db_path)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0]
    assert "Traceback" not in result.output


def test_a_renamed_association_whose_members_changed_is_changed_not_renamed() -> None:
    def asn(*names: str) -> dict:
        members = [{"expname": name, "exptype": "science"} for name in names]
        return {"asn_type": "image3", "products": [{"name": "p", "members": members}]}

    report = diff_documents(
        {"a_00001.json": asn("f1", "f2", "f3")}, {"a_00002.json": asn("f1", "f2")}
    )
    assert report.renamed == []
    assert report_lines(report) == [
        "changed  a_00001.json -> a_00002.json (similarity 0.67)",
        "    - member f3 (science)",
    ]


def test_two_runs_orphans_are_compared_by_file_name() -> None:
    old = RunExposures(
        exp_types={"e1": "mir_image", "e2": "mir_image", "e3": "mir_dark", "e4": "mir_dark"},
        holders={"e1": ("a.json",), "e2": ("a.json", "b.json")},
        reasons={"e3": "no rule", "e4": "no rule"},
    )
    new = RunExposures(
        exp_types={"e1": "mir_image", "e2": "mir_dark", "e3": "mir_image", "e5": "mir_dark"},
        holders={"e1": ("a.json",), "e3": ("c.json",)},
        reasons={"e2": "no rule now", "e5": "no rule either"},
    )
    report = diff_documents({}, {}, old, new)
    assert report_lines(report) == [
        "orphaned e2 (mir_dark), was in a.json, b.json: no rule now",
        "orphaned e5 (mir_dark), new in the pool: no rule either",
        "adopted  e3 (mir_image), now in c.json",
        "gone     e4 (mir_dark), an orphan no longer in the pool",
    ]
    assert summary_line(report) == (
        "0 same, 0 renamed, 0 changed, 0 removed, 0 added, 2 orphaned, 2 no longer orphans"
    )
    assert not report.equal
    # Without both sides' exposures (a folder), orphans are not compared.
    assert summary_line(diff_documents({}, {}, old, None)).endswith("0 added")
