"""asnsql batch: many pools through local worker processes and a real Dask cluster give
exactly what one `generate` per pool gives, in the files and in the database; a killed
batch resumes; a bad pool fails alone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import BAD, POOLS, cpu_seconds, wait_until
from typer.testing import CliRunner

from asn_sql.api import generate_documents
from asn_sql.cli.main import app
from asn_sql.engine.run import GenerateOptions

distributed = pytest.importorskip("distributed")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench_batch import local_cluster  # noqa: E402

ALL_POOLS = sorted(POOLS.glob("*.csv"))
SMALL_POOLS = [
    "pool_002_image_miri.csv",
    "pool_004_wfs.csv",
    "pool_008_exposerr.csv",
    "pool_010_spec_nirspec_lv2bkg.csv",
    "pool_021_tso.csv",
    "pool_024_nirspec_fss_nods.csv",
]
# Tables a pool and its run write, and the columns that differ between two databases
# by nature: ids from sequences, clock times.
TABLES = (
    "pools",
    "exposures",
    "exposure_candidates",
    "runs",
    "associations",
    "products",
    "members",
    "orphan_reasons",
)
VOLATILE = {"pool_id", "run_id", "loaded_at", "started_at", "finished_at", "timings"}


class OneByOne:
    """One `generate` per pool, into one database, run the first time a pool is asked for."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._texts: dict[str, dict[str, str]] = {}

    def texts(self, pool: Path) -> dict[str, str]:
        """Each document's text, as `generate` writes it, by file name."""
        if pool.name not in self._texts:
            result = generate_documents(
                self.db_path, str(POOLS / pool.name), GenerateOptions(), output_dir=None
            )
            self._texts[pool.name] = {doc.file_name: doc.dumps() for doc in result.documents}
        return self._texts[pool.name]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> OneByOne:
    """One `generate` per fixture pool, shared by the tests of this module."""
    return OneByOne(tmp_path_factory.mktemp("one_by_one") / "asn.duckdb")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A Dask scheduler and two worker processes on the loopback."""
    with local_cluster(2) as local:
        yield local


def pool_rows(
    db_path: Path, name: str, ignored: frozenset[str] = frozenset()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a pool and its runs wrote, table by table, without ids, clock times and
    the ``ignored`` columns."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        found = {}
        for table in TABLES:
            columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
            kept = ", ".join(f't."{c}"' for c in columns if c not in VOLATILE | ignored)
            where = (
                "t.pool_id = p.pool_id"
                if "pool_id" in columns
                else "t.run_id in (select run_id from runs where pool_id = p.pool_id)"
            )
            found[table] = con.execute(
                f"select {kept} from {table} as t, pools as p "
                f"where p.name = $name and {where} order by all",
                {"name": name},
            ).fetchall()
        return found
    finally:
        con.close()


def written(folder: Path) -> dict[str, str]:
    """The association files of a folder, by name."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.json"))}


def assert_same_as_one_by_one(
    reference: OneByOne,
    db_path: Path,
    out: Path,
    pools: list[Path],
    ignored: frozenset[str] = frozenset(),
) -> None:
    """The batch's folders hold the documents `generate` writes, byte for byte, and its
    database the same rows."""
    assert sorted(p.name for p in out.iterdir()) == sorted(p.stem for p in pools)
    for pool in pools:
        assert written(out / pool.stem) == reference.texts(pool), pool.name
        ours, theirs = (
            pool_rows(path, pool.name, ignored) for path in (db_path, reference.db_path)
        )
        assert ours == theirs, pool.name


def batch(*args: str) -> Any:
    return CliRunner().invoke(app, ["batch", *args])


def pools_folder(which: str, tmp_path: Path) -> tuple[Path, list[Path], frozenset[str]]:
    """A folder of pools for a batch: fixtures/pools itself ("every"), or a folder of
    copies of three small pools ("some"; only pools.source differs from one by one)."""
    if which == "every":
        return POOLS, ALL_POOLS, frozenset()
    folder = tmp_path / "pools"
    folder.mkdir()
    copies = [Path(shutil.copy(POOLS / name, folder / name)) for name in SMALL_POOLS[:3]]
    return folder, copies, frozenset({"source"})


# Every fixture pool is a sweep (`-m slow`, run once by .ci/run); three pools are quick.
FOLDERS = [pytest.param("some"), pytest.param("every", marks=pytest.mark.slow)]


@pytest.mark.parametrize("which", FOLDERS)
def test_batch_on_a_dask_cluster_records_what_generate_records(
    reference, cluster, tmp_path: Path, which: str
) -> None:
    folder, pools, ignored = pools_folder(which, tmp_path)
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    result = batch(
        str(folder), "-p", str(out), "--db", str(db_path), "--scheduler", cluster.scheduler_address
    )
    assert result.exit_code == 0, result.output
    assert f"batch: {len(pools)} pools done, 0 skipped, 0 failed" in result.stderr
    assert_same_as_one_by_one(reference, db_path, out, pools, ignored)


