"""Pool versions: pools named by jwst's convention as versions of one program, a pool found by
name or program, and what changed between a version's latest run and the one before's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn_sql.errors import UsageError
from asn_sql.io.documents import run_documents
from asn_sql.io.query import reading
from asn_sql.tools.diff import DiffReport, RunExposures, diff_documents

# jwst's pool names, which the view pool_versions (migrations/0008) reads.
CONVENTION = "jwPPPPP_YYYYMMDDtHHMMSS_pool.csv"


def find_pool(con: Any, text: str) -> int | None:
    """The pool_id ``text`` names: a loaded pool's name or its name without .csv (the
    first loaded, as before versions), else a program (jw01234), which means its newest
    version. None when it names no loaded pool."""
    loaded = con.execute("select pool_id, name from pools order by pool_id").fetchall()
    matches = [pid for pid, name in loaded if text in (name, Path(name).stem)]
    if matches:
        return int(matches[0])
    row = con.execute(
        "select pool_id from pool_versions where program = $text and newest", {"text": text}
    ).fetchone()
    return int(row[0]) if row else None


def pool_name(con: Any, pool_id: int) -> str:
    """The name of a loaded pool."""
    return str(
        con.execute("select name from pools where pool_id = $id", {"id": pool_id}).fetchone()[0]
    )


def latest_run_of_pool(con: Any, pool_id: int) -> int:
    """The newest run of a pool; UsageError when it has none."""
    row = con.execute(
        "select max(run_id) from runs where pool_id = $id", {"id": pool_id}
    ).fetchone()
    if row is None or row[0] is None:
        name = pool_name(con, pool_id)
        raise UsageError(f"pool {name} has no run yet (asnsql generate {name})")
    return int(row[0])


def run_exposures(con: Any, run_id: int) -> RunExposures:
    """A run's pool by exposure file name, as diff compares orphans: each exposure's type,
    the association files holding it, and the reason of each orphan (the orphans view)."""
    rows = con.execute(
        """
        with held as (
            select mx.filename, list(distinct a.name || '.json' order by a.name || '.json') as files
            from members as m
            join associations as a on a.run_id = m.run_id and a.asn_no = m.asn_no
            join exposures as mx on mx.pool_id = a.pool_id and mx.row_no = m.row_no
            where m.run_id = $run
            group by mx.filename
        )
        select x.filename, min(x.exp_type), coalesce(any_value(h.files), []),
               (select min(o.reason) from orphans as o
                where o.run_id = $run and o.filename = x.filename)
        from runs as r
        join exposures as x on x.pool_id = r.pool_id
        left join held as h on h.filename = x.filename
        where r.run_id = $run and x.filename is not null
        group by x.filename
        """,
        {"run": run_id},
    ).fetchall()
    return RunExposures(
        exp_types={name: exp_type for name, exp_type, _, _ in rows},
        holders={name: tuple(files) for name, _, files, _ in rows if files},
        reasons={name: reason for name, _, files, reason in rows if not files},
    )


@dataclass
class PoolChanges:
    """What changed from one version of a program's pool to the next, for operations:
    diff's report (associations added, changed, renamed, removed; orphans) between the
    latest run of the version before (``previous``) and the latest run of ``pool``."""

    program: str
    pool: str
    run_id: int
    previous: str
    previous_run_id: int
    report: DiffReport
    warnings: list[str] = field(default_factory=list)


def pool_changes(db_path: Path, pool: str) -> PoolChanges:
    """Compare the latest run of ``pool`` (a loaded pool's name, or a program: its newest
    version) with the latest run of the version before it. Raises UsageError when the
    pool is not loaded, not named as a version, the first version, or lacks a run."""
    with reading(db_path) as con:
        pool_id = find_pool(con, pool)
        if pool_id is None:
            raise UsageError(f"{pool!r} is neither a loaded pool's name nor a program's (jw01234)")
        name, program, previous_id = con.execute(
            "select name, program, previous_pool_id from pool_versions where pool_id = $id",
            {"id": pool_id},
        ).fetchone()
        if program is None:
            raise UsageError(
                f"{name} is not named as a version of a program ({CONVENTION}); "
                "asnsql diff compares any two runs"
            )
        if previous_id is None:
            raise UsageError(f"{name} is the first version of {program} loaded; nothing before it")
        previous = pool_name(con, previous_id)
        new_run, old_run = latest_run_of_pool(con, pool_id), latest_run_of_pool(con, previous_id)
        report = diff_documents(
            {doc.file_name: doc.data for doc in run_documents(con, old_run)},
            {doc.file_name: doc.data for doc in run_documents(con, new_run)},
            run_exposures(con, old_run),
            run_exposures(con, new_run),
        )
        warnings = _option_warnings(con, old_run, new_run)
    return PoolChanges(program, name, new_run, previous, old_run, report, warnings)


# What a run records of how it was made, in words, besides its pool.
_OPTIONS = {
    "levels": "levels",
    "mode": "candidate modes (ids, all candidates, discovery)",
    "candidate_ids": "candidate ids",
    "version_id": "version ids",
    "finalized": "finalizing",
    "rules_hash": "rules",
    "sql_hash": "SQL",
    "rules_dir": "user rules folders",
    "ignore_default": "default rules (ignored or not)",
    "code_version": "asnsql's version",
}


def _option_warnings(con: Any, old_run: int, new_run: int) -> list[str]:
    """A warning when the two runs were made differently: then not every change comes
    from the pool."""
    columns = ", ".join(_OPTIONS)
    old, new = (
        con.execute(f"select {columns} from runs where run_id = $run", {"run": run}).fetchone()
        for run in (old_run, new_run)
    )
    differ = [words for words, a, b in zip(_OPTIONS.values(), old, new, strict=True) if a != b]
    if not differ:
        return []
    return [
        f"runs {old_run} and {new_run} were made with different {', '.join(differ)}; "
        "some changes may come from that, not from the pool"
    ]
