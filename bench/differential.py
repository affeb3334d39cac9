"""Differential testing: random pools through jwst 3.0.0 and asnsql, strictly compared.

    python bench/differential.py --jwst /path/to/jwst-venv [--pools 100] [--seed 1]
        [--workers 2] [--out fixtures/differential] [--shrink/--no-shrink]

Pool ``i`` is ``make_pool(seed + i)`` (bench/random_pools.py). jwst runs in one
long-lived process per worker (bench/jwst_worker.py, with the virtualenv's Python; jwst is
never a dependency of asnsql); asnsql runs in the worker itself. Documents are compared
as bench/differences.py says: everything but ``constraints`` and ``code_version``.

For each kind of difference without a fixture yet, the first pool that shows it is
shrunk (bench/shrink.py) and written to ``--out``/<kind>_<seed>/ with ``pool.csv``,
``expected/`` (jwst's files) and a one-line ``README``;
tests/test_differential_fixtures.py then checks those without jwst.

Prints pools tried, pools equal, associations equal, then one line per kind still
differing with the number of pools that show it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from differences import Difference, Documents, compare  # noqa: E402
from random_pools import Pool, make_pool  # noqa: E402
from shrink import shrink_pool  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "jwst_worker.py"


class JwstRunner:
    """One jwst process that answers pool after pool; restarted after a timeout."""

    def __init__(self, venv: Path, timeout: float) -> None:
        self.python = venv / "bin" / "python"
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.python), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._read(timeout=300)

    def _read(self, timeout: float) -> dict[str, Any] | None:
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        return json.loads(line) if line else None

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def run(self, pool_path: Path) -> Documents | str:
        """jwst's documents by file name, or a one-line reason it gave none."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(json.dumps({"pool": str(pool_path)}) + "\n")
        self.process.stdin.flush()
        answer = self._read(self.timeout)
        if answer is None:
            self.stop()
            return f"jwst gave no answer in {self.timeout:.0f} s"
        if "error" in answer:
            return str(answer["error"])
        return {name: json.loads(text) for name, text in answer["files"].items()}


def run_asnsql(pool_path: Path) -> Documents | str:
    """asnsql's documents by file name (default options), or the error it raised."""
    from asn_sql.api import generate_documents
    from asn_sql.engine.run import GenerateOptions
    from asn_sql.errors import AsnSqlError

    with tempfile.TemporaryDirectory() as folder:
        try:
            result = generate_documents(
                Path(folder) / "asn.duckdb", str(pool_path), GenerateOptions(), output_dir=None
            )
        except AsnSqlError as error:
            return f"asnsql refused the pool: {str(error).splitlines()[0]}"
        except Exception as error:  # a crash is a difference too, and must not stop the run
            return f"asnsql crashed: {type(error).__name__}: {str(error).splitlines()[:1]}"
    return {doc.file_name: doc.data for doc in result.documents}


@dataclass
class Outcome:
    """One pool through both tools."""

    seed: int
    rows: int = 0
    jwst_error: str | None = None
    n_jwst: int = 0
    n_equal: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return sorted({d.kind for d in self.differences})


def check(pool: Pool, runner: JwstRunner, seed: int) -> tuple[Outcome, Documents | None]:
    """Run both tools on ``pool`` (written as pool.csv in a scratch folder)."""
    outcome = Outcome(seed, rows=len(pool.rows))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pool.csv"
        path.write_text(pool.to_csv())
        jwst = runner.run(path)
        if isinstance(jwst, str):
            outcome.jwst_error = jwst
            return outcome, None
        ours = run_asnsql(path)
    outcome.n_jwst = len(jwst)
    if isinstance(ours, str):
        kind = "asnsql-error" if "refused" in ours else "asnsql-crash"
        outcome.differences = [Difference(kind, None, None, ours)]
        return outcome, jwst
    outcome.n_equal, outcome.differences = compare(jwst, ours)
    names = [row[pool.columns.index("filename")] for row in pool.rows]
    if len(set(names)) < len(names):
        # A file name on several rows is a mechanism of its own (jwst keeps every copy).
        outcome.differences = [replace(d, kind=f"dup-{d.kind}") for d in outcome.differences]
    return outcome, jwst


# ------------------------------------------------------------------ worker processes

_runner: JwstRunner | None = None


def _init(venv: str, timeout: float) -> None:
    global _runner
    os.environ.setdefault("ASNSQL_NO_PROGRESS", "1")
    _runner = JwstRunner(Path(venv), timeout)


def _try_seed(seed: int) -> Outcome:
    assert _runner is not None
    return check(make_pool(seed), _runner, seed)[0]


def _shrink_seed(task: tuple[int, str, int]) -> tuple[int, str, Pool, Documents, str] | None:
    """Shrink the pool of ``seed`` while it still shows ``kind``; the pool and jwst's files."""
    seed, kind, budget = task
    assert _runner is not None
    runner = _runner

    def differs(candidate: Pool) -> bool:
        outcome, _ = check(candidate, runner, seed)
        return kind in outcome.kinds

    small = shrink_pool(make_pool(seed), differs, budget)
    small.notes.append(f"shrunk from seed {seed}")
    outcome, jwst = check(small, runner, seed)
    if jwst is None or kind not in outcome.kinds:
        return None
    detail = next(d for d in outcome.differences if d.kind == kind)
    what = f"{detail.jwst_file or '-'} vs asnsql {detail.asnsql_file or '-'}: {detail.detail}"
    return seed, kind, small, jwst, what


