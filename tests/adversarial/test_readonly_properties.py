"""Property tests: any mixture of reading and writing SQL given to `query` or `export`
exits 0 or 2 (one Error line, no traceback) and writes nothing but the named file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .readonly_support import assert_one_error_line, invoke, make_database, snapshot

STATEMENTS = [
    "select 1 as x",
    "select count(*) from exposures",
    "from pools",
    "values (1, 'a')",
    "select * from read_csv('pool.csv', delim = '|')",
    "use memory",
    "detach asn",
    "attach 'asn.duckdb' as w",
    "attach 'fresh.duckdb'",
    "delete from w.exposures",
    "delete from exposures",
    "copy (select 1) to 'x.csv'",
    "copy exposures to 'x.parquet'",
    "export database 'dump'",
    "install httpfs",
    "load json",
    "set enable_external_access = true",
    "pragma threads = 1",
    "create secret (type s3)",
    "create table t as select 1",
    "checkpoint",
    "call enable_logging(storage = 'file', storage_config = {'path': 'logs'})",
    "select * from enable_logging(storage = 'file', storage_config = {'path': 'logs'})",
    "select * from query('copy (select 1) to ''q.csv''')",
    "explain analyze copy (select 1) to 'e.csv'",
    "select 1) to 'x.csv' (format csv); copy (select 2",
]
JOINS = ["; ", ";\n", " ", "\n-- ;\n", " /* ; */ ", ""]


@st.composite
def sql_texts(draw: st.DrawFn) -> str:
    """A few statements, whole or cut short, joined any way, sometimes with noise."""
    parts = draw(st.lists(st.sampled_from(STATEMENTS), min_size=0, max_size=4))
    cut = draw(st.booleans())
    if cut and parts:
        last = parts[-1]
        parts[-1] = last[: draw(st.integers(0, len(last)))]
    text = draw(st.sampled_from(JOINS)).join(parts)
    noise = draw(st.text(alphabet="();'\"-/*\n x", max_size=6))
    return draw(st.sampled_from([text, noise + text, text + noise]))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_database(tmp_path)
    shutil.copy(
        Path(__file__).resolve().parents[2] / "fixtures/pools/pool_002_image_miri.csv",
        tmp_path / "pool.csv",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis folder in the folder being watched
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(sql=sql_texts())
def test_query_never_writes(sql: str, folder: Path) -> None:
    before = snapshot(folder)
    result = invoke("query", "--", sql)
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    if result.exit_code == 2:
        assert_one_error_line(result)
    assert "Traceback" not in result.output
    assert snapshot(folder) == before


OUTPUTS = [
    "out.csv",
    "out.json",
    "out.ndjson",
    "out.parquet",
    "it's.csv",
    "[b].json",
    "a;b.csv",
    "no/such/out.csv",
    "out.txt",
    "asn.duckdb",
    ".",
]


@PROPERTY
@given(
    source=st.one_of(sql_texts(), st.sampled_from(["exposures", "pools;", "main.runs", ""])),
    output=st.sampled_from(OUTPUTS),
    fmt=st.sampled_from([None, "csv", "json", "parquet", "xml"]),
)
def test_export_writes_only_its_output(
    source: str, output: str, fmt: str | None, folder: Path
) -> None:
    before = snapshot(folder)
    result = invoke("export", "-o", output, *(["-f", fmt] if fmt else []), "--", source)
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    after = snapshot(folder)
    if result.exit_code == 2:
        assert_one_error_line(result)
        assert after == before
        return
    assert output not in ("asn.duckdb", "."), "the database or a folder was overwritten"
    assert {k: v for k, v in after.items() if k != output} == {
        k: v for k, v in before.items() if k != output
    }
    (folder / output).unlink()
