"""How generate grows with the candidate ids of one ASN_CANDIDATE cell.

    python bench/bench_candidates.py [--repeat N]

One pool of five NIRCam rows, the first listing N candidate ids (up to what the
65,536-character limit on a value allows); each N runs `generate --level 3` on a
fresh database. Printed: the median "scopes" phase (where each candidate's rows
are found) and the whole run, and their ratio to the smallest N. Linear work
doubles when N doubles; the substring test that sql/engine/scopes.sql replaced
grew with N x rows x cell length (4,000 ids: 3.1 s and 0.8 GB; 40,000 ids did
not finish in 90 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions

HEADER = (
    "FILENAME|PROGRAM|OBS_NUM|EXP_TYPE|INSTRUME|DETECTOR|FILTER|PUPIL|TARGETID|PNTGTYPE"
    "|ASN_CANDIDATE"
)
ROW = (
    "jw01234001001_02101_0000{k}_nrca1_uncal.fits|1234|1|NRC_IMAGE|NIRCAM|NRCA1|F200W|CLEAR|1"
    "|SCIENCE|{cell}"
)
SIZES = (350, 700, 1400, 2800)


def pool_text(n: int) -> str:
    """A pool whose first row lists ``n`` candidate ids (c1000, c1001, ...)."""
    cell = "[" + ", ".join(f"('c{1000 + i}', 'mosaic')" for i in range(n)) + "]"
    rows = [ROW.format(k=1, cell=cell)]
    rows += [ROW.format(k=k, cell="[('o001', 'observation')]") for k in range(2, 6)]
    return "\n".join([HEADER, *rows]) + "\n"


def measure(n: int) -> tuple[float, float]:
    """Seconds of the scopes phase and of the whole generate, on a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        pool = Path(folder) / f"ids_{n}.csv"
        pool.write_text(pool_text(n))
        started = time.perf_counter()
        result = generate_documents(
            Path(folder) / "asn.duckdb", str(pool), GenerateOptions(levels=(3,)), output_dir=None
        )
        return result.summary.timings["scopes"], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    measure(SIZES[0])  # warm up: the rendered SQL is cached after the first run
    base: tuple[float, float] | None = None
    print(f"{'ids':>6} {'scopes s':>9} {'x':>6} {'generate s':>11} {'x':>6}")
    for n in SIZES:
        runs = [measure(n) for _ in range(args.repeat)]
        scopes = statistics.median(r[0] for r in runs)
        total = statistics.median(r[1] for r in runs)
        base = base or (scopes, total)
        print(
            f"{n:>6} {scopes:>9.3f} {scopes / base[0]:>6.2f} {total:>11.3f} {total / base[1]:>6.2f}"
        )


if __name__ == "__main__":
    main()
