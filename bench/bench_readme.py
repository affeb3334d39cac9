"""The README's table: asnsql against jwst's `asn_generate` on a small, a medium and a big
pool, and the rate of a batch of many small pools, all measured in one run.

    python bench/bench_readme.py [--jwst VENV] [--repeat 5] [--big-repeat 3]
                                 [--pools SMALL MEDIUM BIG] [--batch-pools 200]
                                 [--sizes 40-70] [--workers 2] [--jwst-batch-pools 6]

- Each pool (default: jw09505_20251216t202003_pool, 8 rows; pool_010_spec_nirspec_lv2bkg,
  20; mega_pool, 837): the whole process `asnsql generate POOL -p OUT` on a new database,
  median of --repeat runs (--big-repeat for the last pool), wall and CPU seconds (user +
  system, DuckDB's threads included); with --jwst VENV, jwst's `VENV/bin/asn_generate POOL
  -p OUT` the same way, taking turns with asnsql, once on the last pool (it takes minutes
  there), and the ratio jwst / asnsql.
- The batch: --batch-pools pools of --sizes rows made by bench/pool_generator.py, and the
  whole process `asnsql batch POOL... --workers N` on a new database, in pools per second;
  with --jwst, `asn_generate` a process a pool on the first --jwst-batch-pools of them,
  N processes at a time (as many as asnsql's workers), in pools per second.

It prints a Markdown table for the README, the peak memory of each process (the largest
over its runs; for the batch, of any one of its processes) and the machine's load
average at the start and the end: on a shared machine CPU time is the steadier figure,
and the two tools are measured in the same minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import make_pools  # noqa: E402
from bench_fixed_cost import compile_bytecode, timed_process, whole_asnsql, whole_jwst  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POOLS = ROOT / "fixtures" / "pools"
DEFAULT_POOLS = [
    POOLS / "jw09505_20251216t202003_pool.csv",
    POOLS / "pool_010_spec_nirspec_lv2bkg.csv",
    POOLS / "mega_pool.csv",
]
SIZE_NAMES = ("small", "medium", "big")


@dataclass
class Figures:
    """Medians of wall and CPU seconds, and the largest peak memory (MiB), over runs."""

    wall: float
    cpu: float
    peak: float
    runs: int

    @classmethod
    def of(cls, runs: list[dict[str, float]]) -> Figures:
        return cls(
            wall=statistics.median(r["wall"] for r in runs),
            cpu=statistics.median(r["cpu"] for r in runs),
            peak=max(r["peak"] for r in runs),
            runs=len(runs),
        )


def rows_of(pool: Path) -> int:
    """The exposures of a pool file (its lines but comments, blanks and the header)."""
    lines = pool.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.startswith("#")) - 1


def measure_pool(
    pool: Path, repeat: int, jwst: Path | None, jwst_repeat: int
) -> tuple[Figures, Figures | None]:
    """asnsql's and jwst's whole process on ``pool``, taking turns."""
    ours, theirs = [], []
    for i in range(repeat):
        ours.append(whole_asnsql(pool))
        if jwst is not None and i < jwst_repeat:
            theirs.append(whole_jwst(jwst, pool))
    return Figures.of(ours), Figures.of(theirs) if theirs else None


def batch_asnsql(pools: list[Path], workers: int) -> Figures:
    """`asnsql batch POOL... --workers N` as one new process, on a new database."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "asn_sql", "batch", *(str(p) for p in pools)]
        command += ["-p", "out", "--db", "asn.duckdb", "--workers", str(workers)]
        return Figures.of([timed_process(command, Path(folder))])


def batch_jwst(venv: Path, pools: list[Path], parallel: int) -> Figures:
    """jwst's `asn_generate`, a process a pool, ``parallel`` at a time: the wall seconds of
    the whole, the CPU seconds of all the processes, the largest peak."""
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as workers:
        runs = list(workers.map(lambda pool: whole_jwst(venv, pool), pools))
    return Figures(
        wall=time.perf_counter() - started,
        cpu=sum(r["cpu"] for r in runs),
        peak=max(r["peak"] for r in runs),
        runs=1,
    )


