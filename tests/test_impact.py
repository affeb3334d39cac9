"""`asnsql impact`: each pool's latest run made again with a rule folder, compared with the run
kept, and nothing written: the database keeps its bytes and no file appears."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, POOLS, cpu_seconds, file_digest, wait_until
from typer.testing import CliRunner

from asn_sql.cli.main import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
DARKS = FIXTURES / "rules" / "darks"
OLD = "jw09505_20251216t202003_pool.csv"
NEW = "jw09505_20251219t041512_pool.csv"
MIRI = "pool_002_image_miri.csv"
DARK = "jw09505001004_02101_00001_mirimage_uncal.fits"


def asnsql(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with both versions of program 9505 and pool_002, each with one run (runs
    1 to 3, in that order); impact only reads it, so the tests share it."""
    db = tmp_path_factory.mktemp("impact") / "asn.duckdb"
    for pool in (OLD, NEW, MIRI):
        result = asnsql("generate", POOLS / pool, "--dry-run", "--db", db)
        assert result.exit_code == 0, result.output
    return db


def untouched(db: Path, folder: Path) -> tuple[str | None, list[str]]:
    """What impact must leave as it was: the database's bytes and a folder's entries."""
    return file_digest(db), sorted(os.listdir(folder))


DARKS_REPORT = f"""\
{OLD} (run 1): 10 same, 0 renamed, 0 changed, 0 removed, 0 added, 0 orphaned, 0 no longer orphans
{NEW} (run 2): 12 same, 0 renamed, 0 changed, 0 removed, 1 added, 0 orphaned, 1 no longer orphans
  added    jw09505-o001_dark3_00001_asn.json (dark3, candidate_Asn_Lv3Darks, o001, 1 member)
  adopted  {DARK} (mir_darkimg), now in jw09505-o001_dark3_00001_asn.json
{MIRI} (run 3): 9 same, 0 renamed, 0 changed, 0 removed, 0 added, 0 orphaned, 0 no longer orphans
"""
DARKS_SUMMARY = (
    "3 pools: 1 would change, 2 unchanged; 31 same, 0 renamed, 0 changed, 0 removed, "
    "1 added, 0 orphaned, 1 no longer orphans"
)


def test_a_new_rule_says_which_pools_and_associations_would_change_and_writes_nothing(
    kept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = untouched(kept, tmp_path), untouched(kept, kept.parent)
    result = asnsql("impact", "-r", DARKS, "--db", kept)
    assert result.exit_code == 1, result.output
    assert result.stdout == DARKS_REPORT
    assert result.stderr.splitlines() == [DARKS_SUMMARY]
    assert (untouched(kept, tmp_path), untouched(kept, kept.parent)) == before
    assert not kept.with_name(kept.name + ".wal").exists()


def test_one_worker_and_two_say_the_same(kept: Path) -> None:
    before = file_digest(kept)
    one = asnsql("impact", "-r", DARKS, "--workers", "1", "--db", kept)
    two = asnsql("impact", "-r", DARKS, "--workers", "2", "--db", kept)
    assert (one.exit_code, one.stdout) == (two.exit_code, two.stdout) == (1, DARKS_REPORT)
    assert file_digest(kept) == before


def test_rules_that_change_nothing_exit_0(kept: Path, tmp_path: Path) -> None:
    # A copy of a built-in rule replaces it with itself.
    same = tmp_path / "same" / "level3"
    same.mkdir(parents=True)
    shutil.copy(ROOT / "sql" / "rules" / "level3" / "lv3_image.sql", same)
    result = asnsql("impact", "-r", same.parent, "--db", kept)
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(
        f"{pool} (run {run}): {n} same, 0 renamed, 0 changed, 0 removed, 0 added, "
        "0 orphaned, 0 no longer orphans\n"
        for run, pool, n in ((1, OLD, 10), (2, NEW, 12), (3, MIRI, 9))
    )
    assert result.stderr.splitlines() == [
        "3 pools: 0 would change, 3 unchanged; 31 same, 0 renamed, 0 changed, 0 removed, "
        "0 added, 0 orphaned, 0 no longer orphans"
    ]


def test_pools_named_are_the_only_ones_compared(kept: Path) -> None:
    # A program means its newest version; a pool named twice is compared once.
    result = asnsql("impact", "-r", DARKS, MIRI, "jw09505", NEW, "--db", kept)
    assert result.exit_code == 1, result.output
    lines = DARKS_REPORT.splitlines(keepends=True)
    assert result.stdout == "".join([lines[4], *lines[1:4]])
    first = asnsql("impact", "-r", DARKS, OLD, "--db", kept)
    assert (first.exit_code, first.stdout) == (0, lines[0])


def test_a_bad_rule_is_one_error_line_naming_its_file_and_line(kept: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad_rules"
    bad.mkdir()
    text = (DARKS / "lv3_darks.sql").read_text()
    (bad / "lv3_darks.sql").write_text(text.replace("e.detector is not null", "e.nosuch = 1"))
    before = file_digest(kept)
    result = asnsql("impact", "-r", bad, "--db", kept)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f'Error: {bad / "lv3_darks.sql"}, line 22: Binder Error: Table "e" does not have a '
        'column named "nosuch"\n'
    )
    assert file_digest(kept) == before


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "Error: which rules? give the folder to try with -r/--rules DIR"),
        (("-r", "no_such_folder"), "Error: no_such_folder: no such rules folder"),
        (
            ("-r", DARKS, "jw01234"),
            "Error: 'jw01234' is neither a loaded pool's name nor a program's (jw01234)",
        ),
        (
            ("-r", DARKS, "--workers", "0"),
            "Error: the number of workers must be from 1 to 1,024, not 0 (see --workers)",
        ),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    kept: Path, args: tuple[object, ...], error: str
) -> None:
    result = asnsql("impact", *args, "--db", kept)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", error + "\n")


