"""The numbered schema files, and how a database is created, upgraded or refused."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from conftest import POOLS, file_digest
from typer.testing import CliRunner

from asn_sql import db
from asn_sql.cli.main import app
from asn_sql.errors import MigrationError
from asn_sql.resources import migrations_dir

MIGRATIONS = sorted(migrations_dir().glob("*.sql"))
runner = CliRunner()


def recorded(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select name from schema_migrations order by name").fetchall()
    return [name for (name,) in rows]


def build_at_first_migration(path: Path) -> None:
    """A database as the first release of asnsql left it: migration 0001 only, by hand."""
    with duckdb.connect(str(path)) as con:
        con.execute("begin")
        con.execute(MIGRATIONS[0].read_text(encoding="utf-8"))
        con.execute(
            "insert into schema_migrations values ($name, $at)",
            {"name": MIGRATIONS[0].stem, "at": datetime(2025, 1, 1)},
        )
        con.execute(
            "insert into pools (name, source, sha256, loaded_at, row_count, columns, "
            "delimiter, comments) values ('old.csv', 'old.csv', 'x', now(), 0, [], '|', [])"
        )
        con.execute("commit")


def test_migrations_are_numbered_from_0001_without_gaps() -> None:
    numbers = []
    for path in MIGRATIONS:
        match = re.fullmatch(r"(\d{4})_[a-z0-9_]+\.sql", path.name)
        assert match, f"{path.name} is not named NNNN_name.sql"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(1, len(MIGRATIONS) + 1))
    assert [m.name for m in db.available_migrations()] == [p.stem for p in MIGRATIONS]


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: p.name)
def test_each_migration_opens_with_a_comment_saying_why(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("-- ")
    assert len(first.split()) >= 5, "say why the migration exists, in words"


def test_a_gap_in_the_numbering_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("-- why\n")
    (tmp_path / "0003_third.sql").write_text("-- why\n")
    with pytest.raises(MigrationError, match="expected migration number 0002"):
        db.available_migrations(tmp_path)


def test_a_stray_file_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("-- why\n")
    (tmp_path / "2_second.sql").write_text("-- why\n")
    with pytest.raises(MigrationError, match="NNNN_name.sql"):
        db.available_migrations(tmp_path)


def test_a_new_database_records_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    db.open_database(path).close()
    assert recorded(path) == [p.stem for p in MIGRATIONS]
    with duckdb.connect(str(path), read_only=True) as con:
        (missing_times,) = con.execute(
            "select count(*) from schema_migrations where applied_at is null"
        ).fetchone()
    assert missing_times == 0


_SCHEMA = [
    "select database_name, schema_name, table_name, sql from duckdb_tables()",
    "select table_name, column_index, column_name, data_type, column_default, is_nullable "
    "from duckdb_columns() where database_name = 'x'",
    "select view_name, sql from duckdb_views() where database_name = 'x'",
    "select sequence_name, start_value, last_value from duckdb_sequences()",
    "select table_name, constraint_type, constraint_text from duckdb_constraints()",
    "select index_name, sql from duckdb_indexes()",
    "select name from x.schema_migrations order by name",
]


def _schema(path: Path) -> list[list[tuple]]:
    with duckdb.connect() as con:
        con.execute("attach $path as x (read_only)", {"path": str(path)})
        return [sorted(con.execute(q).fetchall(), key=repr) for q in _SCHEMA]


def test_a_new_database_copied_from_the_cache_is_the_one_migrations_make(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ASNSQL_NO_CACHE", raising=False)
    first, copied = tmp_path / "first.duckdb", tmp_path / "copied.duckdb"
    db.open_database(first).close()  # makes the cached one too
    assert list((tmp_path / "cache" / "asnsql" / "databases").glob("*.duckdb"))
    started = db.now()
    db.open_database(copied).close()
    monkeypatch.setenv("ASNSQL_NO_CACHE", "1")
    migrated = tmp_path / "migrated.duckdb"
    db.open_database(migrated).close()
    assert _schema(copied) == _schema(migrated) == _schema(first)
    with duckdb.connect(str(copied), read_only=True) as con:
        (oldest,) = con.execute("select min(applied_at) from schema_migrations").fetchone()
    assert oldest >= started  # recorded as applied now, not when the cache was made


def test_a_damaged_copy_in_the_cache_is_forgotten_and_the_database_migrated(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ASNSQL_NO_CACHE", raising=False)
    db.open_database(tmp_path / "first.duckdb").close()
    (cached,) = (tmp_path / "cache" / "asnsql" / "databases").glob("*.duckdb")
    cached.write_bytes(cached.read_bytes()[:4096])
    path = tmp_path / "second.duckdb"
    db.open_database(path).close()
    assert recorded(path) == [p.stem for p in MIGRATIONS]


def test_a_database_in_memory_is_migrated_and_makes_no_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    con = db.open_database(Path(":memory:"))
    try:
        rows = con.execute("select name from schema_migrations order by name").fetchall()
        assert [name for (name,) in rows] == [p.stem for p in MIGRATIONS]
    finally:
        con.close()
    assert not (tmp_path / ":memory:").exists()


def test_opening_a_database_twice_applies_nothing_again(tmp_path: Path) -> None:
    path = tmp_path / "twice.duckdb"
    db.open_database(path).close()
    before = file_digest(path)
    db.open_database(path).close()
    assert file_digest(path) == before


def test_a_database_at_the_first_migration_is_upgraded_when_loading(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    build_at_first_migration(path)
    result = runner.invoke(app, ["load", "--db", str(path), str(POOLS / "pool_008_exposerr.csv")])
    assert result.exit_code == 0, result.output
    assert recorded(path) == [p.stem for p in MIGRATIONS]
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute("select name from pools order by pool_id").fetchall()
    assert names == [("old.csv",), ("pool_008_exposerr.csv",)]


def test_a_database_at_the_first_migration_is_upgraded_before_a_query(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    build_at_first_migration(path)
    result = runner.invoke(
        app,
        ["query", "--db", str(path), "-f", "csv", "select name from schema_migrations order by 1"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["name"] + [p.stem for p in MIGRATIONS]


@pytest.mark.parametrize(
    "command",
    [["load", str(POOLS / "pool_008_exposerr.csv")], ["query", "select 1"], ["pools"]],
    ids=["load", "query", "pools"],
)
def test_a_database_from_a_newer_asnsql_is_refused_and_left_alone(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "newer.duckdb"
    db.open_database(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("insert into schema_migrations values ('9999_from_the_future', now())")
    before = file_digest(path)
    result = runner.invoke(app, [command[0], "--db", str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert str(path) in lines[0]
    assert "9999_from_the_future" in lines[0] and "newer asnsql" in lines[0]
    assert file_digest(path) == before
