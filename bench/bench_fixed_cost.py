"""Where the time of one `asnsql generate POOL -p OUT` goes, on small pools and on mega_pool.

    python bench/bench_fixed_cost.py [--repeat 5] [--jwst VENV] [--baseline CHECKOUT]
                                     [--pools POOL ...] [--statements 8]

For each pool (default: pool_002_image_miri, jw09505_20251216t202003_pool and
pool_021_tso, 7 or 8 rows each, and mega_pool, 837), medians of --repeat runs:

- whole process: `python -m asn_sql generate POOL -p OUT` on a new database, a new
  process each time: wall time, CPU time (user + system, DuckDB's threads included)
  and peak memory of that process alone (wait4);
- with --jwst VENV: jwst's `VENV/bin/asn_generate POOL -p OUT` the same way, in the
  same run, and the ratio jwst / asnsql (wall and CPU);
- with --baseline CHECKOUT (a folder holding another version's asn_sql/, sql/ and
  migrations/, e.g. from `git archive`): that version's whole process the same way,
  its runs taking turns with this version's, and the ratio;
- the same command split into phases, measured inside a new process that runs it
  through the command line in-process: starting Python (`python -c pass`), imports,
  opening DuckDB (a new in-memory instance: "connect"), attaching and migrating the
  database, loading the pool, the scopes, the rules, finalize, storing the run and the
  orphans' reasons, what explain reads later ("explain": the rules' conditions and every
  verdict), the documents and writing the files ("documents"), the commit, closing the
  database (its checkpoint), the rest of the command ("other": checks, waiting for the
  files on disk, moving them into place) and what the command line does before and after
  it (CPU seconds of the process; wall beside it);
- every SQL statement the command runs, counted with its rendered size, and from a
  separate run with DuckDB's profiler on (which costs time of its own, so its
  figures are not added to the others): parsing (extract_statements), binding
  ("planner"), optimizing, physical planning and execution, summed per phase, and
  the --statements costliest statements.

Each version's modules are compiled to bytecode first, as installing a package does
(with PYTHONDONTWRITEBYTECODE set, a checkout would otherwise compile every module
from source in every process measured).

The machine's load average is printed at the start and the end: on a shared
machine, CPU time is the steadier figure, and the ratio to jwst is measured in
the same minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POOLS = ROOT / "fixtures" / "pools"
SMALL = ["pool_002_image_miri.csv", "jw09505_20251216t202003_pool.csv", "pool_021_tso.csv"]
DEFAULT_POOLS = [POOLS / name for name in SMALL] + [POOLS / "mega_pool.csv"]
PHASES = (
    "python",
    "imports",
    "command line",
    "connect",
    "open+migrate",
    "load",
    "scopes",
    "rules",
    "finalize",
    "store",
    "orphans",
    "explain",
    "documents",
    "commit",
    "close",
    "other",
)


def timed_process(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Wall and CPU seconds and peak MiB of one child process, which must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env or dict(os.environ),
    )
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode(errors='replace')}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss / 1024,  # Linux: KiB
    }


def whole_asnsql(pool: Path, source: Path | None = None) -> dict[str, float]:
    """`asnsql generate POOL -p out` on a new database, as a new process; with ``source``,
    the asn_sql package found there."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source.resolve())
        # its own cache of rendered SQL, so that the two versions do not take turns
        # removing each other's
        env["XDG_CACHE_HOME"] = str(Path(tempfile.gettempdir()) / "asnsql-bench-baseline")
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "asn_sql", "generate", str(pool.resolve())]
        command += ["-p", "out", "--db", "asn.duckdb"]
        return timed_process(command, Path(folder), env)


