"""Defects an outside tester found: pools whose names would become paths, outputs that
would overwrite the database or the input, files that are not what they claim, inputs
without bounds, and errors that escaped as internal ones. Each ends in one `Error:`
line, exit 2 (a batch: exit 1 after the others), with the database and files as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

from .failure_harness import POOLS, SMALL_POOL, assert_one_error_line, run, tree


def test_batch_refuses_pools_whose_folder_name_would_be_dot_or_dotdot(tmp_path: Path) -> None:
    pools, out, db = tmp_path / "in", tmp_path / "out", tmp_path / "asn.duckdb"
    pools.mkdir()
    shutil.copy(POOLS / "pool_003_image_nircam.csv", pools / "good.csv")
    first = run("batch", pools / "good.csv", "-p", out, "--db", db, "--workers", "1")
    assert first.code == 0, first.stderr
    before = tree(out)
    shutil.copy(SMALL_POOL, pools / "..csv")
    shutil.copy(SMALL_POOL, pools / "...csv")
    shutil.copy(SMALL_POOL, pools / "other.csv")
    outcome = run("batch", pools, "-p", out, "--db", db, "--workers", "1")
    assert outcome.exception is None, repr(outcome.exception)
    assert outcome.code == 1, outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert sorted(errors) == sorted(
        f"Error: {pools / name}: cannot name an output folder after this pool "
        f"({stem!r} is not a plain folder name); rename the pool"
        for name, stem in (("..csv", "."), ("...csv", ".."))
    )
    assert "1 pool done, 1 skipped, 2 failed" in outcome.stderr
    # out/good is untouched, out/other is new, nothing was moved aside anywhere.
    after = tree(out)
    assert {k: v for k, v in after.items() if not k.startswith("other")} == before
    assert "other" in after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asn.duckdb", "in", "out"]


def _unchanged_after(folder: Path, args: list[object], *words: str) -> str:
    before = tree(folder)
    line = assert_one_error_line(run(*args), 2, *words)
    assert tree(folder) == before, "files changed"
    return line


def test_save_orphans_never_replaces_the_database_or_the_pool(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(SMALL_POOL, "base.csv")
    assert run("load", "base.csv").code == 0
    Path("hard.csv").hardlink_to("base.csv")
    Path("link.db").symlink_to("asn.duckdb")
    base = ["generate", "base.csv", "-p", ".", "--save-orphans"]
    _unchanged_after(tmp_path, [*base, "asn.duckdb"], "asn.duckdb: is the database")
    _unchanged_after(tmp_path, [*base, "link.db"], "link.db: is the database")
    _unchanged_after(tmp_path, [*base, "base.csv"], "base.csv: is the pool being read")
    _unchanged_after(tmp_path, [*base, "hard.csv"], "hard.csv: is the pool being read")
    # Another database than the one in use is refused too, by its header.
    shutil.copy("asn.duckdb", "other.bin")
    _unchanged_after(tmp_path, [*base, "other.bin"], "other.bin: is a DuckDB database")


def test_no_file_writing_command_replaces_a_duckdb_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(SMALL_POOL, "base.csv")
    assert run("load", "base.csv").code == 0
    shutil.copy("asn.duckdb", "db.json")  # any name: the header tells
    assert run("generate", "base.csv", "-p", "out").code == 0
    asn = next(Path("out").glob("*image3*_asn.json"))
    refused = "is a DuckDB database"
    _unchanged_after(tmp_path, ["edit", asn, "-o", "db.json", "--add", "x_cal.fits"], refused)
    _unchanged_after(
        tmp_path, ["from-list", "a_cal.fits", "-o", "db.json", "-t", "image2"], refused
    )
    _unchanged_after(
        tmp_path,
        ["from-query", "select 'a_cal.fits' as filename", "-o", "db.json", "-t", "image2"],
        refused,
    )
    _unchanged_after(tmp_path, ["export", "pools", "-o", "db.json"], refused)
    _unchanged_after(tmp_path, ["export", "pools", "-o", "asn.duckdb", "-f", "csv"], "database")
    # gather: a member named like a database file in DEST
    member = Path("src") / "asn.duckdb"
    member.parent.mkdir()
    member.write_text("not a database", encoding="utf-8")
    assert run("from-list", str(member.name), "-o", "src/a_asn.json", "-t", "image2").code == 0
    Path("dest").mkdir()
    shutil.copy("asn.duckdb", "dest/asn.duckdb")
    _unchanged_after(tmp_path, ["gather", "src/a_asn.json", "dest"], refused)


def test_make_pool_refuses_to_write_over_a_database_or_its_inputs(
    tmp_path: Path, monkeypatch
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fits_headers import write_fits_files

    monkeypatch.chdir(tmp_path)
    names = [p.name for p in write_fits_files(tmp_path)][:2]
    assert run("load", SMALL_POOL).code == 0
    _unchanged_after(tmp_path, ["make-pool", "asn.duckdb", *names], "is a DuckDB database")
    Path("hard.txt").hardlink_to(names[0])
    _unchanged_after(tmp_path, ["make-pool", "hard.txt", *names], "hard.txt")


def _sqlite_file(path: Path) -> Path:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("create table x(a)")
    con.commit()
    con.close()
    return path


def test_an_existing_file_that_is_not_a_duckdb_database_is_refused_as_db(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(SMALL_POOL, "pool.csv")
    Path("x.json").write_text("{}", encoding="utf-8")
    Path("empty.duckdb").write_bytes(b"")
    _sqlite_file(tmp_path / "sq.duckdb")
    Path("broken.db").symlink_to("nowhere")
    not_duckdb = "is not a DuckDB database"
    for name in ("pool.csv", "x.json", "empty.duckdb", "sq.duckdb"):
        _unchanged_after(tmp_path, ["load", "pool.csv", "--db", name], f"{name}: {not_duckdb}")
        _unchanged_after(tmp_path, ["generate", "pool.csv", "--db", name, "-p", "out"], name)
        _unchanged_after(tmp_path, ["query", "--db", name, "select 1"], f"{name}: {not_duckdb}")
    _unchanged_after(tmp_path, ["load", "pool.csv", "--db", "broken.db"], "broken.db")
    # A new path is a new database, as before.
    assert run("load", "pool.csv", "--db", "new.duckdb").code == 0


def test_the_python_api_refuses_a_database_that_is_not_one(tmp_path: Path) -> None:
    import pytest

    import asn_sql
    from asn_sql.errors import AsnSqlError

    pool = tmp_path / "pool.csv"
    shutil.copy(SMALL_POOL, pool)
    before = pool.read_bytes()
    with pytest.raises(AsnSqlError, match="is not a DuckDB database"):
        asn_sql.generate(pool, db_path=pool)
    assert pool.read_bytes() == before


def test_no_extension_is_installed_or_loaded_for_a_sqlite_file(tmp_path: Path, monkeypatch) -> None:
    from asn_sql import db

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    _sqlite_file(tmp_path / "sq.duckdb")
    assert_one_error_line(run("query", "--db", "sq.duckdb", "select 1"), 2, "sq.duckdb")
    assert not home.exists()
    # Every connection asnsql opens has DuckDB's automatic extension loading off.
    con = db.connect_memory()
    settings = con.execute(
        "select current_setting('autoinstall_known_extensions'), "
        "current_setting('autoload_known_extensions')"
    ).fetchall()
    con.close()
    assert settings == [(False, False)]


def test_association_and_sql_files_are_read_with_a_bound(tmp_path: Path, monkeypatch) -> None:
    from asn_sql import bounded

    monkeypatch.chdir(tmp_path)
    Path("z.json").symlink_to("/dev/zero")
    Path("z.sql").symlink_to("/dev/zero")
    not_regular = "is not a regular file"
    outcome = run("validate", "z.json")  # validate prints each file's errors on stdout
    assert_one_error_line(outcome, 2, "1 of 1 files invalid")
    assert outcome.stdout.startswith(f"z.json: {not_regular}"), outcome.stdout
    _unchanged_after(tmp_path, ["edit", "z.json", "--add", "a_cal.fits"], f"z.json: {not_regular}")
    _unchanged_after(tmp_path, ["gather", "z.json", "dest"], f"z.json: {not_regular}")
    assert run("load", SMALL_POOL).code == 0
    _unchanged_after(tmp_path, ["query", "--file", "z.sql"], f"z.sql: {not_regular}")
    # A regular file larger than the bound (made small here) is refused before parsing.
    monkeypatch.setattr(bounded, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr(bounded.read_bounded, "__defaults__", (1000,))
    Path("big.json").write_text('{"products": []' + " " * 2000 + "}", encoding="utf-8")
    Path("big.sql").write_text("select 1" + " " * 2000, encoding="utf-8")
    _unchanged_after(
        tmp_path, ["edit", "big.json", "--add", "x"], "big.json: holds more than 1,000"
    )
    _unchanged_after(tmp_path, ["query", "--file", "big.sql"], "big.sql: holds more than 1,000")
    # diff cannot say two folders are the same when it cannot read a file of one.
    Path("a").mkdir()
    Path("b").mkdir()
    Path("b/z.json").symlink_to("/dev/zero")
    outcome = run("diff", "a", "b")
    assert outcome.stdout == ""
    assert_one_error_line(
        outcome, 2, "cannot compare, a file cannot be read: b/z.json: is not a regular file"
    )


def test_a_huge_integer_is_bad_input_not_an_internal_error(tmp_path: Path, monkeypatch) -> None:
    import pytest

    import asn_sql
    from asn_sql.errors import AsnSqlError

    monkeypatch.chdir(tmp_path)
    Path("n.json").write_text('{"products": [], "x": ' + "9" * 5000 + "}", encoding="utf-8")
    digits = "n.json: not JSON asnsql reads: a number has more than 4,300 digits"
    outcome = run("validate", "n.json")
    assert outcome.code == 2 and outcome.exception is None, outcome.stderr
    assert digits in outcome.stdout
    _unchanged_after(tmp_path, ["edit", "n.json", "--add", "x_cal.fits"], digits)
    with pytest.raises(AsnSqlError, match="more than 4,300 digits"):
        asn_sql.load_asn("n.json")
    Path("a").mkdir()
    Path("b").mkdir()
    shutil.copy("n.json", "a/n.json")
    outcome = run("diff", "a", "b")
    assert outcome.stdout == ""
    assert_one_error_line(outcome, 2, "a/n.json: not readable JSON (Exceeds the limit")


def test_diff_skips_documents_whose_products_or_members_have_the_wrong_types(
    tmp_path: Path,
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    shapes = {
        "a.json": '{"products": "x"}',
        "b.json": '{"products": [3]}',
        "c.json": '{"products": [{"members": "abc"}]}',
        "d.json": '{"products": [{"members": [1]}]}',
    }
    for name, text in shapes.items():
        (old / name).write_text(text, encoding="utf-8")
    outcome = run("diff", old, new)
    assert outcome.exception is None, repr(outcome.exception)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stderr.splitlines() == [
        *(f"Warning: {old / name}: skipped, not an association" for name in shapes),
        "0 same, 0 renamed, 0 changed, 0 removed, 0 added",
    ]


def test_batch_workers_out_of_range_is_one_error_line(tmp_path: Path) -> None:
    for count in ("0", "99999999999"):
        _unchanged_after(
            tmp_path,
            ["batch", SMALL_POOL, "--db", tmp_path / "asn.duckdb", "--workers", count],
            f"the number of workers must be from 1 to 1,024, not {count} (see --workers)",
        )


def test_a_user_rule_file_cannot_reach_python(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASNSQL_NO_CACHE", "1")
    rules = tmp_path / "rules"
    rules.mkdir()
    marker = tmp_path / "ran"
    (rules / "lv3_evil.sql").write_text(
        "-- rule:      Asn_Lv3Evil\n-- asn_type:  evil3\n-- level:     3\n"
        "-- constraints:\n--   - nothing\n-- product:   x\n"
        f"{{% set _ = cycler.__init__.__globals__.os.system('touch {marker}') %}}\n"
        "select 1\n",
        encoding="utf-8",
    )
    for args in (["rules", "--check", rules], ["render", "lv3_evil", "-r", rules]):
        line = assert_one_error_line(run(*args), 2, "lv3_evil.sql, line 7: does not render")
        assert "unsafe" in line
        assert not marker.exists()


def test_sql_that_starts_with_a_comment_is_sql_not_an_option(small_db: Path) -> None:
    outcome = run("query", "-f", "csv", "-- the answer\nselect 42 as a", "--db", small_db)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.splitlines() == ["a", "42"]
    outcome = run("query", "--db", small_db, "-f", "csv", "--\tcomment\nselect 'x=1' as b")
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.splitlines() == ["b", "x=1"]
    # An option still is one, and an unknown one is still a usage error.
    # (click words it "no such option: --bogus" or "no such option '--bogus'" by version)
    assert_one_error_line(run("query", "--bogus", "select 1"), 2, "no such option", "--bogus")


def test_batch_never_replaces_a_file_where_a_pools_folder_goes(tmp_path: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "asn.duckdb"
    out.mkdir()
    (out / SMALL_POOL.stem).write_text("someone's file", encoding="utf-8")
    before = tree(tmp_path)
    outcome = run("batch", SMALL_POOL, "-p", out, "--db", db, "--workers", "1")
    assert outcome.exception is None, repr(outcome.exception)
    assert outcome.code == 1, outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {SMALL_POOL}: {out / SMALL_POOL.stem}: is a file, not this pool's folder; "
        "move it away"
    ]
    after = tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("asn.duckdb")} == before