def test_a_pool_without_a_run_is_named_or_left_out(tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    assert asnsql("load", POOLS / MIRI, POOLS / OLD, "--db", db).exit_code == 0
    alone = asnsql("impact", "-r", DARKS, MIRI, "--db", db)
    assert (alone.exit_code, alone.stderr) == (
        2,
        f"Error: pool {MIRI} has no run yet (asnsql generate {MIRI})\n",
    )
    none = asnsql("impact", "-r", DARKS, "--db", db)
    assert (none.exit_code, none.stderr) == (
        2,
        "Error: no loaded pool has a run yet (asnsql generate POOL)\n",
    )
    assert asnsql("generate", OLD, "--dry-run", "--db", db).exit_code == 0
    some = asnsql("impact", "-r", DARKS, "--db", db)
    assert some.exit_code == 0, some.output
    assert some.stderr.splitlines()[0] == (
        f"Warning: {MIRI} has no run yet; not compared (asnsql generate {MIRI})"
    )


def test_the_run_is_made_again_with_its_own_options(kept: Path, tmp_path: Path) -> None:
    # A Level 2 run with a version id: made again as Level 2 with the same id, the darks
    # rule (Level 3) changes nothing.
    db = tmp_path / "asn.duckdb"
    shutil.copy(kept, db)
    made = asnsql("generate", NEW, "--level", "2", "--version-id", "v7", "--dry-run", "--db", db)
    assert made.exit_code == 0, made.output
    result = asnsql("impact", "-r", DARKS, NEW, "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{NEW} (run 4): 9 same, 0 renamed, 0 changed, 0 removed, 0 added, 0 orphaned, "
        "0 no longer orphans\n"
    )


def test_on_a_dask_cluster_it_says_the_same(kept: Path) -> None:
    pytest.importorskip("distributed")
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_batch import local_cluster

    before = file_digest(kept)
    with local_cluster(2) as cluster:
        result = asnsql(
            "impact", "-r", DARKS, "--scheduler", cluster.scheduler_address, "--db", kept
        )
    assert (result.exit_code, result.stdout) == (1, DARKS_REPORT)
    assert file_digest(kept) == before


def test_ignore_default_tries_the_folders_rules_alone(kept: Path) -> None:
    result = asnsql("impact", "-r", DARKS, "--ignore-default", OLD, "--db", kept)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{OLD} (run 1): 0 same, 0 renamed, 0 changed, 10 removed, 0 added, 8 orphaned, "
        "0 no longer orphans"
    )
    assert [line.split()[0] for line in lines[1:]] == ["removed"] * 10 + ["orphaned"] * 8


