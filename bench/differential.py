"""Differential testing: random pools through jwst 3.0.0 and asnsql, strictly compared.

    python bench/differential.py --jwst /path/to/jwst-venv [--pools 100] [--seed 1]
        [--workers 2] [--out fixtures/differential] [--shrink/--no-shrink] [--default-options]

Pool ``i`` is ``make_pool(seed + i)`` (bench/random_pools.py), run with the asn_generate
options ``draw_options(pool, seed + i)`` draws for it: none, ``-i`` with one to three of
the pool's observation and c-candidate ids, ``--all-candidates`` or ``--discover``, each
with or without ``--no-finalize``, and sometimes ``--version-id`` (``--default-options``:
none for every pool). jwst runs in one
long-lived process per worker (bench/jwst_worker.py, with the virtualenv's Python; jwst is
never a dependency of asnsql); asnsql runs in the worker itself. Documents are compared
as bench/differences.py says: everything but ``constraints`` and ``code_version``.

For each kind of difference without a fixture yet, the first pool that shows it is
shrunk (bench/shrink.py, the options kept) and written to ``--out``/<kind>_<seed>/ with
``pool.csv``, ``expected/`` (jwst's files), ``options.txt`` (when there are options) and a
one-line ``README``;
tests/test_differential_fixtures.py then checks those without jwst.

Prints pools tried, pools equal, associations equal (all, then per kind of options), then
one line per kind still differing with the number of pools that show it. A kind found
under options ends in ``+<options>`` (``lv2image-name+ids-nofinal``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
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

    def run(self, pool_path: Path, args: list[str] | None = None) -> Documents | str:
        """jwst's documents by file name (``asn_generate pool args``), or a one-line reason
        it gave none."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        assert self.process is not None and self.process.stdin is not None
        request = {"pool": str(pool_path), "args": list(args or [])}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._read(self.timeout)
        if answer is None:
            self.stop()
            return f"jwst gave no answer in {self.timeout:.0f} s"
        if "error" in answer:
            return str(answer["error"])
        return {name: json.loads(text) for name, text in answer["files"].items()}


# ------------------------------------------------------------------ options

_CANDIDATE = re.compile(r"\(\s*'([oc]\d+)'\s*,")


def draw_options(pool: Pool, seed: int) -> list[str]:
    """asn_generate options for the pool of ``seed``, the same on every machine: a third
    of the pools none; else ``-i`` with one to three of its observation and c-candidate
    ids, ``--all-candidates`` or ``--discover``; each of those with or without
    ``--no-finalize``, and one in five with ``--version-id``."""
    rng = random.Random(f"options-{seed}")
    column = pool.columns.index("asn_candidate") if "asn_candidate" in pool.columns else None
    ids = sorted(
        {m for row in pool.rows for m in _CANDIDATE.findall(row[column])}
        if column is not None
        else set()
    )
    mode = rng.choice(["default", "default", "ids", "ids", "all-candidates", "discover"])
    args: list[str] = []
    if mode == "ids" and ids:
        args += ["-i", *rng.sample(ids, rng.randint(1, min(3, len(ids))))]
    elif mode in ("all-candidates", "discover"):
        args.append(f"--{mode}")
    if args and rng.random() < 0.5:
        args.append("--no-finalize")
    if rng.random() < 0.2:
        args += ["--version-id", rng.choice(["v1", "20260101t000000", "r2_b-3"])]
    return args


def options_tag(args: list[str]) -> str:
    """A short name of the options, for kinds and summaries: default, ids, all, discover,
    with -nofinal and -version where given."""
    tag = (
        "ids"
        if "-i" in args
        else "all"
        if "--all-candidates" in args
        else ("discover" if "--discover" in args else "default")
    )
    if "--no-finalize" in args:
        tag += "-nofinal"
    if "--version-id" in args:
        tag += "-version"
    return tag


def generate_options(args: list[str]) -> Any:
    """asnsql's GenerateOptions for asn_generate's options."""
    from asn_sql.engine.run import GenerateOptions

    ids = []
    if "-i" in args:
        for word in args[args.index("-i") + 1 :]:
            if word.startswith("-"):
                break
            ids.append(word)
    version = args[args.index("--version-id") + 1] if "--version-id" in args else None
    return GenerateOptions(
        ids=tuple(ids) or None,
        all_candidates="--all-candidates" in args,
        discover="--discover" in args,
        finalize="--no-finalize" not in args,
        version_id=version,
    )


