"""Many pools in one pass: each pool's run, rows and files exactly as one generate of it.

`asnsql generate POOL...` runs every statement once for the whole set of pools and keeps a
run per pool (asn_sql/engine/run.py, generate_runs); the runs must not be told apart
from those of one `generate` per pool, but for their ids and times.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import EXPECTED, POOLS
from typer.testing import CliRunner

from asn_sql.api import generate_documents, generate_many
from asn_sql.cli.main import app
from asn_sql.engine.run import GenerateOptions

CONFORMANCE = sorted(p.name for p in EXPECTED.iterdir() if p.is_dir())
SMALL = ["pool_002_image_miri", "pool_021_tso", "pool_010_spec_nirspec_lv2bkg", "pool_duplicate"]
# Everything but a run's own id and times: its timings are the pass's.
RUN_COLUMNS_LEFT_OUT = ("run_id", "pool_id", "started_at", "finished_at", "timings")


def run_rows(db_path: Path) -> dict[str, dict[str, list[tuple]]]:
    """Per pool name, per table that holds a run's rows, those rows without ids, sorted."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select distinct table_name from information_schema.columns "
                "where column_name = 'run_id' and table_name in (select table_name from "
                "information_schema.tables where table_type = 'BASE TABLE') order by 1"
            ).fetchall()
        ]
        found: dict[str, dict[str, list[tuple]]] = {}
        for run_id, pool in con.execute(
            "select r.run_id, p.name from runs as r join pools as p using (pool_id)"
        ).fetchall():
            rows = found.setdefault(pool, {})
            for table in tables:
                columns = [
                    c
                    for (c,) in con.execute(
                        "select column_name from information_schema.columns "
                        "where table_name = $t order by ordinal_position",
                        {"t": table},
                    ).fetchall()
                    if c not in RUN_COLUMNS_LEFT_OUT
                ]
                rows[table] = con.execute(
                    f"select {', '.join(columns)} from {table} where run_id = $run order by all",
                    {"run": run_id},
                ).fetchall()
        return found
    finally:
        con.close()


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path there, with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def one_generate_per_pool(root: Path, names: list[str], options: GenerateOptions) -> None:
    for name in names:
        generate_documents(
            root / "single.duckdb",
            str(POOLS / f"{name}.csv"),
            options,
            output_dir=root / "single" / name,
        )


def one_pass(root: Path, names: list[str], options: GenerateOptions) -> None:
    generate_many(
        root / "many.duckdb",
        [str(POOLS / f"{name}.csv") for name in names],
        options,
        output_dir=root / "many",
    )


def assert_same_runs(root: Path, names: list[str]) -> None:
    assert files(root / "many") == files(root / "single")
    many, single = run_rows(root / "many.duckdb"), run_rows(root / "single.duckdb")
    assert sorted(many) == sorted(f"{name}.csv" for name in names)
    for pool in single:
        assert many[pool] == single[pool], pool


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [GenerateOptions(), GenerateOptions(finalize=False, all_candidates=True)],
    ids=["default", "no-finalize-all-candidates"],
)
def test_one_pass_over_the_conformance_pools_is_one_generate_per_pool(
    tmp_path: Path, options: GenerateOptions
) -> None:
    one_generate_per_pool(tmp_path, CONFORMANCE, options)
    one_pass(tmp_path, CONFORMANCE, options)
    assert_same_runs(tmp_path, CONFORMANCE)


@pytest.mark.parametrize(
    "options",
    [
        GenerateOptions(),
        pytest.param(
            GenerateOptions(finalize=False, ids=("o001", "o002", "c1000")), marks=pytest.mark.slow
        ),
        pytest.param(GenerateOptions(discover=True, levels=(3,)), marks=pytest.mark.slow),
    ],
    ids=["default", "no-finalize-ids", "discover-level-3"],
)
def test_one_pass_over_small_pools_is_one_generate_per_pool(
    tmp_path: Path, options: GenerateOptions
) -> None:
    one_generate_per_pool(tmp_path, SMALL, options)
    one_pass(tmp_path, SMALL, options)
    assert_same_runs(tmp_path, SMALL)


def test_generate_with_several_pools_writes_a_folder_per_pool(tmp_path: Path) -> None:
    pools = [str(POOLS / f"{name}.csv") for name in SMALL[:2]]
    out, db = tmp_path / "out", tmp_path / "a.db"
    args = ["generate", *pools, "-i", "o001", "-p", str(out), "--db", str(db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(SMALL[:2])
    summaries = [line for line in result.stderr.splitlines() if line.startswith("run ")]
    assert [line.split(":")[0] for line in summaries] == ["run 1", "run 2"]
    # a warning that does not name its pool is led by the pool's name
    assert f"Warning: {SMALL[1]}.csv: candidate id 'o001' not found in the pool" in result.stderr


def test_generate_refuses_a_pool_named_twice(tmp_path: Path) -> None:
    pool = str(POOLS / f"{SMALL[0]}.csv")
    result = CliRunner().invoke(
        app, ["generate", pool, pool, "-p", str(tmp_path / "out"), "--db", str(tmp_path / "a.db")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert not (tmp_path / "a.db").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))