def test_a_run_made_with_other_user_rules_is_named_in_a_warning(kept: Path, tmp_path: Path) -> None:
    db = tmp_path / "asn.duckdb"
    shutil.copy(kept, db)
    made = asnsql("generate", NEW, "-r", DARKS, "--dry-run", "--db", db)
    assert made.exit_code == 0, made.output
    # The same folder again (edited or not) is the rules tried: no warning.
    again = asnsql("impact", "-r", DARKS, NEW, "--db", db)
    assert again.exit_code == 0, again.output
    assert again.stdout == (
        f"{NEW} (run 4): 13 same, 0 renamed, 0 changed, 0 removed, 0 added, 0 orphaned, "
        "0 no longer orphans\n"
    )
    assert again.stderr.splitlines() == [
        "1 pool: 0 would change, 1 unchanged; 13 same, 0 renamed, 0 changed, 0 removed, "
        "0 added, 0 orphaned, 0 no longer orphans",
    ]
    # Another folder: the darks rule is left out, which the warning says.
    other = tmp_path / "other" / "level3"
    other.mkdir(parents=True)
    shutil.copy(ROOT / "sql" / "rules" / "level3" / "lv3_image.sql", other)
    result = asnsql("impact", "-r", other.parent, NEW, "--db", db)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0] == (
        f"{NEW} (run 4): 12 same, 0 renamed, 0 changed, 1 removed, 0 added, 1 orphaned, "
        "0 no longer orphans"
    )
    assert result.stderr.splitlines()[0] == (
        f"Warning: {NEW}: run 4 was made with the rules of {DARKS}, which are not tried "
        "again: some changes may come from leaving them out"
    )


def test_a_rule_failing_on_a_pool_fails_that_pool_exit_2(kept: Path, tmp_path: Path) -> None:
    # The check on an empty database passes; the pool's rows make the cast fail.
    failing = tmp_path / "failing"
    failing.mkdir()
    text = (DARKS / "lv3_darks.sql").read_text()
    cast = "cast(e.filename as integer) > 0"
    (failing / "lv3_darks.sql").write_text(text.replace("e.detector is not null", cast))
    result = asnsql("impact", "-r", failing, NEW, "--db", kept)
    assert (result.exit_code, result.stdout) == (2, "")
    error, summary = result.stderr.splitlines()
    # The words after the pool's name are the engine's (generate -r says the same).
    assert error.startswith(f"Error: {NEW}: ")
    assert "asnsql-rules-" not in error  # the worker's copy of the folder is never named
    assert summary == (
        "1 pool: 0 would change, 0 unchanged, 1 failed; 0 same, 0 renamed, 0 changed, "
        "0 removed, 0 added, 0 orphaned, 0 no longer orphans"
    )


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_ctrl_c_stops_impact_with_one_line_and_the_database_as_it_was(
    kept: Path, tmp_path: Path
) -> None:
    db = tmp_path / "asn.duckdb"
    shutil.copy(kept, db)
    made = asnsql("generate", POOLS / "mega_pool.csv", "--dry-run", "--db", db)
    assert made.exit_code == 0, made.output
    before = untouched(db, tmp_path)
    # The terminal sends SIGINT to the whole process group: impact and its workers.
    process = subprocess.Popen(
        [sys.executable, "-m", "asn_sql", "impact", "-r", str(DARKS), "--workers", "2"]
        + ["--db", str(db)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # a shell's background job ignores SIGINT; give the child the default handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_until(
        lambda: (
            process.poll() is not None
            or sum(cpu_seconds(int(child)) for child in _children(process.pid)) >= 1.0
        )
    )
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out) == (130, ""), err
    assert err.endswith("Error: interrupted\n") and "Traceback" not in err, err
    assert untouched(db, tmp_path) == before


def _children(pid: int) -> list[str]:
    """The child processes of ``pid`` (Linux's /proc)."""
    return [
        child
        for task in Path(f"/proc/{pid}/task").glob("*")
        for child in (task / "children").read_text().split()
    ]
