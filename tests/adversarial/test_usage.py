"""Usage errors (reliability kind 6) and options read as jwst reads them (kind 7): one
`Error:` line with the command's --help hint, exit 2, never a panel."""

from __future__ import annotations

from pathlib import Path

import pytest

from .failure_harness import SMALL_POOL, assert_one_error_line, digest, run, tree

USAGE = [
    # the shared triggers
    (["load"], "missing argument", "asnsql load --help"),
    (["generate", "--foo"], "no such option", "asnsql generate --help"),
    (["nosuchcommand"], "no such command", "asnsql --help"),
    (["explain", "x", "--run", "abc"], "--run", "asnsql explain --help"),
    (["pools", "-f", "xml"], "xml", "asnsql pools --help"),
    # variations
    (["query"], "missing argument", "asnsql query --help"),
    (["render"], "missing argument", "asnsql render --help"),
    (["from-list", "a.fits", "-t", "image2"], "missing option", "asnsql from-list --help"),
    (["pools", "--bar"], "no such option", "asnsql pools --help"),
    (["genrate"], "no such command", "asnsql --help"),
    (["query", "select 1", "-f", "yaml"], "yaml", "asnsql query --help"),
    (["rules", "--format", ""], "format", "asnsql rules --help"),
    (["generate", "--level"], "requires an argument", "asnsql generate --help"),
    (["load", "x.csv", "-d"], "requires an argument", "asnsql load --help"),
    (["diff", "1"], "missing argument", "asnsql diff --help"),
    (["explain", "x", "--run", "1.5"], "--run", "asnsql explain --help"),
    (["explain", "x", "--run", ""], "--run", "asnsql explain --help"),
    (["query", "select 1", "extra"], "unexpected extra argument", "asnsql query --help"),
    (["--nosuch"], "no such option", "asnsql --help"),
    ([], "no command given", "asnsql --help"),
    (["generate", "--fo\no"], "no such option", "asnsql generate --help"),
    (["pools", "-f", "x\x1b[31m"], "is not one of", "asnsql pools --help"),
]


@pytest.mark.parametrize(("args", "words", "hint"), USAGE)
def test_a_usage_error_is_one_line_with_the_commands_help_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: str, hint: str
) -> None:
    monkeypatch.chdir(tmp_path)
    line = assert_one_error_line(run(*args), 2, words)
    assert line.endswith(f"(see '{hint}')"), line
    assert tree(tmp_path) == {}, "a usage error created files"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--version-id", "a/b"], "'a/b' is not a version id"),
        (["--version-id", "../x"], "not a version id"),
        (["--version-id", "x" * 65], "not a version id"),
        (["--version-id", "tag with space"], "not a version id"),
        (["--version-id", "new\nline"], "not a version id"),
        (["--level", "4"], "--level must be 2, 3 or all"),
        (["-i", "--dry-run"], "needs at least one candidate id"),
        (["--dry-run", "-i"], "needs at least one candidate id"),
    ],
)
def test_a_bad_generate_option_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_db: Path, args: list[str], words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    db = small_db
    before, files = digest(db), tree(tmp_path)
    out = tmp_path / "out"
    line = assert_one_error_line(run("generate", *args, "-p", out, "--db", db), 2, words)
    assert "\n" not in line
    assert digest(db) == before and tree(tmp_path) == files


def test_ids_are_any_words_and_an_unknown_one_is_a_warning_and_no_association(
    tmp_path: Path, small_db: Path
) -> None:
    # jwst's -i takes any id; one that names no candidate of the pool finds nothing
    ids = ["abc", "../x", "o001/../../x", "O001", "c1000", "1000", "o001\\x"]
    outcome = run("generate", "-i", *ids, "-p", tmp_path / "out", "--db", small_db)
    assert outcome.code == 0, outcome.stderr
    for acid in ids:
        assert f"Warning: candidate id {acid!r} not found in the pool" in outcome.stderr
    assert "wrote 0 associations" in outcome.stderr
    assert not list((tmp_path / "out").glob("*")), "no association, no file"


def test_ids_before_the_pool_file_and_after_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = run("generate", "-i", "abc", "o001", SMALL_POOL, "-p", out, "--db", tmp_path / "a.db")
    after = run(
        "generate",
        SMALL_POOL,
        "-i",
        "abc",
        "o001",
        "--level",
        "3",
        "--db",
        tmp_path / "b.db",
        "--dry-run",
    )
    assert before.code == 0 and after.code == 0, before.stderr + after.stderr
    assert "candidate id 'abc' not found" in before.stderr + after.stderr
    assert "associations (image2 8, image3 1)" in before.stderr
    assert "1 association (image3 1)" in after.stderr
    written = sorted(p.name for p in out.glob("*.json"))
    assert written[0] == "jw99009-o001_image2_00001_asn.json" and len(written) == 9


def test_ids_end_at_the_next_option_or_at_a_double_dash(tmp_path: Path, small_db: Path) -> None:
    flag = run("generate", "-i", "o001", "--level", "3", "--dry-run", "--db", small_db)
    assert flag.code == 0 and "1 association (image3 1)" in flag.stderr, flag.stderr
    dashes = run(
        "generate",
        "--level",
        "3",
        "--dry-run",
        "--db",
        tmp_path / "c.db",
        "--ids=o001",
        "--",
        SMALL_POOL,
    )
    assert dashes.code == 0 and "1 association (image3 1)" in dashes.stderr, dashes.stderr