@pytest.mark.parametrize("which", FOLDERS)
def test_batch_on_local_workers_records_what_generate_records(
    reference, tmp_path: Path, which: str
) -> None:
    folder, pools, ignored = pools_folder(which, tmp_path)
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    result = batch(str(folder), "-p", str(out), "--db", str(db_path), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.split()) == sorted(str(out / p.stem) for p in pools)
    assert_same_as_one_by_one(reference, db_path, out, pools, ignored)


def test_a_bad_pool_fails_alone_with_one_error_line_and_exit_1(
    reference, cluster, tmp_path: Path
) -> None:
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    good = [POOLS / "pool_002_image_miri.csv", POOLS / "pool_004_wfs.csv"]
    bad = BAD / "too_few_fields.csv"
    result = batch(
        str(good[0]),
        str(bad),
        str(good[1]),
        "-p",
        str(out),
        "--db",
        str(db_path),
        "--scheduler",
        cluster.scheduler_address,
    )
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {bad}, line 6, column 95: 10 fields, expected 11 as in the header on line 4: "
        "the line is short (cut off?)"
    ]
    assert "batch: 2 pools done, 0 skipped, 1 failed" in result.stderr
    assert_same_as_one_by_one(reference, db_path, out, good)
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("select name from pools order by name").fetchall() == [
        (p.name,) for p in good
    ]
    con.close()


