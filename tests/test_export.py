"""asnsql export: tables and queries to CSV, Parquet or JSON from a read-only database."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from asn_sql.cli.main import app
from asn_sql.io.export import quote_literal, select_sql

runner = CliRunner()


@pytest.fixture
def loaded(load: Callable[..., object], db_path: Path) -> Path:
    """A database holding pool_002 (8 exposures)."""
    load("pool_002_image_miri.csv")
    return db_path


def _export(db: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["export", *args, "--db", str(db)])


def test_export_writes_a_table_to_parquet(loaded: Path, tmp_path: Path) -> None:
    out = tmp_path / "exposures.parquet"
    result = _export(loaded, "exposures", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "8 rows written" in result.stderr
    sql = f"select count(*) from read_parquet({quote_literal(str(out))})"
    assert duckdb.connect().execute(sql).fetchall() == [(8,)]


def test_export_writes_a_query_to_csv_at_a_path_with_a_quote(loaded: Path, tmp_path: Path) -> None:
    out = tmp_path / "it's here.csv"
    result = _export(
        loaded, "select filename, row_no from exposures order by row_no;", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[:2] == [["filename", "row_no"], ["jw_00001_uncal.fits", "0"]]


def test_export_json_is_an_array_and_ndjson_a_line_each(loaded: Path, tmp_path: Path) -> None:
    sql = "select name, row_count from pools"
    assert _export(loaded, sql, "-o", str(tmp_path / "p.json")).exit_code == 0
    assert json.loads((tmp_path / "p.json").read_text()) == [
        {"name": "pool_002_image_miri.csv", "row_count": 8}
    ]
    assert _export(loaded, sql, "-o", str(tmp_path / "p.out"), "-f", "ndjson").exit_code == 0
    assert json.loads((tmp_path / "p.out").read_text().splitlines()[0])["row_count"] == 8


def test_select_sql_quotes_a_table_name_and_leaves_a_query_to_the_parser() -> None:
    assert select_sql(" main.exposures; ") == 'select * from "main"."exposures"'
    assert select_sql("select 1) to 'x.csv'; --") == "select 1) to 'x.csv'; --"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nosuch", "-o", "{tmp}/a.csv"], "export failed"),
        (["select 1", "-o", "{tmp}/a.txt"], "cannot tell the format"),
        (
            ["select 1", "-o", "{tmp}/a.txt", "-f", "xml"],
            "one of csv, parquet, json, ndjson, not 'xml' (see -f/--format)",
        ),
        (["select 1", "-o", "{tmp}/no/a.csv"], "the output folder does not exist"),
        (["delete from pools", "-o", "{tmp}/a.csv"], "not DELETE"),
    ],
)
def test_export_rejects_bad_input_with_one_error_line(
    args: list[str], words: str, loaded: Path, tmp_path: Path
) -> None:
    result = _export(loaded, *(a.format(tmp=tmp_path) for a in args))
    lines = result.stderr.splitlines()
    assert result.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0]
    assert [p.name for p in tmp_path.iterdir()] == ["asn.duckdb"]  # no file, no temporary
