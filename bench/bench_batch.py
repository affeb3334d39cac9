"""Time `asnsql batch` over many generated pools: pools in chunks (one pass of the engine
over each chunk, the batch's way) against a pool a task (the per-pool path), with 1 and 2
local workers, and a local Dask cluster of 2 workers.

    python bench/bench_batch.py [--pools 200] [--sizes 40-70] [--baseline-pools 200]
                                [--workers 2] [--skip-one-worker] [--skip-dask]
                                [--scratch DIR]

The pools come from bench/pool_generator.py, each with its own seed and a size taken
in turn from --sizes (a list such as 20,50,100, or a range such as 40-70: every size
of it in turn). Each set-up starts from a new database and output folder and is timed
whole, from opening the executor (starting the worker processes, or connecting to the
running cluster) to the last pool recorded; the Dask cluster itself is started before
the clock. The figures are pools per second, CPU seconds per pool (the coordinator and
its local worker processes, and the coordinator's share: it records every chunk and
writes every file, on the same cores as the workers; a Dask cluster's workers outlive the
batch and are not counted), the speed-up of chunks against a pool a
task (the first --baseline-pools pools, with as many workers) measured in the same run;
the machine's load average is printed beside them, since other processes on the machine
take cores from the workers. The pools, databases and output folders go in a new folder
inside --scratch (default: the system's temporary folder); where creating a file is
dear, the coordinator's share shows it (a batch of 200 such pools writes some 11,000).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[Any]:
    """A Dask scheduler and ``n_workers`` worker processes of one thread each on the
    loopback, as the README tells a cluster to run (tests/test_batch.py uses it too)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster


def timed_batch(
    pools: list[Path],
    workers: int | None,
    scheduler: str | None,
    folder: Path,
    chunk_rows: int | None = None,
) -> tuple[float, float, float, BatchSummary]:
    """Seconds, CPU seconds (this process and its finished worker processes) and CPU
    seconds of this process alone (the coordinator) for one whole batch on a new
    database, and its summary."""
    settings = BatchSettings(GenerateOptions(), output_dir=folder / "out", delimiter="|")
    failures: list[str] = []

    def report(pool: PoolReport) -> None:
        if pool.error:
            failures.append(pool.error)

    cpu, own = _cpu(), _cpu(children=False)
    started = time.perf_counter()
    with open_executor(workers, scheduler) as (executor, slots):
        threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // slots)
        summary = run_batch(
            folder / "asn.duckdb",
            pools,
            settings,
            executor,
            slots,
            report,
            threads=threads,
            chunk_rows=chunk_rows,
        )
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} pools failed, the first: {failures[0]}")
    return seconds, _cpu() - cpu, _cpu(children=False) - own, summary


def _cpu(*, children: bool = True) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if children:
        theirs = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += theirs.ru_utime + theirs.ru_stime
    return total


def _sizes(text: str) -> list[int]:
    if "-" in text:
        low, high = (int(part) for part in text.split("-"))
        return list(range(low, high + 1))
    return [int(size) for size in text.split(",")]


Result = tuple[float, float, float, BatchSummary]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=200)
    parser.add_argument("--sizes", default="40-70", help="pool sizes in rows, in turn")
    parser.add_argument(
        "--baseline-pools", type=int, default=None, help="pools of the per-pool run (all)"
    )
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--skip-one-worker", action="store_true", help="no 1-worker run")
    parser.add_argument("--skip-dask", action="store_true", help="local workers only")
    parser.add_argument("--scratch", type=Path, default=None, help="folder for the files")
    args = parser.parse_args()
    sizes = _sizes(args.sizes)
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        root = Path(scratch)
        (root / "pools").mkdir()
        pools = make_pools(root / "pools", args.pools, sizes)
        rows = sum(sizes[i % len(sizes)] for i in range(args.pools))
        print(f"{len(pools)} pools ({rows:,} exposures, sizes {args.sizes}); {os.cpu_count()} CPUs")
        results: dict[str, Result] = {}
        n = args.workers
        baseline = f"a pool a task, {n} workers"
        runs = [(baseline, n, 1, pools[: args.baseline_pools])]
        if not args.skip_one_worker:
            runs.append(("chunks, 1 worker", 1, None, pools))
        runs.append((f"chunks, {n} workers", n, None, pools))
        for label, workers, chunk_rows, chosen in runs:
            (root / label).mkdir()
            results[label] = timed_batch(chosen, workers, None, root / label, chunk_rows)
            _print(label, results, baseline, _load())
        if not args.skip_dask:
            with local_cluster() as cluster:
                label = "chunks, dask, 2 workers"
                (root / label).mkdir()  # where _check_same looks for its files
                results[label] = timed_batch(pools, None, cluster.scheduler_address, root / label)
                _print(label, results, baseline, _load())
        _check_same(results, baseline, root, args.baseline_pools)


def _check_same(
    results: dict[str, Result], baseline: str, root: Path, baseline_pools: int | None
) -> None:
    """Every set-up wrote the same files, byte for byte, as the per-pool path."""
    reference = _files(root / baseline / "out")
    same = True
    for label in results:
        files = _files(root / label / "out")
        if baseline_pools is not None:
            files = {
                path: data
                for path, data in files.items()
                if path.split("/")[0] in {p.split("/")[0] for p in reference}
            }
        same = same and files == reference
    total = sum(Counter(results[baseline][3].by_type).values())
    print(f"files byte-identical to a pool a task in every set-up: {same} ({total:,} associations)")


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*.json"))
    }


def _print(label: str, results: dict[str, Result], baseline: str, load: str) -> None:
    seconds, cpu, own, summary = results[label]
    rate = summary.done / seconds
    base_seconds, _, _, base_summary = results[baseline]
    ratio = rate / (base_summary.done / base_seconds)
    print(
        f"{label:>24}: {seconds:7.1f} s, {rate:6.2f} pools/s, {cpu / summary.done:6.3f} s CPU "
        f"a pool ({own / summary.done:5.3f} the coordinator's), {ratio:5.1f}x a pool a task "
        f"(load average {load})",
        flush=True,
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
