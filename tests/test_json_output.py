"""--format json: each command's one JSON document on stdout, its keys as docs/commands.md
lists them ("JSON output"), its values as the database holds them, its exit code as the
text form's."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import BAD, EXPECTED, POOLS, query_rows
from typer.testing import CliRunner

from asn_sql.cli.main import app
from asn_sql.values import document_json

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
JSON_SECTION = (ROOT / "docs" / "commands.md").read_text().split("\n## JSON output\n", 1)[1]
POOL_010 = "pool_010_spec_nirspec_lv2bkg.csv"
POOL_018 = "pool_018_all_exptypes.csv"


def asnsql(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def as_json(result: Any, code: int = 0) -> dict[str, Any]:
    """The one document a command printed on stdout (json.loads refuses anything more)."""
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


# The documentation's tables: key path -> type, for each command (runs has two). An object
# "with the keys of `diff -f json` but `warnings`" has diff's keys under it.
def documented(command: str, part: int = 0) -> dict[str, str]:
    section = re.search(rf"^### `{command} -f json`\n(.*?)(?=^### |\Z)", JSON_SECTION, re.M | re.S)
    assert section, f"no JSON keys documented for {command}"
    tables = section.group(1).split("With `--delete`:")
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+?) \| ([^\n]*)\|$", tables[part], re.M)
    found = {}
    for path, kind, meaning in rows:
        found[path] = kind
        if "with the keys of `diff -f json` but `warnings`" in meaning:
            diff = documented("diff")
            found.update({f"{path}.{key}": t for key, t in diff.items() if key != "warnings"})
    return found


_TYPES = {
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "map": lambda v: isinstance(v, dict),
    "array of strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "array of numbers": lambda v: isinstance(v, list) and all(_TYPES["number"](x) for x in v),
    "array of objects": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
}


def key_types(document: dict[str, Any], maps: set[str], prefix: str = "") -> dict[str, Any]:
    """Every key path of ``document`` with its value (each array item's, for ``a[].b``);
    a map's keys are data, not paths."""
    found: dict[str, Any] = {}
    for key, value in document.items():
        path = prefix + key
        found.setdefault(path, []).append(value)
        if path in maps:
            continue
        nested = [value] if isinstance(value, dict) else []
        nested += (
            [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
        )
        inner = path + ("." if isinstance(value, dict) else "[].")
        for item in nested:
            for sub, values in key_types(item, maps, inner).items():
                found.setdefault(sub, []).extend(values)
    return found


def assert_documented(document: dict[str, Any], command: str, part: int = 0) -> None:
    """The document's keys are the documented ones (all at the top; nested ones as far as
    its arrays have items), each value of the documented type."""
    docs = documented(command, part)
    maps = {path for path, kind in docs.items() if kind == "map"}
    found = key_types(document, maps)
    assert set(document) == {path for path in docs if "." not in path and "[]" not in path}
    assert set(found) <= set(docs), set(found) - set(docs)
    for path, values in found.items():
        kinds = docs[path].split(" or ")
        for value in values:
            assert any(_TYPES[kind](value) for kind in kinds), (path, value, docs[path])


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A database with run 1 of pool_010 written to out/ and run 2 of pool_018 (a dry
    run), each made by generate -f json."""
    folder = tmp_path_factory.mktemp("json")
    db = folder / "asn.duckdb"
    first = asnsql("generate", POOLS / POOL_010, "-p", folder / "out", "-f", "json", "--db", db)
    second = runner.invoke(
        app, ["generate", str(POOLS / POOL_018), "--dry-run", "--format", "json", "--db", str(db)]
    )
    return {"db": db, "out": folder / "out", 1: first, 2: second}


def test_generate_prints_the_run_as_the_database_holds_it(made: dict[str, Any]) -> None:
    db = made["db"]
    for run_id, pool, dry_run in ((1, POOL_010, False), (2, POOL_018, True)):
        doc = as_json(made[run_id])
        assert_documented(doc, "generate")
        ((pool_id, n_associations, levels),) = query_rows(
            db, f"select pool_id, n_associations, levels from runs where run_id = {run_id}"
        )
        by_type = dict(
            query_rows(
                db,
                f"select asn_type, count(*) from associations where run_id = {run_id} "
                "group by asn_type order by asn_type",
            )
        )
        ((n_orphans,),) = query_rows(db, f"select count(*) from orphans where run_id = {run_id}")
        names = query_rows(
            db, f"select name from associations where run_id = {run_id} order by asn_no"
        )
        # the files in the order written, which is the run's order
        files = [] if dry_run else [str(made["out"] / f"{name}.json") for (name,) in names]
        # the warnings are those printed for people, on stderr
        warnings = [
            line.removeprefix("Warning: ")
            for line in made[run_id].stderr.splitlines()
            if line.startswith("Warning: ")
        ]
        assert {**doc, "timings": None, "by_type": dict(sorted(doc["by_type"].items()))} == {
            "run_id": run_id,
            "pool_id": pool_id,
            "pool": pool,
            "levels": levels,
            "dry_run": dry_run,
            "n_associations": n_associations,
            "by_type": by_type,
            "n_orphans": n_orphans,
            "files": files,
            "warnings": warnings,
            "timings": None,
        }
        assert list(doc["timings"]) == [
            "scopes", "rules", "finalize", "store", "orphans", "explain", "documents", "write"
        ]  # fmt: skip
    assert sorted(doc_files := as_json(made[1])["files"]) == sorted(
        str(p) for p in made["out"].glob("*.json")
    )
    assert len(doc_files) == 19
    # people still get the summary line on stderr
    assert made[2].stderr.strip().endswith("29 exposures in no association (asnsql orphans 2)")


def test_generate_fails_as_the_text_form_does(made: dict[str, Any], tmp_path: Path) -> None:
    for form in ("text", "json"):
        missing = asnsql("generate", tmp_path / "no_such.csv", "-f", form, "--db", made["db"])
        assert missing.exit_code == 2
        assert missing.stdout == ""
        assert missing.stderr.startswith("Error: ")
    wrong = asnsql("generate", POOLS / POOL_010, "-f", "csv", "--db", made["db"])
    assert wrong.exit_code == 2 and "'csv' is not one of 'text', 'json'" in wrong.stderr


def test_runs_lists_each_run_with_the_columns_of_the_table(made: dict[str, Any]) -> None:
    doc = as_json(asnsql("runs", "-f", "json", "--db", made["db"]))
    assert_documented(doc, "runs")
    rows = query_rows(
        made["db"],
        "select r.run_id, p.name, strftime(r.started_at, '%Y-%m-%d %H:%M:%S'), r.levels, "
        "r.mode, r.n_associations, (select count(*) from orphans as o where o.run_id = r.run_id) "
        "from runs as r join pools as p using (pool_id) order by r.run_id",
    )
    keys = ["run_id", "pool", "started_at", "levels", "mode", "associations", "orphans"]
    assert doc == {"runs": [dict(zip(keys, row, strict=True)) for row in rows]}


def test_runs_delete_says_what_it_deleted(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    assert (
        asnsql("generate", POOLS / "pool_002_image_miri.csv", "--dry-run", "--db", db).exit_code
        == 0
    )
    doc = as_json(asnsql("runs", "--delete", "1", "-f", "json", "--db", db))
    assert_documented(doc, "runs", part=1)
    assert doc == {"deleted": [{"run_id": 1, "n_associations": 9}]}
    assert query_rows(db, "select count(*) from runs") == [(0,)]
    again = asnsql("runs", "--delete", "1", "-f", "json", "--db", db)
    assert (again.exit_code, again.stdout) == (2, "")
    assert again.stderr.strip() == "Error: there is no run 1 (asnsql runs lists them)"


def test_orphans_are_those_of_the_database(made: dict[str, Any]) -> None:
    doc = as_json(asnsql("orphans", "-f", "json", "--db", made["db"]))
    assert_documented(doc, "orphans")
    rows = query_rows(
        made["db"],
        "select filename, exp_type, reason from orphans where run_id = 2 order by row_no",
    )
    assert len(rows) == 29
    keys = ["filename", "exp_type", "reason"]
    assert doc == {"run_id": 2, "orphans": [dict(zip(keys, row, strict=True)) for row in rows]}
    assert as_json(asnsql("orphans", "1", "-f", "json", "--db", made["db"]))["run_id"] == 1
    missing = asnsql("orphans", "7", "-f", "json", "--db", made["db"])
    assert (missing.exit_code, missing.stdout) == (2, "")


def test_explain_carries_what_the_text_says(made: dict[str, Any]) -> None:
    from asn_sql.tools.explain import explain

    for name, run in (("jw_00002", "2"), ("jw_00001", "1")):
        doc = as_json(asnsql("explain", name, "--run", run, "-f", "json", "--db", made["db"]))
        assert_documented(doc, "explain")
        found = explain(made["db"], name, int(run))
        expected = [dataclasses.asdict(item) for item in found]
        for item in expected:
            item.pop("warnings")
            for verdict in item["verdicts"]:  # tuples become objects in JSON
                verdict["dropped"] = [{"scope": a, "why": b} for a, b in verdict["dropped"]]
                at = verdict["condition_at"]
                verdict["condition_at"] = at and {"select_no": at[0], "condition_no": at[1]}
        assert doc == {"exposures": expected, "warnings": []}
        # its memberships are the members table's
        (exposure,) = doc["exposures"]
        held = query_rows(
            made["db"],
            "select a.name, m.exptype from members as m join associations as a "
            f"using (run_id, asn_no) where m.run_id = {run} and m.row_no = {exposure['row_no']} "
            "order by a.name",
        )
        assert [(m["association"], m["exptype"]) for m in exposure["memberships"]] == held
    text = asnsql("explain", "jw_00001", "--run", "1", "--db", made["db"])
    assert text.stdout.count("\n  in ") == len(held) > 0
    missing = asnsql("explain", "jw_99999", "-f", "json", "--db", made["db"])
    assert (missing.exit_code, missing.stdout) == (2, "")


def test_explain_orphans_carries_every_orphan_of_the_run(made: dict[str, Any]) -> None:
    from asn_sql.tools.explain import explain_orphans

    doc = as_json(asnsql("explain", "--orphans", "2", "-f", "json", "--db", made["db"]))
    assert_documented(doc, "explain --orphans")
    run_id, found = explain_orphans(made["db"], 2)
    assert doc == {"run_id": run_id, "orphans": [dataclasses.asdict(o) for o in found]}
    orphans = query_rows(made["db"], "select filename from orphans where run_id = 2")
    assert sorted(o["filename"] for o in doc["orphans"]) == sorted(r[0] for r in orphans) != []


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=4))


def _members(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["products"][0]["members"]


def test_diff_lists_every_kind_of_change(tmp_path: Path) -> None:
    old, new = EXPECTED / "pool_010_spec_nirspec_lv2bkg", tmp_path / "new"
    shutil.copytree(old, new)
    (new / "jw99009-o004_image2_00004_asn.json").unlink()
    (new / "jw99009-o003_spec3_00001_asn.json").rename(new / "jw99009-o003_spec3_00009_asn.json")
    shutil.copy(
        old / "jw99009-o003_image2_00001_asn.json", new / "jw99009-o003_image2_00009_asn.json"
    )
    _edit(new / "jw99009-o003_image2_00009_asn.json", lambda d: _members(d).__setitem__(
        slice(None), [{"expname": "jw_new_cal.fits", "exptype": "science"}]
    ))  # fmt: skip

    def c1000(d: dict[str, Any]) -> None:
        _members(d)[2]["exptype"] = "science"
        _members(d).pop(3)
        _members(d).append({"expname": "jw_extra_cal.fits", "exptype": "science"})
        d["target"] = "t002"
        d["products"][0]["name"] = "renamed"

    _edit(new / "jw99009-c1000_spec3_00001_asn.json", c1000)
    moved = _members(json.loads((old / "jw99009-o001_spec3_00001_asn.json").read_text()))[1]
    _edit(new / "jw99009-o001_spec3_00001_asn.json", lambda d: _members(d).pop(1))
    _edit(new / "jw99009-o002_spec3_00001_asn.json", lambda d: _members(d).append(moved))
    (new / "notes.json").write_text('{"not": "an association"}')
    result = asnsql("diff", old, new, "-f", "json")
    doc = as_json(result, code=1)
    assert_documented(doc, "diff")
    # every documented key is there: this diff has one of each finding (orphans are
    # compared between runs: test_changes_carries_the_report_diff_gives_of_the_two_runs)
    between_runs = ("orphaned[].", "adopted[].")
    assert set(key_types(doc, {"x"})) == {
        key for key in documented("diff") if not key.startswith(between_runs)
    }
    unchanged = sorted(
        p.name
        for p in old.glob("*.json")
        if p.name
        not in {
            "jw99009-o004_image2_00004_asn.json",
            "jw99009-o003_spec3_00001_asn.json",
            "jw99009-c1000_spec3_00001_asn.json",
            "jw99009-o001_spec3_00001_asn.json",
            "jw99009-o002_spec3_00001_asn.json",
        }
    )
    assert doc == {
        "equal": False,
        "counts": {
            "same": 14,
            "renamed": 1,
            "changed": 3,
            "removed": 1,
            "added": 1,
            "orphaned": 0,
            "adopted": 0,
        },
        "same": [{"old": name, "new": name} for name in unchanged],
        "renamed": [
            {"old": "jw99009-o003_spec3_00001_asn.json", "new": "jw99009-o003_spec3_00009_asn.json"}
        ],
        "removed": [
            {
                "file": "jw99009-o004_image2_00004_asn.json",
                "asn_type": "image2",
                "asn_rule": "candidate_Asn_Lv2ImageNonScience",
                "asn_id": "o004",
                "n_members": 1,
            }
        ],
        "added": [
            {
                "file": "jw99009-o003_image2_00009_asn.json",
                "asn_type": "image2",
                "asn_rule": "candidate_Asn_Lv2ImageNonScience",
                "asn_id": "o003",
                "n_members": 1,
            }
        ],
        "changed": [
            {
                "old": "jw99009-c1000_spec3_00001_asn.json",
                "new": "jw99009-c1000_spec3_00001_asn.json",
                "similarity": pytest.approx(4 / 8),
                "fields": [{"field": "target", "old": "t001", "new": "t002"}],
                "products": [
                    "product name: 'jw99009-c1000_t001-{source_id}_nirspec_f100lp-g140m-"
                    "{slit_name}-s200a2' -> 'renamed'"
                ],
                "roles": [
                    {"expname": "jw_00007_cal.fits", "old": "target_acquisition", "new": "science"}
                ],
                "moved_out": [],
                "moved_in": [],
                "removed": [{"expname": "jw_00008_cal.fits", "exptype": "target_acquisition"}],
                "added": [{"expname": "jw_extra_cal.fits", "exptype": "science"}],
            },
            {
                "old": "jw99009-o001_spec3_00001_asn.json",
                "new": "jw99009-o001_spec3_00001_asn.json",
                "similarity": pytest.approx(0.5),
                "fields": [],
                "products": [],
                "roles": [],
                "moved_out": [
                    {
                        "expname": moved["expname"],
                        "exptype": moved["exptype"],
                        "to": "jw99009-o002_spec3_00001_asn.json",
                    }
                ],
                "moved_in": [],
                "removed": [],
                "added": [],
            },
            {
                "old": "jw99009-o002_spec3_00001_asn.json",
                "new": "jw99009-o002_spec3_00001_asn.json",
                "similarity": pytest.approx(2 / 3),
                "fields": [],
                "products": [],
                "roles": [],
                "moved_out": [],
                "moved_in": [
                    {
                        "expname": moved["expname"],
                        "exptype": moved["exptype"],
                        "from": "jw99009-o001_spec3_00001_asn.json",
                    }
                ],
                "removed": [],
                "added": [],
            },
        ],
        "orphans_compared": False,
        "orphaned": [],
        "adopted": [],
        "warnings": [f"{new / 'notes.json'}: skipped, not an association"],
    }
    # the text form: the same exit code and count line
    text = asnsql("diff", old, new)
    assert text.exit_code == 1
    assert text.stderr.splitlines()[-1] == result.stderr.splitlines()[-1]
    assert result.stderr.splitlines()[-1] == "14 same, 1 renamed, 3 changed, 1 removed, 1 added"


def test_diff_of_a_run_with_its_files_is_equal_and_exits_0(made: dict[str, Any]) -> None:
    doc = as_json(asnsql("diff", "1", made["out"], "-f", "json", "--db", made["db"]))
    assert_documented(doc, "diff")
    files = as_json(made[1])["files"]
    assert doc["equal"] is True and doc["counts"]["same"] == len(files)
    assert sorted(pair["new"] for pair in doc["same"]) == sorted(Path(f).name for f in files)
    missing = asnsql("diff", "9", made["out"], "-f", "json", "--db", made["db"])
    assert (missing.exit_code, missing.stdout) == (2, "")


def test_validate_prints_each_files_errors_and_exits_as_the_text_form(tmp_path: Path) -> None:
    good = EXPECTED / "pool_010_spec_nirspec_lv2bkg" / "jw99009-o001_spec3_00001_asn.json"
    bad = tmp_path / 'b\u00e4d "one"_asn.json'
    _edit_to(good, bad, lambda d: _members(d)[1].pop("expname"))
    doc = as_json(asnsql("validate", good, "-f", "json"))
    assert_documented(doc, "validate")
    assert doc == {
        "n_files": 1,
        "n_invalid": 0,
        "files": [{"file": str(good), "valid": True, "errors": []}],
    }
    both = asnsql("validate", good, bad, "-f", "json")
    error = f"{bad}: $.products[0].members[1]: 'expname' is a required property"
    assert as_json(both, code=2) == {
        "n_files": 2,
        "n_invalid": 1,
        "files": [
            {"file": str(good), "valid": True, "errors": []},
            {"file": str(bad), "valid": False, "errors": [error]},
        ],
    }
    assert both.stderr.strip() == "Error: 1 of 2 files invalid"
    text = asnsql("validate", good, bad)
    assert (text.exit_code, text.stdout, text.stderr) == (2, error + "\n", both.stderr)


def _edit_to(source: Path, target: Path, change: Any) -> None:
    shutil.copy(source, target)
    _edit(target, change)


def test_batch_prints_each_pool_in_the_order_given(tmp_path: Path) -> None:
    db, out = tmp_path / "a.duckdb", tmp_path / "out"
    pools = [POOLS / "pool_002_image_miri.csv", BAD / "not_utf8.csv"]
    first = asnsql("batch", *pools, "-p", out, "--workers", "1", "-f", "json", "--db", db)
    doc = as_json(first, code=1)
    assert_documented(doc, "batch")
    ((run_id, by_type),) = [
        (
            run,
            dict(
                query_rows(
                    db,
                    f"select asn_type, count(*) from associations where run_id = {run} group by 1",
                )
            ),
        )
        for (run,) in query_rows(db, "select run_id from runs")
    ]
    (error_line,) = [line for line in first.stderr.splitlines() if line.startswith("Error: ")]
    assert doc == {
        "done": 1,
        "skipped": 0,
        "failed": 1,
        "n_associations": 9,
        "by_type": by_type,
        "pools": [
            {
                "source": str(pools[0]),
                "status": "done",
                "folder": str(out / "pool_002_image_miri"),
                "run_id": run_id,
                "by_type": by_type,
                "warnings": [],
                "error": None,
            },
            {
                "source": str(pools[1]),
                "status": "failed",
                "folder": None,
                "run_id": None,
                "by_type": {},
                "warnings": [],
                "error": error_line.removeprefix("Error: "),
            },
        ],
    }
    again = as_json(
        asnsql("batch", pools[0], "-p", out, "--workers", "1", "-f", "json", "--db", db)
    )
    assert again["pools"] == [{**doc["pools"][0], "status": "skipped", "by_type": {}}]
    assert (again["done"], again["skipped"], again["failed"]) == (0, 1, 0)


OLD_9505, NEW_9505 = "jw09505_20251216t202003_pool.csv", "jw09505_20251219t041512_pool.csv"
DARK = "jw09505001004_02101_00001_mirimage_uncal.fits"
DARK_REASON = (
    "no rule took an exposure of EXP_TYPE mir_darkimg in this run (asnsql explain gives "
    "each rule's first failed condition)"
)


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with two versions of program 9505, run 1 of the older, run 2 of the newer."""
    db = tmp_path_factory.mktemp("versions") / "asn.duckdb"
    for pool in (OLD_9505, NEW_9505):
        made = asnsql("generate", POOLS / pool, "--dry-run", "--db", db)
        assert made.exit_code == 0, made.output
    return db


def test_changes_carries_the_report_diff_gives_of_the_two_runs(versions: Path) -> None:
    result = asnsql("changes", "jw09505", "-f", "json", "--db", versions)
    doc = as_json(result, code=1)
    assert_documented(doc, "changes")
    assert {key: value for key, value in doc.items() if key != "report"} == {
        "program": "jw09505",
        "pool": NEW_9505,
        "run_id": 2,
        "previous": OLD_9505,
        "previous_run_id": 1,
        "warnings": [],
    }
    report = doc["report"]
    assert report["counts"] == {
        "same": 5,
        "renamed": 4,
        "changed": 1,
        "removed": 0,
        "added": 2,
        "orphaned": 1,
        "adopted": 0,
    }
    assert (report["equal"], report["orphans_compared"]) == (False, True)
    assert report["orphaned"] == [
        {"filename": DARK, "exp_type": "mir_darkimg", "associations": [], "reason": DARK_REASON}
    ]
    # diff of the same two runs says the same, and its text the same count line
    diff = as_json(asnsql("diff", "1", "2", "-f", "json", "--db", versions), code=1)
    assert diff == {**report, "warnings": []}
    assert (
        result.stderr.splitlines()[-1]
        == asnsql("changes", "jw09505", "--db", versions).stderr.splitlines()[-1]
    )


def test_impact_carries_each_pools_report(versions: Path) -> None:
    darks = ROOT / "fixtures" / "rules" / "darks"
    result = asnsql("impact", "-r", darks, "--workers", "1", "-f", "json", "--db", versions)
    doc = as_json(result, code=1)
    assert_documented(doc, "impact")
    dark3 = "jw09505-o001_dark3_00001_asn.json"
    counts = {"same": 22, "renamed": 0, "changed": 0, "removed": 0, "added": 1}
    assert {key: value for key, value in doc.items() if key != "pools"} == {
        "rules_dir": str(darks),
        "ignore_default": False,
        "n_pools": 2,
        "n_changed": 1,
        "n_failed": 0,
        "counts": {**counts, "orphaned": 0, "adopted": 1},
        "warnings": [],
    }
    old, new = doc["pools"]
    assert {key: value for key, value in old.items() if key != "report"} == {
        "pool": OLD_9505,
        "pool_id": 1,
        "run_id": 1,
        "would_change": False,
        "warnings": [],
        "error": None,
    }
    assert old["report"]["equal"] is True and old["report"]["counts"]["same"] == 10
    assert (new["pool"], new["run_id"], new["would_change"]) == (NEW_9505, 2, True)
    report = new["report"]
    assert (report["equal"], report["orphans_compared"]) == (False, True)
    assert report["added"] == [
        {
            "file": dark3,
            "asn_type": "dark3",
            "asn_rule": "candidate_Asn_Lv3Darks",
            "asn_id": "o001",
            "n_members": 1,
        }
    ]
    assert report["adopted"] == [
        {"filename": DARK, "exp_type": "mir_darkimg", "associations": [dark3]}
    ]
    assert (report["changed"], report["removed"], report["orphaned"]) == ([], [], [])
    # the text's count line, on stderr as without -f json
    assert result.stderr.splitlines() == [
        "2 pools: 1 would change, 1 unchanged; 22 same, 0 renamed, 0 changed, 0 removed, "
        "1 added, 0 orphaned, 1 no longer orphans"
    ]


def test_every_command_with_json_takes_dash_f() -> None:
    commands = ("generate", "batch", "diff", "changes", "impact", "explain", "validate")
    for command in (*commands, "runs", "orphans"):
        help_text = asnsql(command, "--help").stdout
        assert re.search(r"-f, --format \[(text|table)\|", help_text), command


def test_a_document_is_strict_json_and_keeps_values_as_data() -> None:
    value = {
        "nan": math.nan,
        "inf": [math.inf, -1.5],
        "path": Path("a/b\u00e9.json"),
        "text": 'x"; DROP TABLE exposures; --\n\x1b[31m',
        "empty": {"list": [], "map": {}},
    }
    text = document_json(value)
    assert json.loads(text) == {
        "nan": None,
        "inf": [None, -1.5],
        "path": "a/b\u00e9.json",
        "text": 'x"; DROP TABLE exposures; --\n\x1b[31m',
        "empty": {"list": [], "map": {}},
    }
    assert "NaN" not in text and "Infinity" not in text and "\x1b" not in text
