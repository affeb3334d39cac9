"""Options that cannot apply together, or a value the command would only refuse after its
run: one `Error:` line before anything is read or written, never an option silently
dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from .failure_harness import SMALL_POOL, assert_one_error_line, digest, run, tree


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--orphans", "--all"], "--all applies to one exposure's explanation, not to --orphans"),
        (["--orphans", "-r", "rules"], "-r/--rules applies to one exposure's explanation"),
        (["--orphans", "--ignore-default"], "--ignore-default applies to one exposure's"),
        (["--orphans", "1", "--run", "2"], "two runs given, 1 and --run 2: give one"),
    ],
)
def test_explain_orphans_refuses_an_option_it_would_ignore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_db: Path, args: list[str], words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    before, files = digest(small_db), tree(tmp_path)
    assert_one_error_line(run("explain", *args, "--db", small_db), 2, words)
    assert digest(small_db) == before and tree(tmp_path) == files


def test_explain_orphans_takes_the_same_run_given_both_ways(tmp_path: Path, small_db: Path) -> None:
    assert run("generate", "--dry-run", "--db", small_db).code == 0
    both = run("explain", "--orphans", "1", "--run", "1", "--db", small_db)
    alone = run("explain", "--orphans", "--run", "1", "--db", small_db)
    assert (both.code, both.stdout, both.stderr) == (0, alone.stdout, alone.stderr)
    assert alone.stderr == "run 1: 0 exposures in no association\n"


@pytest.mark.parametrize("name", ["sub/orphans.csv", "/tmp/orphans.csv", "..", "./o.csv"])
def test_save_orphans_with_a_folder_is_refused_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_db: Path, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "sub").mkdir(parents=True)
    before, files = digest(small_db), tree(tmp_path)
    line = assert_one_error_line(
        run("generate", "-p", "out", "--save-orphans", name, "--db", small_db), 2
    )
    assert line == (
        f"Error: --save-orphans {name}: give a file name without a folder; it is written "
        "under -p/--path"
    )
    assert digest(small_db) == before, "no run recorded"
    assert tree(tmp_path) == files


def test_save_orphans_with_a_bare_name_writes_it_under_the_path(
    tmp_path: Path, small_db: Path
) -> None:
    outcome = run("generate", "-p", tmp_path / "out", "--save-orphans", "o.csv", "--db", small_db)
    assert outcome.code == 0, outcome.stderr
    assert (tmp_path / "out" / "o.csv").is_file()


def test_version_id_before_the_pool_says_the_pool_was_taken_as_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_db: Path
) -> None:
    # jwst's --version-id takes the next word too; asnsql says so instead of "not a version id"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pool.csv").write_bytes(SMALL_POOL.read_bytes())
    before, files = digest(small_db), tree(tmp_path)
    line = assert_one_error_line(
        run("generate", "--version-id", "pool.csv", "-p", "out", "--db", small_db), 2
    )
    assert line == (
        "Error: --version-id pool.csv: that is a file, not a version id; a word right after "
        "--version-id is its value, so put the pool before it"
    )
    assert digest(small_db) == before and tree(tmp_path) == files


@pytest.mark.parametrize("given", ["", ".", ".."])
@pytest.mark.parametrize("command", ["load", "generate"])
def test_a_db_that_is_the_current_or_parent_folder_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, command: str
) -> None:
    # `--db ''` ended in "internal error (ValueError: PosixPath('.') has an empty name)"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    files = tree(tmp_path)
    named = "." if given == "" else given
    assert_one_error_line(
        run(command, SMALL_POOL, "--db", given), 2, f"{named}: is a directory, not a database"
    )
    assert tree(tmp_path) == files


def test_batch_refuses_an_empty_pool_name_instead_of_running_every_pool_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `asnsql batch "$UNSET"`: Path("") is ".", which batched every *.csv of the folder
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pool.csv").write_bytes(SMALL_POOL.read_bytes())
    files = tree(tmp_path)
    line = assert_one_error_line(run("batch", SMALL_POOL, "", "-p", "out"), 2)
    assert line == "Error: an empty pool name; give a pool file or a folder of pools"
    assert tree(tmp_path) == files
