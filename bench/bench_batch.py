"""Time `asnsql batch` over many generated pools: 1 local worker, 2 local workers, and a
local Dask cluster of 2 workers.

    python bench/bench_batch.py [--pools 200] [--sizes 20,50,100,200] [--skip-dask]

The pools come from bench/pool_generator.py, each with its own seed and a size taken
in turn from --sizes. Each set-up starts from a new database and output folder and is
timed whole, from opening the executor (starting the worker processes, or connecting
to the running cluster) to the last pool recorded; the Dask cluster itself is started
before the clock. The figures are pools per second and the speed-up against 1 worker,
measured in the same run; the machine's load average is printed beside them, since
other processes on the machine take cores from the workers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from asn_sql.engine.run import GenerateOptions
from asn_sql.tools.batch import BatchSettings, BatchSummary, PoolReport, open_executor, run_batch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pool_generator import write_pool  # noqa: E402


def make_pools(folder: Path, count: int, sizes: list[int]) -> list[Path]:
    """``count`` pools of the given sizes in turn, seed i for the i-th."""
    return [
        write_pool(
            folder / f"jw_bench_{i:04d}_{sizes[i % len(sizes)]}_pool.csv", sizes[i % len(sizes)], i
        )
        for i in range(count)
    ]


def timed_batch(
    pools: list[Path], workers: int | None, scheduler: str | None, folder: Path
) -> tuple[float, BatchSummary]:
    """Seconds for one whole batch on a new database, and its summary."""
    settings = BatchSettings(GenerateOptions(), output_dir=folder / "out", delimiter="|")
    failures: list[str] = []

    def report(pool: PoolReport) -> None:
        if pool.error:
            failures.append(pool.error)

    started = time.perf_counter()
    with open_executor(workers, scheduler) as (executor, slots):
        threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // slots)
        summary = run_batch(
            folder / "asn.duckdb", pools, settings, executor, slots, report, threads=threads
        )
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} pools failed, the first: {failures[0]}")
    return seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=200)
    parser.add_argument("--sizes", default="20,50,100,200", help="pool sizes in rows, in turn")
    parser.add_argument("--skip-dask", action="store_true", help="local workers only")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "pools").mkdir()
        pools = make_pools(root / "pools", args.pools, sizes)
        rows = sum(sizes[i % len(sizes)] for i in range(args.pools))
        print(f"{len(pools)} pools ({rows:,} exposures, sizes {args.sizes}); {os.cpu_count()} CPUs")
        results: dict[str, tuple[float, BatchSummary]] = {}
        for label, workers in (("1 worker", 1), ("2 workers", 2)):
            (root / label).mkdir()
            results[label] = timed_batch(pools, workers, None, root / label)
            _print(label, results, _load())
        if not args.skip_dask:
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster:
                (root / "dask").mkdir()
                label = "dask, 2 workers"
                results[label] = timed_batch(pools, None, cluster.scheduler_address, root / "dask")
                _print(label, results, _load())
        counts = {label: Counter(summary.by_type) for label, (_, summary) in results.items()}
        same = all(count == counts["1 worker"] for count in counts.values())
        total = sum(counts["1 worker"].values())
        print(f"associations: {total:,} in every set-up: {same}")


def _print(label: str, results: dict[str, tuple[float, BatchSummary]], load: str) -> None:
    seconds, summary = results[label]
    base = results["1 worker"][0]
    print(
        f"{label:>16}: {seconds:7.1f} s, {summary.done / seconds:5.2f} pools/s, "
        f"speed-up {base / seconds:4.2f}x against 1 worker (load average {load})",
        flush=True,
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
