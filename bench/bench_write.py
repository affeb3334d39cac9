"""The write phase of `asnsql generate` against a baseline commit, in one session.

    python bench/bench_write.py [--sizes 10000 100000] [--mega] [--baseline main]
                                [--repeat 3] [--into new existing] [--seed 0]

The write phase is what follows the run: the documents built from the database a
batch at a time, checked against jwst's schema, and written as files, all or
nothing (asn_sql/io/documents.py ``write_run_documents``). For each pool (a
generated pool of each ``--sizes`` from bench/pool_generator.py, and
fixtures/pools/mega_pool.csv with ``--mega``) one database with its run is made
first, by this tree; then the write phase runs in a fresh process per
measurement, alternately with this tree's code and with the ``--baseline``
commit's (its asn_sql/, sql/ and migrations/, extracted with git archive and put
first on PYTHONPATH), into a folder that does not exist yet (``new``, as
`generate -p OUT` usually writes) or an empty one that does (``existing``).
Printed: the median wall and CPU seconds (all threads) and the peak resident set
of each, the ratio this tree / baseline, and whether both wrote the same bytes
(every file compared, in the order written). The disk is synced between
measurements and the outputs removed once a pool is done (removing many
thousands of files slows the creation of the next ones for a while); file
creation on a shared disk is the noisiest part, so the order of the two
alternates from one repeat to the next.
The child's address space is capped (``--address-space-gb``) and DuckDB's
memory limit set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEGA = ROOT / "fixtures" / "pools" / "mega_pool.csv"


def child_write(db_path: Path, out: Path) -> dict[str, object]:
    """The write phase of run 1 of ``db_path`` into ``out``, timed in this process."""
    import asn_sql
    from asn_sql import db
    from asn_sql.io.documents import write_run_documents

    con = db.connect_memory()
    db.attach(con, db_path, read_only=True)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    written = write_run_documents(con, 1, out)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    con.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall": wall,
        "cpu": cpu,
        "system": after.ru_stime - before.ru_stime,
        "peak_bytes": after.ru_maxrss * 1024,
        "order": [path.name for path in written],
        "package": str(Path(asn_sql.__file__).parent),
    }


def child_prepare(pool: Path, db_path: Path) -> dict[str, object]:
    """Load ``pool`` and keep its run (all levels) in ``db_path``, writing no file."""
    from asn_sql.api import generate_documents
    from asn_sql.engine.run import GenerateOptions

    result = generate_documents(
        db_path, str(pool), GenerateOptions(), output_dir=None, keep_documents=False
    )
    return {"associations": result.summary.n_associations}


def in_child(args: list[str], cap_gb: float, pythonpath: Path | None) -> dict[str, object]:
    env = dict(os.environ)
    env.setdefault("ASNSQL_MEMORY_LIMIT", "3GB")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    cap = int(cap_gb * 2**30)

    def limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        allowed = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (allowed, hard))

    done = subprocess.run(
        [sys.executable, __file__, *args],
        env=env,
        preexec_fn=limit,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"child {args[:2]} failed: {tail}")
    return json.loads(done.stdout.splitlines()[-1])


def baseline_tree(ref: str, folder: Path) -> Path:
    """``ref``'s asn_sql/, sql/ and migrations/ extracted into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "asn_sql", "sql", "migrations"],
        capture_output=True,
        check=True,
    ).stdout
    target = folder / "baseline"
    target.mkdir()
    tar_path = folder / "baseline.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(target, filter="data")
    return target


def digest(out: Path, order: list[str]) -> str:
    """One hash of every file's name and bytes, in the order written."""
    sha = hashlib.sha256()
    for name in order:
        sha.update(name.encode() + b"\0" + (out / name).read_bytes() + b"\0")
    return sha.hexdigest()


def settle() -> None:
    """Let the last output reach the disk before the next measurement."""
    os.sync()
    time.sleep(2)


def measure(
    label: str, db_path: Path, work: Path, baseline: Path, args: argparse.Namespace
) -> None:
    for into in args.into:
        runs: dict[str, list[dict[str, object]]] = {"baseline": [], "this tree": []}
        digests: dict[str, str] = {}
        for repeat in range(args.repeat):
            order = ["baseline", "this tree"] if repeat % 2 == 0 else ["this tree", "baseline"]
            for which in order:
                # Outputs stay until the pool is done: removing many thousands of files
                # slows the creation of the next ones for a while on a shared disk.
                out = work / f"out_{into}_{repeat}_{which.replace(' ', '_')}"
                if into == "existing":
                    out.mkdir()
                path = baseline if which == "baseline" else None
                result = in_child(["--write", str(db_path), str(out)], args.address_space_gb, path)
                if (which == "baseline") != result["package"].startswith(str(baseline)):
                    raise SystemExit(f"{which} ran the package in {result['package']}")
                if which not in digests:
                    digests[which] = digest(out, result["order"])
                runs[which].append(result)
                settle()
        for out in work.glob("out_*"):
            shutil.rmtree(out)
        settle()
        same = "same bytes" if digests["baseline"] == digests["this tree"] else "DIFFERENT BYTES"
        median = {
            which: {
                key: statistics.median(float(r[key]) for r in results)
                for key in ("wall", "cpu", "system", "peak_bytes")
            }
            for which, results in runs.items()
        }
        files = len(runs["this tree"][0]["order"])
        base, new = median["baseline"], median["this tree"]
        wall_ratio = new["wall"] / base["wall"]
        print(
            f"{label:>14} {files:>7,} files, {into:>8} folder: "
            f"wall {base['wall']:6.2f} -> {new['wall']:6.2f} s (x{wall_ratio:.2f}), "
            f"cpu {base['cpu']:6.2f} -> {new['cpu']:6.2f} s (x{new['cpu'] / base['cpu']:.2f}; "
            f"system {base['system']:.2f} -> {new['system']:.2f}), "
            f"peak {base['peak_bytes'] / 2**20:.0f} -> {new['peak_bytes'] / 2**20:.0f} MiB; "
            f"{same}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--mega", action="store_true", help="also fixtures' mega_pool.csv")
    parser.add_argument("--baseline", default="main", help="git commit to compare against")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--into", nargs="+", choices=("new", "existing"), default=["new"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--address-space-gb", type=float, default=8.0)
    parser.add_argument("--write", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        print(json.dumps(child_write(*args.write)))
        return
    if args.prepare:
        print(json.dumps(child_prepare(*args.prepare)))
        return
    sys.path.insert(0, str(HERE))
    from pool_generator import write_pool

    with tempfile.TemporaryDirectory(prefix="bench_write_") as folder:
        work = Path(folder)
        baseline = baseline_tree(args.baseline, work)
        print(
            f"write phase, this tree against {args.baseline}; median of {args.repeat} runs "
            "each, alternating",
            flush=True,
        )
        pools = [(f"{rows:,} rows", rows) for rows in args.sizes]
        if args.mega:
            pools.append(("mega_pool", None))
        for label, rows in pools:
            pool = MEGA if rows is None else write_pool(work / f"pool_{rows}.csv", rows, args.seed)
            db_path = work / f"{label.replace(',', '').replace(' ', '_')}.duckdb"
            in_child(["--prepare", str(pool), str(db_path)], args.address_space_gb, None)
            measure(label, db_path, work, baseline, args)
            db_path.unlink()


if __name__ == "__main__":
    main()
