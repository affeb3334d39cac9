"""How asnsql grows with the pool: time and peak memory per phase, 10^3 to 10^6 rows.

    python bench/bench_scale.py [--max-rows 1000000] [--seed 0] [--memory-limit 4GB]
                                [--threads N] [--address-space-gb 12]

Each size runs in a fresh child process on a new database in a temporary
folder, on a pool from bench/pool_generator.py (made before the clock starts).
Phases: load (the pool into the database), rules (scopes and every rule),
finalize (pruning, numbering, storing the run and its orphans) and write (the
documents built, schema-checked and written a batch at a time, as
`asnsql generate` does). CPU seconds (all
threads) are printed beside the wall time: on a shared machine they are the
steadier figure. Peak memory is the
largest resident set of the process seen during the phase (sampled every
10 ms). Figures are printed against the 10^3-row run of the same invocation;
the growth exponent is the slope of log(time) against log(rows), least
squares, over every size and over the sizes from 10^4 up (where fixed costs
such as query planning no longer dominate). The child's address space is
capped (``--address-space-gb``) and DuckDB's memory limit set, so that a run
that would grow without bound fails instead of exhausting a shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHASES = ("load", "rules", "finalize", "write")
_PAGE = os.sysconf("SC_PAGE_SIZE")


class MemorySampler(threading.Thread):
    """Samples the resident set every 10 ms and keeps the largest per phase label."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        with open("/proc/self/statm") as statm:
            while not self._halt.is_set():
                statm.seek(0)
                resident = int(statm.read().split()[1]) * _PAGE
                self.samples.append((time.perf_counter(), resident))
                time.sleep(0.01)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak(self, start: float, end: float) -> int:
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside, default=0)


def child(rows: int, seed: int) -> dict[str, object]:
    """Run every phase once on a generated pool of ``rows``; seconds and bytes per phase."""
    sys.path.insert(0, str(HERE))
    from pool_generator import write_pool

    from asn_sql import db
    from asn_sql.api import resolve_pool
    from asn_sql.engine.run import GenerateOptions, generate_run
    from asn_sql.io.documents import write_run_documents
    from asn_sql.io.load import load_pools

    with tempfile.TemporaryDirectory(prefix="bench_scale_") as folder:
        pool = write_pool(Path(folder) / f"scale_{rows}.csv", rows, seed)
        db_path, out = Path(folder) / "asn.duckdb", Path(folder) / "out"
        sampler = MemorySampler()
        sampler.start()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_start = usage.ru_utime + usage.ru_stime
        marks = {"start": time.perf_counter()}
        load_pools(db_path, [pool], delimiter="|", replace=False)
        marks["load"] = time.perf_counter()
        con = db.connect_memory(spill_beside=db_path)
        pool_id, _ = resolve_pool(con, db_path, pool.name)
        generate_started = time.perf_counter()
        summary = generate_run(con, pool_id, GenerateOptions())
        marks["finalize"] = time.perf_counter()
        # generate_run reports its steps' durations; the rules end where they say.
        steps = summary.timings
        marks["rules"] = generate_started + steps["scopes"] + steps["rules"]
        out.mkdir()
        write_run_documents(con, summary.run_id, out)
        con.close()
        marks["write"] = time.perf_counter()
        sampler.stop()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_start
    seconds, peaks, previous = {}, {}, marks["start"]
    for phase in PHASES:
        seconds[phase] = marks[phase] - previous
        peaks[phase] = sampler.peak(previous, marks[phase])
        previous = marks[phase]
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_bytes": peaks,
        "cpu_seconds": cpu,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "associations": summary.n_associations,
    }


def run_size(rows: int, args: argparse.Namespace) -> dict[str, object]:
    """One size in a child process with a capped address space and DuckDB limits."""
    env = dict(os.environ, ASNSQL_MEMORY_LIMIT=args.memory_limit)
    if args.threads:
        env["ASNSQL_THREADS"] = str(args.threads)
    cap = int(args.address_space_gb * 2**30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    command = [sys.executable, __file__, "--child", str(rows), "--seed", str(args.seed)]
    done = subprocess.run(
        command, env=env, preexec_fn=limit, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"rows": rows, "error": tail}
    return json.loads(done.stdout.splitlines()[-1])


def exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(seconds) against log(rows)."""
    if len(points) < 2:
        return None
    xs = [math.log(rows) for rows, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mean_x) ** 2 for x in xs)
    return num / den


def sizes(max_rows: int) -> list[int]:
    """10^3, 10^3.5, 10^4 ... up to max_rows, rounded."""
    found, power = [], 3.0
    while round(10**power) <= max_rows:
        found.append(int(round(10**power, -1)))
        power += 0.5
    return found


def report(results: list[dict[str, object]]) -> None:
    good = [r for r in results if "error" not in r]
    base = good[0] if good else None
    print(
        f"{'rows':>9} {'total s':>8} {'x base':>7} {'cpu s':>7} "
        + " ".join(f"{p:>15}" for p in PHASES)
    )
    for result in results:
        if "error" in result:
            print(f"{result['rows']:>9,} failed: {result['error']}")
            continue
        seconds, peaks = result["seconds"], result["peak_bytes"]
        total = sum(seconds.values())
        ratio = total / sum(base["seconds"].values())
        cells = " ".join(f"{seconds[p]:>6.2f}s {peaks[p] / 2**20:>6.0f}M" for p in PHASES)
        cpu = result["cpu_seconds"]
        print(f"{result['rows']:>9,} {total:>8.2f} {ratio:>7.1f} {cpu:>7.1f} {cells}")
    if base is None:
        return
    wall = [(r["rows"], sum(r["seconds"].values())) for r in good]
    cpu_points = [(r["rows"], r["cpu_seconds"]) for r in good]
    peak = max(good, key=lambda r: r["rows"])
    print(
        f"largest: {peak['rows']:,} rows in {sum(peak['seconds'].values()):.1f} s, "
        f"peak resident {max(peak['peak_bytes'].values()) / 2**30:.2f} GiB, "
        f"{peak['associations']:,} associations; rows x{peak['rows'] / base['rows']:,.0f} "
        f"= time x{sum(peak['seconds'].values()) / sum(base['seconds'].values()):,.1f}"
    )
    for clock, points in (("wall", wall), ("cpu", cpu_points)):
        for label, chosen in (
            ("all sizes", points),
            ("10^4 rows up", [p for p in points if p[0] >= 10_000]),
        ):
            slope = exponent(chosen)
            if slope is not None:
                print(f"growth exponent, {clock} time, {label}: time ~ rows^{slope:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit per run")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: every CPU)")
    parser.add_argument("--address-space-gb", type=float, default=12.0)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.seed)))
        return
    results = []
    for rows in sizes(args.max_rows):
        result = run_size(rows, args)
        results.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)
    report(results)


if __name__ == "__main__":
    main()
