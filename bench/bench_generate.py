"""Time asnsql on mega_pool: load, generate, write; Level 3 alone and all levels.

    python bench/bench_generate.py [--repeat N] [--pool PATH]

Each measurement runs in a fresh temporary database and output folder; the
figure printed is the median of the repeats. "generate" is the run itself (the
rules, finalize, recording the run, building and schema-checking the
documents); "write" is writing the files, which depends mostly on the file
system. "whole process" is `asnsql generate POOL -p OUT` run as a new process
on a new database, imports included (wall time, and the CPU time of the
process). jwst 3.0.0's own time for the same
pool (fixtures/expected/MANIFEST.json, measured on a 2-core machine) is the
baseline the ratio is printed against; it is a recorded figure, not re-run here.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions
from asn_sql.io.documents import write_documents
from asn_sql.io.load import load_pools

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "fixtures" / "expected" / "MANIFEST.json"


def measure(pool: Path, levels: tuple[int, ...]) -> dict[str, float]:
    """Seconds for each phase of one cold run, and the associations written."""
    with tempfile.TemporaryDirectory() as folder:
        db_path, out = Path(folder) / "asn.duckdb", Path(folder) / "out"
        started = time.perf_counter()
        load_pools(db_path, [pool], delimiter="|", replace=False)
        loaded = time.perf_counter()
        options = GenerateOptions(levels=levels)
        result = generate_documents(db_path, pool.name, options, output_dir=None)
        generated = time.perf_counter()
        out.mkdir()
        written = write_documents(result.documents, out)
        finished = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        # The same work as one `asnsql generate POOL --path OUT` on a new database.
        one_call = time.perf_counter()
        generate_documents(
            Path(folder) / "asn.duckdb", str(pool), options, output_dir=Path(folder) / "out"
        )
        one_call = time.perf_counter() - one_call
    whole, cpu = whole_process(pool, levels)
    return {
        "whole process": whole,
        "whole process cpu": cpu,
        "load": loaded - started,
        "generate": generated - loaded,
        "write": finished - generated,
        "total": finished - started,
        "one command": one_call,
        "associations": float(len(written)),
    }


def whole_process(pool: Path, levels: tuple[int, ...]) -> tuple[float, float]:
    """Wall and CPU seconds of `asnsql generate POOL -p out` as a new process."""
    level = "all" if levels == (2, 3) else str(levels[0])
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "asn_sql", "generate", str(pool.resolve())]
        command += ["-p", "out", "--level", level]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=folder, check=True, capture_output=True, env=dict(os.environ))
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def jwst_seconds(pool: Path) -> float | None:
    """jwst 3.0.0's recorded wall time for the pool (all levels), if known."""
    if not MANIFEST.exists():
        return None
    for entry in json.loads(MANIFEST.read_text())["pools"]:
        if entry["pool"] == pool.name:
            return float(entry["wall_seconds"])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pool", type=Path, default=ROOT / "fixtures" / "pools" / "mega_pool.csv")
    args = parser.parse_args()
    baseline = jwst_seconds(args.pool)
    print(f"pool: {args.pool.name}; median of {args.repeat} cold runs")
    for label, levels in (("level 3", (3,)), ("all levels", (2, 3))):
        runs = [measure(args.pool, levels) for _ in range(args.repeat)]
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        rate = median["associations"] / median["total"]
        line = (
            f"{label:>10}: load {median['load']:.3f} s, generate {median['generate']:.3f} s, "
            f"write {median['write']:.3f} s, total {median['total']:.3f} s "
            f"(as one command: {median['one command']:.3f} s), "
            f"{int(median['associations'])} associations, {rate:,.0f} associations/s; "
            f"whole process {median['whole process']:.3f} s "
            f"({median['whole process cpu']:.3f} s CPU)"
        )
        if baseline and levels == (2, 3):
            line += f"; jwst 3.0.0 {baseline:.1f} s = {baseline / median['total']:,.0f}x slower"
        print(line)


if __name__ == "__main__":
    main()