def run_asnsql(pool_path: Path, args: list[str] | None = None) -> Documents | str:
    """asnsql's documents by file name (asn_generate's ``args``), or the error it raised."""
    from asn_sql.api import generate_documents
    from asn_sql.errors import AsnSqlError

    with tempfile.TemporaryDirectory() as folder:
        try:
            result = generate_documents(
                Path(folder) / "asn.duckdb",
                str(pool_path),
                generate_options(list(args or [])),
                output_dir=None,
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
    options: list[str] = field(default_factory=list)
    jwst_error: str | None = None
    n_jwst: int = 0
    n_equal: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return sorted({d.kind for d in self.differences})


def check(
    pool: Pool, runner: JwstRunner, seed: int, args: list[str] | None = None
) -> tuple[Outcome, Documents | None]:
    """Run both tools on ``pool`` (written as pool.csv in a scratch folder) with ``args``."""
    args = list(args or [])
    outcome = Outcome(seed, rows=len(pool.rows), options=args)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pool.csv"
        path.write_text(pool.to_csv())
        jwst = runner.run(path, args)
        if isinstance(jwst, str):
            outcome.jwst_error = jwst
            return outcome, None
        ours = run_asnsql(path, args)
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
    if args:
        # a kind seen only under options is a mechanism of its own until shown otherwise
        tag = options_tag(args)
        outcome.differences = [replace(d, kind=f"{d.kind}+{tag}") for d in outcome.differences]
    return outcome, jwst


# ------------------------------------------------------------------ worker processes

_runner: JwstRunner | None = None
_draw = True


def _init(venv: str, timeout: float, draw: bool = True) -> None:
    global _runner, _draw
    os.environ.setdefault("ASNSQL_NO_PROGRESS", "1")
    _runner = JwstRunner(Path(venv), timeout)
    _draw = draw


def _pool_and_options(seed: int) -> tuple[Pool, list[str]]:
    pool = make_pool(seed)
    return pool, draw_options(pool, seed) if _draw else []


def _try_seed(seed: int) -> Outcome:
    assert _runner is not None
    pool, args = _pool_and_options(seed)
    return check(pool, _runner, seed, args)[0]


def _shrink_seed(
    task: tuple[int, str, int],
) -> tuple[int, str, Pool, Documents, str, list[str]] | None:
    """Shrink the pool of ``seed`` while it still shows ``kind`` under its options; the
    pool, jwst's files and the options."""
    seed, kind, budget = task
    assert _runner is not None
    runner = _runner
    pool, args = _pool_and_options(seed)

    def same_kind(found: str) -> bool:
        # With or without the mark of a file name on several rows: the shrink may drop
        # the copies when they play no part, and the fixture is then named without it.
        return without_dup(found) == without_dup(kind)

    def differs(candidate: Pool) -> bool:
        outcome, _ = check(candidate, runner, seed, args)
        return any(same_kind(k) for k in outcome.kinds)

    small = shrink_pool(pool, differs, budget)
    small.notes.append(f"shrunk from seed {seed}")
    outcome, jwst = check(small, runner, seed, args)
    detail = next((d for d in outcome.differences if same_kind(d.kind)), None)
    if jwst is None or detail is None:
        return None
    what = f"{detail.jwst_file or '-'} vs asnsql {detail.asnsql_file or '-'}: {detail.detail}"
    return seed, detail.kind, small, jwst, what, args


# ------------------------------------------------------------------ fixtures


def without_dup(kind: str) -> str:
    """The kind without the "dup-" mark of a pool holding a file name on several rows."""
    return kind.removeprefix("dup-")


def safe_kind(kind: str) -> str:
    """A kind as a folder name: lower case letters, digits, '-' and '+' become '_'."""
    return re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


def known_kinds(out: Path) -> set[str]:
    """Kinds that already have a fixture folder (<kind>_<seed>) in ``out``."""
    if not out.is_dir():
        return set()
    return {p.name.rsplit("_", 1)[0] for p in out.iterdir() if p.is_dir()}


def write_fixture(
    out: Path,
    seed: int,
    kind: str,
    pool: Pool,
    jwst: Documents,
    what: str,
    args: list[str] | None = None,
) -> Path:
    """``out``/<kind>_<seed>/: pool.csv, expected/ (jwst's files), options.txt (asn_generate's
    options, when there are any) and README."""
    folder = out / f"{safe_kind(kind)}_{seed}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "expected").mkdir(parents=True)
    (folder / "pool.csv").write_text(pool.to_csv())
    if args:
        (folder / "options.txt").write_text(" ".join(args) + "\n")
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
    parser.add_argument(
        "--default-options",
        action="store_true",
        help="run every pool with asn_generate's default options (draw none)",
    )
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
    by_tag: dict[str, list[Outcome]] = {}
    for o in ran:
        by_tag.setdefault(options_tag(o.options), []).append(o)
    for tag, group in sorted(by_tag.items()):
        lines.append(
            f"  options {tag}: pools {sum(not o.differences for o in group)} of {len(group)}, "
            f"associations {sum(o.n_equal for o in group)} of {sum(o.n_jwst for o in group)}"
        )
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
    initargs = (str(args.jwst), args.timeout, not args.default_options)
    with context.Pool(args.workers, _init, initargs) as workers:
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
                    seed, kind, pool, jwst, what, options = result
                    written.append(write_fixture(args.out, seed, kind, pool, jwst, what, options))
    for folder in sorted(written):
        shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
        print(f"fixture written: {shown}")
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
