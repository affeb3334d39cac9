"""Time `asnsql explain` on mega_pool's database: read from the run (migration 0009)
against the rerun it replaced, measured in the same run as baseline.

    python bench/bench_explain.py [--repeat N] [--pool PATH]

Each figure is the median over the repeats of one whole process (`asnsql explain NAME
--db DB`, imports included): wall time and the process's CPU time (user + system).
"stored" explains from what generate stored; "rerun" is the same command on a copy of
the database whose stored rows are deleted, as for a run recorded before migration
0009 (the old explain: every rule run again); "floor" is `asnsql query 'select 1'`,
the fixed cost of any command on that database. It also prints what storing costs
generate: the run's own "orphans" and "explain" phases (which evaluate every rule's
conditions once and store the verdicts; before 0009 the orphans phase alone cost about a
third of that on mega_pool), against its whole time, and the rows kept.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
ASNSQL = [sys.executable, "-m", "asn_sql"]
# a member of several associations, an orphan eligible in two scopes, an orphan no rule
# takes, and an orphan that fails a light path
EXPOSURES = ("jw_00001", "jw_00347", "jw_00379", "jw_00342")


def process(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(ASNSQL + args, check=True, capture_output=True, env=os.environ)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median(args: list[str], repeat: int) -> tuple[float, float]:
    runs = [process(args) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pool", type=Path, default=ROOT / "fixtures" / "pools" / "mega_pool.csv")
    options = parser.parse_args()
    # bytecode written as an installation writes it (PYTHONDONTWRITEBYTECODE would leave
    # every process measured compiling asn_sql from source)
    import compileall

    compileall.compile_dir(ROOT / "asn_sql", quiet=1)
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        db, old = Path(folder) / "asn.duckdb", Path(folder) / "old.duckdb"
        subprocess.run(
            ASNSQL + ["load", str(options.pool), "--db", str(db)], check=True, capture_output=True
        )
        generated = [
            process(["generate", options.pool.name, "--dry-run", "--db", str(db)])
            for _ in range(options.repeat)
        ]
        shutil.copy(db, old)
        with duckdb.connect(str(old)) as con:
            for table in ("explain_verdicts", "explain_conditions", "explain_rules"):
                con.execute(f"delete from {table}")
        with duckdb.connect(str(db), read_only=True) as con:
            # the orphans phase evaluates every rule's conditions for both (since 0009)
            timings = con.execute(
                "select timings['orphans'] + timings['explain'], list_sum(map_values(timings)) "
                "from runs"
            ).fetchall()
            rows = con.execute(
                "select (select count(*) from explain_verdicts where run_id = 1), "
                "(select count(*) from explain_conditions where run_id = 1)"
            ).fetchone()
        stored_s = statistics.median(t for t, _ in timings)
        total_s = statistics.median(t for _, t in timings)
        print(
            f"generate (whole process, median of {len(generated)}): "
            f"{statistics.median(w for w, _ in generated):.2f} s wall, "
            f"{statistics.median(c for _, c in generated):.2f} s CPU; of the run's "
            f"{total_s:.2f} s, the orphans and explain phases took {stored_s:.2f} s "
            f"({100 * stored_s / total_s:.0f}%); rows per run: {rows[0]} verdicts, "
            f"{rows[1]} conditions"
        )
        floor = median(["query", "select 1", "--db", str(db)], options.repeat)
        print(f"floor   (query 'select 1'):  {floor[0]:.2f} s wall, {floor[1]:.2f} s CPU")
        for name in EXPOSURES:
            new = median(["explain", name, "--db", str(db)], options.repeat)
            before = median(["explain", name, "--db", str(old)], max(1, options.repeat // 2))
            print(
                f"explain {name}: stored {new[0]:.2f} s wall, {new[1]:.2f} s CPU; "
                f"rerun {before[0]:.2f} s wall, {before[1]:.2f} s CPU "
                f"({before[1] / new[1]:.1f}x the CPU)"
            )
        every = median(["explain", "--orphans", "--db", str(db)], options.repeat)
        print(f"explain --orphans: {every[0]:.2f} s wall, {every[1]:.2f} s CPU")
    print(f"load at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
