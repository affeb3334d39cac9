"""Time `asnsql export` to CSV and JSON against DuckDB's own COPY of the same rows.

    python bench/bench_export.py [--rows N] [--repeat N]

asnsql writes CSV and JSON itself, so every value takes the one conversion `query -f`
prints (strict JSON, base64 blobs, ISO intervals); DuckDB's COPY, measured in the same
run on the same table, is the baseline the ratio is printed against. The table mimics
`exposures`: 20 text columns, 4 numbers, a MAP; with ``--floats`` two of the numbers
are DOUBLE, which asnsql converts in Python (DuckDB writes the others' CSV cells).
Peak memory is the process's maximum resident size after each format.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from asn_sql.io.export import export


def build(folder: Path, rows: int, floats: bool) -> Path:
    """A database holding a table ``wide`` of ``rows`` rows."""
    path = folder / "bench.duckdb"
    numbers = "range / 3.0 as x, random() as y" if floats else "range * 3 as x, range % 7 as y"
    con = duckdb.connect(str(path))
    texts = ", ".join(f"'v' || (range % {7 + i})::varchar as t{i}" for i in range(20))
    con.execute(
        f"create table wide as select range as id, {texts}, {numbers}, range % 100 as k, "
        "(range * 7)::decimal(18, 3) as d, "
        "map {'extra': range::varchar} as extra from range($rows)",
        {"rows": rows},
    )
    con.close()
    return path


COPY_OPTIONS = {"csv": "format csv, header true", "json": "format json, array true"}


def timed(work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--floats", action="store_true", help="two DOUBLE columns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db_path = build(folder, args.rows, args.floats)
        print(f"{args.rows} rows x 26 columns; median of {args.repeat}")
        for fmt, options in COPY_OPTIONS.items():
            ours = statistics.median(
                timed(lambda: export(db_path, "wide", folder / f"out.{fmt}"))  # noqa: B023
                for _ in range(args.repeat)
            )
            con = duckdb.connect(str(db_path), read_only=True)
            target = str(folder / f"copy.{fmt}")
            baseline = statistics.median(
                timed(lambda: con.execute(f"copy wide to '{target}' ({options})"))  # noqa: B023
                for _ in range(args.repeat)
            )
            con.close()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{fmt:5} asnsql {ours:6.2f} s  COPY {baseline:6.2f} s  "
                f"ratio {ours / baseline:5.1f}  peak RSS {peak:6.0f} MB"
            )


if __name__ == "__main__":
    main()