def whole_jwst(venv: Path, pool: Path) -> dict[str, float]:
    """jwst's `asn_generate POOL -p out`, as a new process."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "out").mkdir()
        command = [str(venv / "bin" / "asn_generate"), str(pool.resolve()), "-p", "out"]
        return timed_process(command, Path(folder))


def phases(pool: Path, profile: bool) -> dict[str, Any]:
    """The phases and statements of one command, from a new process (see ``child``)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [sys.executable, __file__, "--child", str(pool.resolve()), str(report)]
        if profile:
            command.append("--profile")
        python = timed_process([sys.executable, "-c", "pass"], Path(folder))
        timed_process(command, Path(folder))
        result = json.loads(report.read_text())
    result["cpu"]["python"] = python["cpu"]
    result["wall"]["python"] = python["wall"]
    return result


def compile_bytecode(checkout: Path) -> None:
    """Write the bytecode of ``checkout``'s asn_sql package, as an installation does."""
    import compileall

    compileall.compile_dir(checkout / "asn_sql", quiet=1)


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each key over ``runs``."""
    return {key: statistics.median(run.get(key, 0.0) for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jwst", type=Path, help="a virtualenv with jwst's asn_generate")
    parser.add_argument("--baseline", type=Path, help="another version's checkout to compare")
    parser.add_argument("--pools", type=Path, nargs="+", default=DEFAULT_POOLS)
    parser.add_argument("--statements", type=int, default=8, help="costliest statements shown")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.profile)
        return
    compile_bytecode(ROOT)
    if args.baseline:
        compile_bytecode(args.baseline)
    print(f"median of {args.repeat}; {os.cpu_count()} CPUs; load average {_load()}")
    for pool in args.pools:
        report_pool(pool, args)
    print(f"load average at the end {_load()}")


def report_pool(pool: Path, args: argparse.Namespace) -> None:
    """Print one pool's figures."""
    lines = pool.read_text(encoding="utf-8").splitlines()
    rows = sum(1 for line in lines if line.strip() and not line.startswith("#")) - 1
    print(f"\n{pool.name} ({rows} rows)")
    runs, baseline_runs = [], []
    for _ in range(args.repeat):
        runs.append(whole_asnsql(pool))
        if args.baseline:
            baseline_runs.append(whole_asnsql(pool, args.baseline))
    ours = median_of(runs)
    print(
        f"  asnsql whole process: {ours['wall']:.3f} s wall, {ours['cpu']:.3f} s CPU, "
        f"{ours['peak']:.0f} MiB peak"
    )
    if baseline_runs:
        base = median_of(baseline_runs)
        print(
            f"  baseline ({args.baseline.name}): {base['wall']:.3f} s wall, "
            f"{base['cpu']:.3f} s CPU, "
            f"{base['peak']:.0f} MiB peak; baseline / this = {base['wall'] / ours['wall']:.2f}x "
            f"wall, {base['cpu'] / ours['cpu']:.2f}x CPU"
        )
    if args.jwst:
        theirs = median_of([whole_jwst(args.jwst, pool) for _ in range(args.repeat)])
        print(
            f"  jwst asn_generate:    {theirs['wall']:.3f} s wall, {theirs['cpu']:.3f} s CPU, "
            f"{theirs['peak']:.0f} MiB peak; jwst / asnsql = "
            f"{theirs['wall'] / ours['wall']:.2f}x wall, {theirs['cpu'] / ours['cpu']:.2f}x CPU"
        )
    split = [phases(pool, profile=False) for _ in range(args.repeat)]
    cpu, wall = median_of([s["cpu"] for s in split]), median_of([s["wall"] for s in split])
    print(
        "  phases, CPU s (wall s): "
        + ", ".join(f"{name} {cpu.get(name, 0):.3f} ({wall.get(name, 0):.3f})" for name in PHASES)
    )
    counts = split[0]["counts"]
    print(
        f"  statements: {counts['statements']} ({counts['characters']:,} characters of SQL); "
        f"by phase: "
        + ", ".join(f"{name} {n} ({chars:,})" for name, (n, chars) in counts["by_phase"].items())
    )
    profiled = phases(pool, profile=True)
    print_profile(profiled, args.statements)