# ------------------------------------------------------------------ fixtures


def safe_kind(kind: str) -> str:
    """A kind as a folder name: lower case letters, digits, '-' and '+' become '_'."""
    return re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


def known_kinds(out: Path) -> set[str]:
    """Kinds that already have a fixture folder (<kind>_<seed>) in ``out``."""
    if not out.is_dir():
        return set()
    return {p.name.rsplit("_", 1)[0] for p in out.iterdir() if p.is_dir()}


def write_fixture(out: Path, seed: int, kind: str, pool: Pool, jwst: Documents, what: str) -> Path:
    """``out``/<kind>_<seed>/: pool.csv, expected/ (jwst's files) and README."""
    folder = out / f"{safe_kind(kind)}_{seed}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "expected").mkdir(parents=True)
    (folder / "pool.csv").write_text(pool.to_csv())
    for name, doc in sorted(jwst.items()):
        (folder / "expected" / name).write_text(json.dumps(doc, indent=4))
    origin = f"{pool.origin}; {', '.join(pool.notes)}" if pool.notes else pool.origin
    (folder / "README").write_text(f"{kind}: {what} (seed {seed}, {origin})\n")
    return folder


def shrink_tasks(
    outcomes: list[Outcome], have: set[str], budget: int
) -> list[tuple[int, str, int]]:
    """One pool to shrink for each kind without a fixture: a pool's kinds often share one
    cause, so a pool is shrunk once, for its first new kind, and its other kinds count as
    covered. Kinds of pools without duplicate file names come first."""
    covered = set(have)
    tasks = []
    for o in sorted(outcomes, key=lambda o: (any(k.startswith("dup-") for k in o.kinds), o.seed)):
        new = [k for k in o.kinds if safe_kind(k) not in covered]
        if new:
            tasks.append((o.seed, new[0], budget))
            covered |= {safe_kind(k) for k in o.kinds}
    return tasks


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=100, help="how many pools to try")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first pool")
    parser.add_argument(
        "--seeds", type=lambda v: [int(x) for x in v.split(",")], help="these seeds (1,5,9) only"
    )
    parser.add_argument("--jwst", type=Path, help="virtualenv with jwst 3.0.0 (required to run)")
    parser.add_argument(
        "--summarize", type=Path, help="print the summary of a --report file and stop"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures" / "differential")
    parser.add_argument("--shrink", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--budget", type=int, default=250, help="jwst runs per shrink at most")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per jwst pool")
    parser.add_argument("--report", type=Path, help="write every pool's outcome as JSON lines")
    return parser.parse_args(argv)


def read_report(path: Path) -> list[Outcome]:
    """The outcomes a --report file holds, by seed."""
    outcomes = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        row["differences"] = [Difference(**d) for d in row["differences"]]
        outcomes.append(Outcome(**row))
    return sorted(outcomes, key=lambda o: o.seed)


def summarize(outcomes: list[Outcome]) -> list[str]:
    ran = [o for o in outcomes if o.jwst_error is None]
    equal = [o for o in ran if not o.differences]
    n_jwst = sum(o.n_jwst for o in ran)
    n_equal = sum(o.n_equal for o in ran)
    kinds = Counter(k for o in ran for k in o.kinds)
    lines = [
        f"pools tried: {len(outcomes)} ({len(outcomes) - len(ran)} jwst could not run)",
        f"pools equal: {len(equal)} of {len(ran)}",
        f"associations equal: {n_equal} of {n_jwst}",
    ]
    only_dups = [o for o in ran if o.kinds and all(k.startswith("dup-") for k in o.kinds)]
    if only_dups:
        lines.append(f"pools differing only with a file name on several rows: {len(only_dups)}")
    for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        seeds = [o.seed for o in ran if kind in o.kinds][:5]
        lines.append(f"  {kind}: {count} pools (seeds {', '.join(map(str, seeds))})")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.summarize:
        for line in summarize(read_report(args.summarize)):
            print(line)
        return 0
    if args.jwst is None or not (args.jwst / "bin" / "python").exists():
        print(f"Error: {args.jwst}/bin/python not found (--jwst is a virtualenv)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    seeds = args.seeds or range(args.seed, args.seed + args.pools)
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.workers, _init, (str(args.jwst), args.timeout)) as workers:
        outcomes = []
        report = args.report.open("w") if args.report else None
        for outcome in workers.imap_unordered(_try_seed, seeds):
            outcomes.append(outcome)
            mark = "." if not outcome.differences else "x"
            print(mark if outcome.jwst_error is None else "-", end="", flush=True, file=sys.stderr)
            if report is not None:  # as they come, so that a run cut short still tells
                report.write(json.dumps(asdict(outcome)) + "\n")
                report.flush()
        print(file=sys.stderr)
        if report is not None:
            report.close()
        outcomes.sort(key=lambda o: o.seed)
        for line in summarize(outcomes):
            print(line, flush=True)
        written = []
        if args.shrink:
            tasks = shrink_tasks(outcomes, known_kinds(args.out), args.budget)
            for result in workers.imap_unordered(_shrink_seed, tasks):
                if result is not None:
                    seed, kind, pool, jwst, what = result
                    written.append(write_fixture(args.out, seed, kind, pool, jwst, what))
    for folder in sorted(written):
        shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
        print(f"fixture written: {shown}")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
