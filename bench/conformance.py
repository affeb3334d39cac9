"""Generate every fixture pool and score the files against jwst 3.0.0's (fixtures/expected/).

    python bench/conformance.py [--level 2|3|all] [--out DIR] [POOL ...]

Prints compare.py's per-pool summary lines, then the overall conformance line.
compare.py is read from ../shared/conformance/ when present, else skipped.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from asn_sql.api import generate_documents
from asn_sql.engine.run import GenerateOptions

ROOT = Path(__file__).resolve().parent.parent
POOLS = ROOT / "fixtures" / "pools"
EXPECTED = ROOT / "fixtures" / "expected"
COMPARE = ROOT.parent / "shared" / "conformance" / "compare.py"
LEVELS = {"2": (2,), "3": (3,), "all": (2, 3)}


def generate_all(out: Path, level: str, names: list[str]) -> float:
    """Write each pool's associations to out/<pool>/; return the seconds spent."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "asn.duckdb"
        for pool in sorted(POOLS.glob("*.csv")):
            if not (EXPECTED / pool.stem).is_dir() or (names and pool.stem not in names):
                continue
            target = out / pool.stem
            target.mkdir(parents=True, exist_ok=True)
            for old in target.glob("*.json"):
                old.unlink()
            generate_documents(
                db_path, str(pool), GenerateOptions(levels=LEVELS[level]), output_dir=target
            )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=sorted(LEVELS), default="all")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "conformance")
    parser.add_argument("pools", nargs="*", help="pool names (file stems); all when none")
    args = parser.parse_args()
    seconds = generate_all(args.out, args.level, args.pools)
    print(f"generated in {seconds:.2f} s -> {args.out}")
    if not COMPARE.exists():
        print("compare.py not found; skipping the score")
        return 0
    expected, actual = EXPECTED, args.out
    if args.pools:
        expected, actual = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        for name in args.pools:
            shutil.copytree(EXPECTED / name, expected / name)
            shutil.copytree(args.out / name, actual / name)
    level = [] if args.level == "all" else ["--level", args.level]
    command = [sys.executable, str(COMPARE), "--recursive", *level, str(expected), str(actual)]
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