def print_profile(profiled: dict[str, Any], shown: int) -> None:
    """DuckDB's own split of the statements' time, per phase, and the costliest ones."""
    parts = ("parse", "bind", "optimize", "physical", "execute")
    total = {part: 0.0 for part in parts}
    for figures in profiled["profile"].values():
        for part in parts:
            total[part] += figures[part]
    print(
        "  profiled (wall s; the profiler's own cost included): "
        + ", ".join(f"{part} {total[part]:.3f}" for part in parts)
    )
    for name, figures in profiled["profile"].items():
        print(f"    {name:>12}: " + ", ".join(f"{part} {figures[part]:.3f}" for part in parts))
    print("  costliest statements (wall ms: bind / optimize / execute; characters; phase):")
    for statement in profiled["top"][:shown]:
        print(
            f"    {statement['total'] * 1000:6.1f} ms: {statement.get('bind', 0) * 1000:5.1f} / "
            f"{statement.get('optimize', 0) * 1000:5.1f} / "
            f"{statement.get('execute', 0) * 1000:5.1f}; "
            f"{statement['chars']:6,} ch; {statement['phase']:>10}; {statement['head']}"
        )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# ---- the child process: runs the command in-process, instrumented ----


class _Clock:
    """Which phase the command is in, and the CPU and wall seconds spent in each."""

    def __init__(self) -> None:
        self.phase = "imports"
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}
        self._since = (time.process_time(), time.perf_counter())

    def switch(self, phase: str) -> str:
        cpu, wall = time.process_time(), time.perf_counter()
        self.cpu[self.phase] = self.cpu.get(self.phase, 0.0) + cpu - self._since[0]
        self.wall[self.phase] = self.wall.get(self.phase, 0.0) + wall - self._since[1]
        self._since = (cpu, wall)
        previous, self.phase = self.phase, phase
        return previous


def child(pool: Path, report: Path, profile: bool) -> None:
    """Run `asnsql generate POOL -p out` in this process with every phase timed and every
    statement recorded; write what was measured to ``report`` (JSON)."""
    clock = _Clock()
    # What the command imports: its module and those its body imports.
    import asn_sql.api  # noqa: F401
    import asn_sql.cli.main as cli_main

    statements: list[dict[str, Any]] = []
    _instrument(clock, statements, profile, report.with_suffix(".profile.json"))
    clock.switch("command line")
    folder = report.parent
    args = ["generate", str(pool), "-p", str(folder / "out"), "--db", str(folder / "asn.duckdb")]
    try:
        cli_main.app(args=args, prog_name="asnsql", standalone_mode=False)
    finally:
        clock.switch("done")
    by_phase: dict[str, list[int]] = {}
    for statement in statements:
        entry = by_phase.setdefault(statement["phase"], [0, 0])
        entry[0] += 1
        entry[1] += statement["chars"]
    result = {
        "cpu": clock.cpu,
        "wall": clock.wall,
        "counts": {
            "statements": sum(1 for s in statements if s["kind"] == "execute"),
            "characters": sum(s["chars"] for s in statements if s["kind"] == "execute"),
            "by_phase": by_phase,
        },
        "profile": _profile_by_phase(statements),
        "top": sorted((s for s in statements if s["kind"] == "execute"), key=lambda s: -s["total"]),
    }
    report.write_text(json.dumps(result))


