"""bench/bench_readme.py, which measures the README's table, in a tiny run without jwst."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import POOLS

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_readme.py"


def test_the_readme_bench_prints_a_markdown_table_of_pools_and_a_batch() -> None:
    pool = POOLS / "pool_021_tso.csv"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--pools", str(pool), "--repeat", "1"]
        + ["--batch-pools", "2", "--sizes", "5", "--workers", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        "| | asnsql | jwst 3.0.0 `asn_generate` | jwst / asnsql |",
        "|---|---|---|---|",
    ]
    small, batch = lines[2], lines[3]
    assert small.startswith("| small: `pool_021_tso`, 7 rows | ")
    assert small.endswith(" s CPU) | not measured | – |")
    assert batch.startswith("| batch: 2 generated pools of 5 rows, 1 worker | ")
    assert " pools/s (" in batch and batch.endswith("| not measured | – |")
    assert lines[4] == ""
    assert lines[5].startswith("whole processes on a new database; medians of 1; ")
    assert "load average" in lines[5]
    assert [line.split(":")[0] for line in lines[6:]] == [
        "peak memory, pool_021_tso.csv",
        "peak memory, batch",
    ]