def _seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def pool_row(label: str, pool: Path, ours: Figures, theirs: Figures | None) -> str:
    """One pool's line of the table: wall seconds, CPU seconds beside them."""
    jwst, ratio = "not measured", "–"
    if theirs:
        jwst = f"{_seconds(theirs.wall)} ({_seconds(theirs.cpu)} CPU)"
        ratio = f"{_times(theirs.wall / ours.wall)} ({_times(theirs.cpu / ours.cpu)} CPU)"
    name = pool.name.removesuffix(".csv")
    return (
        f"| {label}: `{name}`, {rows_of(pool):,} rows | "
        f"{_seconds(ours.wall)} ({_seconds(ours.cpu)} CPU) | {jwst} | {ratio} |"
    )


def batch_row(
    n_pools: int, sizes: str, workers: int, ours: Figures, theirs: Figures | None, sample: int
) -> str:
    """The batch's line of the table: pools per second, CPU seconds a pool beside them."""
    rate, cpu = n_pools / ours.wall, ours.cpu / n_pools
    jwst, ratio = "not measured", "–"
    if theirs:
        their_rate, their_cpu = sample / theirs.wall, theirs.cpu / sample
        jwst = f"{their_rate:.2f} pools/s ({_seconds(their_cpu)} CPU a pool)"
        ratio = f"{_times(rate / their_rate)} ({_times(their_cpu / cpu)} CPU)"
    return (
        f"| batch: {n_pools} generated pools of {sizes} rows, {workers} worker"
        f"{'s' if workers != 1 else ''} | "
        f"{rate:.1f} pools/s ({_seconds(cpu)} CPU a pool) | {jwst} | {ratio} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jwst", type=Path, help="a virtualenv with jwst's asn_generate")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each small pool")
    parser.add_argument("--big-repeat", type=int, default=3, help="asnsql's runs of the last pool")
    parser.add_argument("--pools", type=Path, nargs="+", default=DEFAULT_POOLS)
    parser.add_argument("--batch-pools", type=int, default=200)
    parser.add_argument("--sizes", default="40-70", help="batch pool sizes in rows, in turn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--jwst-batch-pools", type=int, default=6, help="jwst's batch sample")
    args = parser.parse_args(argv)
    compile_bytecode(ROOT)
    load_start = _load()
    lines = ["| | asnsql | jwst 3.0.0 `asn_generate` | jwst / asnsql |", "|---|---|---|---|"]
    peaks = []
    for i, pool in enumerate(args.pools):
        big = i == len(args.pools) - 1 and len(args.pools) > 1
        repeat = args.big_repeat if big else args.repeat
        ours, theirs = measure_pool(pool, repeat, args.jwst, 1 if big else repeat)
        label = SIZE_NAMES[min(i, 2)] if len(args.pools) <= 3 else f"pool {i + 1}"
        lines.append(pool_row(label, pool, ours, theirs))
        peaks.append((pool.name, ours, theirs))
        print(f"  measured {pool.name} (load average {_load()})", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        sizes = _sizes(args.sizes)
        pools = make_pools(Path(scratch), args.batch_pools, sizes)
        ours = batch_asnsql(pools, args.workers)
        sample = min(args.jwst_batch_pools, len(pools))
        theirs = batch_jwst(args.jwst, pools[:sample], args.workers) if args.jwst else None
    lines.append(batch_row(len(pools), args.sizes, args.workers, ours, theirs, sample))
    peaks.append(("batch", ours, theirs))
    sys.stderr.flush()
    print("\n".join(lines))
    big = (
        f" ({args.big_repeat} of asnsql, 1 of jwst on the last pool)" if len(args.pools) > 1 else ""
    )
    print(
        f"\nwhole processes on a new database; medians of {args.repeat}{big}; "
        f"{os.cpu_count()} CPUs; load average {load_start} at the start, {_load()} at the end"
    )
    for name, mine, theirs in peaks:
        jwst = f", jwst {theirs.peak:.0f} MiB" if theirs else ""
        print(f"peak memory, {name}: asnsql {mine.peak:.0f} MiB{jwst}")


def _sizes(text: str) -> list[int]:
    if "-" in text:
        low, high = (int(part) for part in text.split("-"))
        return list(range(low, high + 1))
    return [int(size) for size in text.split(",")]


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