def _instrument(
    clock: _Clock, statements: list[dict[str, Any]], profile: bool, profile_file: Path
) -> None:
    """Wrap the connections and the phase functions of the generate path."""
    import asn_sql.api as api
    import asn_sql.engine.run as run
    from asn_sql import db
    from asn_sql.io import documents, load

    def phase(module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            previous = clock.switch(label)
            try:
                return original(*args, **kwargs)
            finally:
                clock.switch(previous)

        setattr(module, name, wrapped)

    phase(api, "generate_documents", "other")
    phase(db, "attach", "open+migrate")
    phase(api, "stage_pools", "load")
    phase(api, "load_staged_all", "load")
    phase(run, "_build_scopes", "scopes")
    phase(run, "_run_rules", "rules")
    phase(run, "_next_run_id", "store")
    phase(run, "_misnamed_warnings", "store")
    phase(run, "_record_runs", "store")
    phase(run, "_record_orphan_reasons", "orphans")
    phase(run, "record_verdicts", "explain")
    phase(api, "stage_run_documents", "documents")
    phase(documents, "stage_run_documents", "documents")
    original_finalize = run._finalize

    def finalize(con: Any, params: Any, stage: str) -> None:
        previous = clock.switch("finalize" if stage == "decide" else "store")
        try:
            original_finalize(con, params, stage)
        finally:
            clock.switch(previous)

    run._finalize = finalize
    original_connect = db.connect_memory

    def connect(*args: Any, **kwargs: Any) -> Any:
        previous = clock.switch("connect")
        try:
            con = original_connect(*args, **kwargs)
        finally:
            clock.switch(previous)
        if profile:
            con.execute("pragma enable_profiling = 'json'")
            con.execute("set profiling_mode = 'detailed'")
            con.execute("set profiling_output = $f", {"f": str(profile_file)})
        return _Recording(con, clock, statements, profile_file if profile else None)

    for module in (db, api, load):
        if hasattr(module, "connect_memory"):
            module.connect_memory = connect  # type: ignore[attr-defined]
    db.connect_memory = connect


class _Recording:
    """A DuckDB connection that records each statement it runs (and parses)."""

    def __init__(
        self, con: Any, clock: _Clock, log: list[dict[str, Any]], profile_file: Path | None
    ) -> None:
        self._con, self._clock, self._log, self._profile_file = con, clock, log, profile_file

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def extract_statements(self, sql: str) -> Any:
        started = time.perf_counter()
        found = self._con.extract_statements(sql)
        self._log.append(
            {
                "kind": "parse",
                "phase": self._clock.phase,
                "chars": 0,
                "parse": time.perf_counter() - started,
            }
        )
        return found

    def close(self) -> None:
        previous = self._clock.switch("close")
        try:
            self._con.close()
        finally:
            self._clock.switch(previous)

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else _statement_text(query)
        started = time.perf_counter()
        committing = text.strip().lower() == "commit" and self._clock.phase == "other"
        previous = self._clock.switch("commit") if committing else None
        try:
            result = self._con.execute(query, *args, **kwargs)
        finally:
            if previous is not None:
                self._clock.switch(previous)
        entry = {
            "kind": "execute",
            "phase": "commit" if committing else self._clock.phase,
            "chars": len(text),
            "total": time.perf_counter() - started,
            "head": " ".join(_without_comments(text).split())[:70],
        }
        entry.update(self._profiled())
        self._log.append(entry)
        return self if result is self._con else result

    def _profiled(self) -> dict[str, float]:
        if self._profile_file is None or not self._profile_file.exists():
            return {}
        try:
            data = json.loads(self._profile_file.read_text())
        except (OSError, ValueError):
            return {}
        finally:
            self._profile_file.unlink(missing_ok=True)
        bind = data.get("planner", {}).get("total_time", 0.0)
        optimize = data.get("optimizer", {}).get("total_time", 0.0)
        physical = data.get("physical_planner", {}).get("total_time", 0.0)
        total = data.get("query", {}).get("total_time", 0.0)
        return {
            "bind": bind,
            "optimize": optimize,
            "physical": physical,
            "execute": max(total - bind - optimize - physical, 0.0),
        }


def _statement_text(statement: Any) -> str:
    """The text of one extracted statement (DuckDB keeps each one's own)."""
    return str(statement.query)


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))


def _profile_by_phase(statements: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    by_phase: dict[str, dict[str, float]] = {}
    for statement in statements:
        figures = by_phase.setdefault(
            statement["phase"],
            {"parse": 0.0, "bind": 0.0, "optimize": 0.0, "physical": 0.0, "execute": 0.0},
        )
        for part in figures:
            figures[part] += statement.get(part, 0.0)
    return by_phase


if __name__ == "__main__":
    main()