def test_a_batch_killed_midway_resumes_where_it_stopped(reference, tmp_path: Path) -> None:
    pools_dir, out, db_path = tmp_path / "pools", tmp_path / "out", tmp_path / "asn.duckdb"
    pools_dir.mkdir()
    pools = [shutil.copy(POOLS / name, pools_dir / name) for name in SMALL_POOLS]
    command = [
        sys.executable,
        "-m",
        "asn_sql",
        "batch",
        str(pools_dir),
        "-p",
        str(out),
        "--db",
        str(db_path),
        "--workers",
        "1",
    ]
    # Its own session, so that kill -9 reaches the worker processes too.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    assert process.stdout is not None
    first = [process.stdout.readline(), process.stdout.readline()]  # printed after a commit
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert all(line.strip() for line in first)
    assert len(list(out.iterdir())) < len(SMALL_POOLS)

    resumed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    summary = resumed.stderr.strip().splitlines()[-1]
    skipped = int(summary.split(" skipped")[0].rsplit(" ", 1)[1])
    assert skipped >= 2, summary
    assert f"{len(SMALL_POOLS) - skipped} pools done" in summary
    # The copies were loaded from another folder: only pools.source differs.
    copies = [Path(p) for p in pools]
    assert_same_as_one_by_one(reference, db_path, out, copies, frozenset({"source"}))

    # Run again, nothing to do; --force redoes one pool (a new run, the same files).
    again = batch(str(pools_dir), "-p", str(out), "--db", str(db_path), "--workers", "1")
    assert again.exit_code == 0, again.output
    assert f"0 pools done, {len(SMALL_POOLS)} skipped" in again.stderr
    forced = batch(str(pools[0]), "-p", str(out), "--db", str(db_path), "--force", "--workers", "1")
    assert forced.exit_code == 0, forced.output
    con = duckdb.connect(str(db_path), read_only=True)
    runs = con.execute("select p.name, count(*) from runs join pools p using (pool_id) group by 1")
    counts = dict(runs.fetchall())
    con.close()
    assert counts == {name: 2 if name == SMALL_POOLS[0] else 1 for name in SMALL_POOLS}
    assert written(out / Path(SMALL_POOLS[0]).stem) == reference.texts(Path(SMALL_POOLS[0]))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_ctrl_c_stops_a_batch_with_one_line_and_keeps_what_was_recorded(tmp_path: Path) -> None:
    # The terminal sends SIGINT to the whole process group: the coordinator and its
    # workers. The workers end without a traceback; the coordinator prints one line.
    pools_dir, out, db_path = tmp_path / "pools", tmp_path / "out", tmp_path / "asn.duckdb"
    pools_dir.mkdir()
    for name in SMALL_POOLS:
        shutil.copy(POOLS / name, pools_dir / name)
    command = [sys.executable, "-m", "asn_sql", "batch", str(pools_dir), "-p", str(out)]
    process = subprocess.Popen(
        [*command, "--db", str(db_path), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # a shell's background job ignores SIGINT; give the child the default handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Interrupt while the workers start and take their first pools: once they have
    # worked a second between them (CPU time, whatever the load), far from six pools.
    wait_until(
        lambda: (
            process.poll() is not None
            or sum(cpu_seconds(int(child)) for child in _children(process.pid)) >= 1.0
        )
    )
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    runs = []
    if db_path.exists():  # a batch that recorded no pool removes the database it created
        con = duckdb.connect(str(db_path), read_only=True)
        runs = [
            run_id for (run_id,) in con.execute("select run_id from runs order by 1").fetchall()
        ]
        con.close()
        assert runs, "a database with no run was left"
    assert len(runs) < len(SMALL_POOLS)
    if not runs:
        assert err.endswith("Error: interrupted\n"), err
        assert not out.exists()
    else:  # the line says which runs were kept, each with its folder, and how to remove them
        last = err.splitlines()[-1]
        assert last.startswith("Error: interrupted after"), err
        assert f"(asnsql runs --delete {' '.join(map(str, runs))} removes them)" in last


def _children(pid: int) -> list[str]:
    """The child processes of ``pid`` (Linux's /proc)."""
    return [
        child
        for task in Path(f"/proc/{pid}/task").glob("*")
        for child in (task / "children").read_text().split()
    ]


def test_a_skipped_pool_whose_folder_is_gone_is_written_again_from_the_database(
    tmp_path: Path,
) -> None:
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    pool = POOLS / "pool_002_image_miri.csv"
    first = batch(str(pool), "-p", str(out), "--db", str(db_path), "--workers", "1")
    assert first.exit_code == 0, first.output
    before = written(out / pool.stem)
    shutil.rmtree(out / pool.stem)
    second = batch(str(pool), "-p", str(out), "--db", str(db_path), "--workers", "1")
    assert second.exit_code == 0, second.output
    assert "0 pools done, 1 skipped" in second.stderr
    assert written(out / pool.stem) == before


def test_batch_refuses_an_unreachable_scheduler_with_exit_2(tmp_path: Path) -> None:
    result = batch(
        str(POOLS / "pool_002_image_miri.csv"),
        "--db",
        str(tmp_path / "asn.duckdb"),
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")


def test_a_chunk_of_pools_in_one_pass_records_what_generate_records(
    reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every pool in one chunk: one pass of the rules over all of them
    monkeypatch.setattr("asn_sql.tools.batch._chunk_rows", lambda pools, slots: 10**6)
    folder, pools, ignored = pools_folder("some", tmp_path)
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    result = batch(str(folder), "-p", str(out), "--db", str(db_path), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert_same_as_one_by_one(reference, db_path, out, pools, ignored)


def test_a_pool_that_cannot_be_recorded_fails_alone_in_its_chunk(
    reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One chunk, recorded in one transaction: a file where one pool's folder goes keeps
    # that pool out of it, and the chunk's other pools are recorded.
    monkeypatch.setattr("asn_sql.tools.batch._chunk_rows", lambda pools, slots: 10**6)
    folder, pools, ignored = pools_folder("some", tmp_path)
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    blocked = pools[1]
    out.mkdir()
    (out / blocked.stem).write_text("someone's file", encoding="utf-8")
    result = batch(str(folder), "-p", str(out), "--db", str(db_path), "--workers", "1")
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {blocked}: {out / blocked.stem}: is a file, not this pool's folder; move it away"
    ]
    assert "batch: 2 pools done, 0 skipped, 1 failed" in result.stderr
    assert (out / blocked.stem).read_text(encoding="utf-8") == "someone's file"
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [name for (name,) in con.execute("select name from pools order by name").fetchall()]
    assert names == sorted(p.name for p in pools if p != blocked)
    (out / blocked.stem).unlink()
    assert_same_as_one_by_one(reference, db_path, out, [p for p in pools if p != blocked], ignored)


def test_a_chunk_whose_transaction_fails_records_its_pools_one_by_one(
    reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which pool made the chunk's transaction fail is not known: each pool is recorded
    # alone then, so that an error names its pool; the rows and files are the same.
    monkeypatch.setattr("asn_sql.tools.batch._chunk_rows", lambda pools, slots: 10**6)

    def failing(*args: object) -> None:
        raise duckdb.ConstraintException("a row the chunk cannot take")

    monkeypatch.setattr("asn_sql.tools.batch_record._insert_chunk", failing)
    folder, pools, ignored = pools_folder("some", tmp_path)
    db_path, out = tmp_path / "asn.duckdb", tmp_path / "out"
    result = batch(str(folder), "-p", str(out), "--db", str(db_path), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "batch: 3 pools done, 0 skipped, 0 failed" in result.stderr
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert_same_as_one_by_one(reference, db_path, out, pools, ignored)


def test_each_pool_of_a_chunk_hands_back_only_its_own_rows() -> None:
    # A pickled Arrow slice carries its whole table's buffers: were a pool's rows a
    # slice of the chunk's, every outcome would carry the chunk to the coordinator
    # (a batch of 200 small pools then held 2.6 GB there).
    from asn_sql.tools.batch_task import PoolTask, run_chunk

    pools = [
        POOLS / name for name in ("pool_002_image_miri.csv", "pool_010_spec_nirspec_lv2bkg.csv")
    ]
    tasks = [PoolTask(str(p), p.read_bytes(), "|", GenerateOptions()) for p in pools]
    outcomes = run_chunk(tasks)
    assert [o.error for o in outcomes] == [None, None]
    alone = {o.source: o for o in (run_chunk([task])[0] for task in tasks)}
    for outcome in outcomes:
        for name, table in outcome.tables.items():
            assert table.num_rows == alone[outcome.source].tables[name].num_rows, name
            # (buffers round up a little; another pool's rows would double them)
            assert table.get_total_buffer_size() <= 1.1 * table.nbytes + 64, name
