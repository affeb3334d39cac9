"""What a run leaves for people: orphans, runs, --save-orphans, the duplicate-name warning,
query --file, help and -v."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import POOLS
from typer.testing import CliRunner

from asn_sql.cli import main as cli

runner = CliRunner()
POOL = POOLS / "pool_018_all_exptypes.csv"


def invoke(*args: object, **kwargs):
    return runner.invoke(cli.app, [str(a) for a in args], **kwargs)


def test_orphans_lists_file_type_and_reason_and_the_summary_points_at_it(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    run = invoke("generate", POOL, "--dry-run", "--db", db)
    assert run.exit_code == 0, run.output
    assert run.stderr.strip().endswith("29 exposures in no association (asnsql orphans 1)")
    result = invoke("orphans", "--format", "csv", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "filename,exp_type,reason"
    assert len(lines) == 30
    assert (
        'jw_00002_uncal.fits,nrc_wfss,"Asn_Lv2WFSSNRC could use it (as science in o002) but no '
        "association of that rule kept it (nothing to join, or the rule's own checks)\""
    ) in lines
    assert (
        result.stderr.strip()
        == "run 1: 29 exposures in no association (asnsql explain FILE says more)"
    )
    assert invoke("orphans", "7", "--db", db).exit_code == 2


def test_runs_lists_and_deletes_a_run_in_one_go(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    for _ in range(2):
        assert invoke("generate", POOL, "--dry-run", "--db", db).exit_code == 0
    listed = invoke("runs", "--format", "csv", "--db", db)
    rows = listed.stdout.splitlines()
    assert rows[0] == "run_id,pool,started_at,levels,mode,associations,orphans"
    assert [row.split(",")[0] for row in rows[1:]] == ["1", "2"]
    assert rows[1].endswith(',"[2,3]",default,61,29')  # lists as JSON text
    deleted = invoke("runs", "--delete", "1", "--db", db)
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stderr.strip() == "deleted run 1 (61 associations)"
    left = invoke(
        "query",
        "--format",
        "csv",
        "--db",
        db,
        "select (select count(*) from associations where run_id = 1) "
        "+ (select count(*) from members where run_id = 1) "
        "+ (select count(*) from orphan_reasons where run_id = 1) as n, "
        "(select count(*) from runs) as runs",
    )
    assert left.stdout.splitlines() == ["n,runs", "0,1"]
    missing = invoke("runs", "--delete", "9", "--db", db)
    assert missing.exit_code == 2
    assert missing.stderr.strip() == "Error: there is no run 9 (asnsql runs lists them)"


def test_save_orphans_writes_jwsts_table_under_path_that_loads_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    db = tmp_path / "a.duckdb"
    result = runner.invoke(
        cli.app,
        cli._expand_argv(
            ["generate", str(POOL), "-p", str(out), "--db", str(db), "--save-orphans"]
        ),
    )
    assert result.exit_code == 0, result.output
    table = (out / "orphaned.csv").read_text().splitlines()
    assert table[0].startswith("filename|obs_id|program|") and table[0].endswith("|tsovisit|reason")
    assert len(table) == 30
    assert table[2].startswith("jw_00002_uncal.fits|v99009003001p0000000002102|99009|")
    named = invoke("generate", POOL, "-p", out, "--db", db, "--save-orphans", "left.csv")
    assert (
        named.exit_code == 0
        and (out / "left.csv").read_text() == (out / "orphaned.csv").read_text()
    )
    loaded = invoke("load", out / "left.csv", "--db", tmp_path / "b.duckdb")
    assert loaded.exit_code == 0, loaded.output
    assert "left.csv: loaded 29 exposures" in loaded.stderr
    dry = invoke(
        "generate", POOL, "-p", tmp_path / "dry", "--db", db, "--dry-run", "--save-orphans", "x.csv"
    )
    assert dry.exit_code == 0 and not (tmp_path / "dry").exists()


def test_two_associations_with_one_product_name_and_other_members_warn_as_jwst(
    tmp_path: Path,
) -> None:
    result = invoke(
        "generate",
        POOLS / "jw00632_dups.csv",
        "--all-candidates",
        "--dry-run",
        "--db",
        tmp_path / "a.db",
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        "Warning: jw00632-o003_wfs-image3_00001_asn.json and "
        "jw00632-o003_wfs-image3_00002_asn.json "
        "have the same product name jw00632-o003_t001_nircam_f212n-wlp8-nrca1_{suffix}-05 but "
        "significant differences (members only in the first: jw00632003002_03105_00001_nrca1 "
        "(science), jw00632003002_03105_00002_nrca1 (science); only in the second: "
        "jw00632003001_03105_00001_nrca1 (science), jw00632003001_03105_00002_nrca1 (science))"
    ]


def test_query_reads_sql_from_a_file_or_stdin(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    assert invoke("load", POOL, "--db", db).exit_code == 0
    sql = tmp_path / "q.sql"
    sql.write_text("select count(*) as n\nfrom exposures\n")
    by_file = invoke("query", "--file", sql, "--format", "csv", "--db", db)
    assert by_file.stdout.splitlines() == ["n", "75"]
    by_stdin = invoke("query", "-", "--format", "csv", "--db", db, input="select 1 as one")
    assert by_stdin.stdout.splitlines() == ["one", "1"]
    both = invoke("query", "select 1", "--file", sql, "--db", db)
    assert both.exit_code == 2 and "not both" in both.stderr
    empty = invoke("query", "--file", "-", "--db", db, input="  \n")
    assert empty.exit_code == 2 and empty.stderr.strip() == "Error: no SQL given: the text is empty"


def test_tables_keep_names_whole_and_fold_rows_too_wide(generated_db) -> None:
    db = generated_db(POOL.name)  # `generate POOL --dry-run`, run once a session
    narrow = invoke("query", "--db", db, "select name from associations order by name desc limit 1")
    assert "jw99009-o064_image2_00001_asn" in narrow.stdout
    wide = invoke("query", "--db", db, "from orphans where filename = 'jw_00002_uncal.fits'")
    assert wide.stdout.startswith("-[ row 1 ]-\n")
    assert "filename       jw_00002_uncal.fits" in wide.stdout


def test_help_names_values_without_python_types() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asn_sql", "generate", "-h"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout and "<list[str]>" not in result.stdout
    assert "<str>" not in result.stdout
    assert "-r, --rules DIR" in result.stdout and "--save-orphans [FILE]" in result.stdout


def test_verbose_times_every_phase_writing_included(tmp_path: Path) -> None:
    result = invoke("generate", POOL, "-v", "-p", tmp_path / "out", "--db", tmp_path / "a.db")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stderr.splitlines() if x.startswith("timings: "))
    phases = [part.split()[0] for part in line.removeprefix("timings: ").split(", ")]
    assert phases == [
        "scopes",
        "rules",
        "finalize",
        "store",
        "orphans",
        "explain",
        "documents",
        "write",
    ]


def test_progress_says_the_phase_and_counts(tmp_path: Path) -> None:
    from asn_sql.api import generate_documents
    from asn_sql.engine.run import GenerateOptions

    heard: list[str] = []
    result = generate_documents(
        tmp_path / "a.duckdb",
        str(POOLS / "pool_002_image_miri.csv"),
        GenerateOptions(),
        output_dir=tmp_path / "out",
        progress=heard.append,
    )
    n = len(result.documents)
    assert heard == [
        "Level 2: 22 rules (0 of 44 rules done)",
        "Level 3: 22 rules (22 of 44 rules done)",
        "finalizing (44 of 44 rules done)",
        "finding why exposures are in no association",
        f"checking {n} documents",
        f"writing files {n}/{n}",  # documents go out a batch of 10,000 at a time
    ]
