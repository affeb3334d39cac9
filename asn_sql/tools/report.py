"""A run as one self-contained HTML page: summary, associations, a membership grid, orphans,
and with another run the changes, as `asnsql diff` finds them.

The page needs no network: its style and script are inlined from report_page/, and the
grid is drawn by that script from the run's rows, embedded as JSON. Pool values are data
throughout: jinja escapes them in the HTML (autoescape), jinja's ``tojson`` escapes
``<``, ``>``, ``&`` and ``'`` in the embedded JSON, and the script puts text in the page
only through ``textContent``.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn_sql.io.documents import run_documents
from asn_sql.io.query import reading
from asn_sql.io.staged_files import protected_database, write_atomic
from asn_sql.tools.diff import DiffReport, change_lines, diff_documents, summary_line
from asn_sql.tools.runs import latest_run

if TYPE_CHECKING:
    import duckdb

PAGE_DIR = Path(__file__).resolve().parent / "report_page"

# Colours of the members' roles, fixed for the roles jwst's rules give so that pages
# compare at a glance; other roles (user rules) take the spare ones in turn.
ROLE_COLOURS = {
    "science": "#2f6db5",
    "background": "#3a9b5c",
    "imprint": "#8e5bb5",
    "psf": "#e08a1e",
    "target_acquisition": "#a0522d",
    "sourcecat": "#1a9aa6",
    "segmap": "#c2a31a",
    "direct_image": "#d1477a",
}
SPARE_COLOURS = ("#7a7fd6", "#5e8c31", "#c77dbd", "#4db3a0", "#b35c5c", "#8a8a8a")


@dataclass
class Report:
    """What a report holds, read from the database; ``html()`` lays it out."""

    run: dict[str, Any]
    by_type: list[tuple[Any, ...]]
    by_rule: list[tuple[Any, ...]]
    by_candidate: list[tuple[Any, ...]]
    exposures: list[tuple[Any, ...]]
    associations: list[dict[str, Any]]
    orphans: list[tuple[Any, ...]]
    roles: list[str]
    against: dict[str, Any] | None = None
    n_members: int = 0
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def html(self) -> str:
        """The page, whole."""
        return render_html(self)


@dataclass
class ReportSummary:
    """A written report: where, for which run, and what it shows."""

    path: Path
    run_id: int
    n_associations: int
    n_orphans: int
    size: int
    against: int | None = None
    changes: str | None = None


def write_report(
    db_path: Path, output: Path, run_id: int | None = None, against: int | None = None
) -> ReportSummary:
    """Write the report of run ``run_id`` (default: the latest) to ``output``, whole or
    not at all, from a read-only database; with ``against``, the changes from that run
    are marked. Raises UsageError for a run that does not exist, OutputError for an
    output that cannot be written (a folder, the database)."""
    report = read_report(db_path, run_id, against)
    text = report.html()
    write_atomic(output, text, protected_database(db_path))
    return ReportSummary(
        path=output,
        run_id=report.run["run_id"],
        n_associations=len(report.associations),
        n_orphans=len(report.orphans),
        size=len(text.encode("utf-8")),
        against=report.against["run_id"] if report.against else None,
        changes=report.against["summary"] if report.against else None,
    )


def read_report(db_path: Path, run_id: int | None = None, against: int | None = None) -> Report:
    """The rows of a report, read in one read-only connection."""
    with reading(db_path) as con:
        run = latest_run(con, run_id)
        other = latest_run(con, against) if against is not None else None
        report = _read_run(con, run)
        if other is not None:
            _mark_changes(con, report, other)
        return report


def _rows(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


def _read_run(con: duckdb.DuckDBPyConnection, run_id: int) -> Report:
    cursor = con.execute(
        """
        select r.run_id, r.pool_id, p.name as pool, p.row_count,
               strftime(r.started_at, '%Y-%m-%d %H:%M:%S') as started_at,
               array_to_string(r.levels, ', ') as levels, r.mode,
               array_to_string(r.candidate_ids, ' ') as candidate_ids, r.version_id,
               r.finalized, r.rules_dir, r.ignore_default, r.code_version
        from runs as r join pools as p using (pool_id)
        where r.run_id = $run
        """,
        {"run": run_id},
    )
    run = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    counts = "select {0}, count(*) as n from associations where run_id = $run group by all "
    report = Report(
        run=run,
        by_type=_rows(con, counts.format("asn_type") + "order by n desc, 1", run=run_id),
        by_rule=_rows(con, counts.format("rule") + "order by n desc, 1", run=run_id),
        by_candidate=_rows(
            con, counts.format("asn_id, candidate_type") + "order by 1, 2", run=run_id
        ),
        exposures=_rows(
            con,
            """
            select x.row_no, x.filename, x.exp_type,
                   coalesce(list(c.acid order by c.position)
                            filter (where c.acid is not null), []) as candidates
            from exposures as x
            left join exposure_candidates as c using (pool_id, row_no)
            where x.pool_id = $pool
            group by all order by x.row_no
            """,
            pool=run["pool_id"],
        ),
        associations=_associations(con, run_id),
        orphans=_rows(
            con,
            "select row_no, filename, exp_type, reason from orphans "
            "where run_id = $run order by row_no",
            run=run_id,
        ),
        roles=[],
    )
    report.roles = _roles(report.associations)
    report.n_members = sum(len(a["members"]) for a in report.associations)
    return report


def _associations(con: duckdb.DuckDBPyConnection, run_id: int) -> list[dict[str, Any]]:
    """Every association of the run in output order, each with its members (product,
    file name, role, pool row) in document order."""
    associations = {
        row[0]: {
            "asn_no": row[0],
            "name": row[1],
            "level": row[2],
            "asn_type": row[3],
            "rule": row[4],
            "asn_id": row[5],
            "candidate_type": row[6],
            "target": row[7],
            "members": [],
            "products": [],
            "mark": None,
        }
        for row in _rows(
            con,
            """
            select asn_no, name, level, asn_type, rule, asn_id, candidate_type, target
            from associations where run_id = $run order by asn_no
            """,
            run=run_id,
        )
    }
    members = _rows(
        con,
        """
        select m.asn_no, p.name, m.expname, m.exptype, m.row_no
        from members as m join products as p using (run_id, asn_no, product_no)
        where m.run_id = $run
        order by m.asn_no, m.product_no, m.position
        """,
        run=run_id,
    )
    for asn_no, product, expname, exptype, row_no in members:
        asn = associations[asn_no]
        if not asn["products"] or asn["products"][-1] != product:
            asn["products"].append(product)
        asn["members"].append((expname, exptype, row_no))
    return list(associations.values())


def _roles(associations: list[dict[str, Any]]) -> list[str]:
    """The members' roles, those with a fixed colour first, then by how often they occur."""
    counts = Counter(role for a in associations for _, role, _ in a["members"])
    fixed = [role for role in ROLE_COLOURS if role in counts]
    others = sorted((r for r in counts if r not in ROLE_COLOURS), key=lambda r: (-counts[r], r))
    return fixed + others


def role_colours(roles: list[str]) -> list[str]:
    """One colour per role, in the order of ``roles``."""
    spare = iter(SPARE_COLOURS * (len(roles) // len(SPARE_COLOURS) + 1))
    return [ROLE_COLOURS.get(role) or next(spare) for role in roles]


def _mark_changes(con: duckdb.DuckDBPyConnection, report: Report, other: int) -> None:
    """Compare with run ``other`` as `asnsql diff OTHER RUN` does, and mark each
    association added, changed or renamed; keep the removed ones and the orphans that
    came or went."""
    run_id = report.run["run_id"]
    old = {doc.file_name: doc.data for doc in run_documents(con, other)}
    new = {doc.file_name: doc.data for doc in run_documents(con, run_id)}
    diff: DiffReport = diff_documents(old, new)
    for name in (asn.file for asn in diff.added):
        report.marks[name] = {"status": "added", "lines": []}
    for change in diff.changes:
        status = "renamed" if change.is_rename else "changed"
        lines = [f"was {change.old}"] if change.old != change.new else []
        report.marks[change.new] = {"status": status, "lines": lines + change_lines(change)}
    for asn in report.associations:
        asn["mark"] = report.marks.get(asn["name"] + ".json")
    orphans = "select filename, exp_type, reason from orphans where run_id = $run"
    report.against = {
        "run_id": other,
        "pool": _rows(
            con,
            "select p.name from runs join pools as p using (pool_id) where run_id = $run",
            run=other,
        )[0][0],
        "summary": summary_line(diff),
        "removed": [
            (a.file, a.fields["asn_type"], a.fields["asn_rule"], a.fields["asn_id"], a.members)
            for a in diff.removed
        ],
        "new_orphans": _rows(
            con,
            f"{orphans} and filename not in (select filename from orphans where run_id = $other)"
            " order by filename",
            run=run_id,
            other=other,
        ),
        "no_longer_orphans": _rows(
            con,
            f"{orphans} and filename not in (select filename from orphans where run_id = $new)"
            " order by filename",
            run=other,
            new=run_id,
        ),
    }


def _grid_data(report: Report) -> dict[str, Any]:
    """The rows the page's script draws the grid from, in compact arrays: exposures
    [file name, type, candidates], associations [name, type, rule, candidate, candidate
    type, change], members [association, exposure, role] by index."""
    index = {row_no: i for i, (row_no, *_) in enumerate(report.exposures)}
    orphaned = {row_no for row_no, *_ in report.orphans}
    roles = {role: i for i, role in enumerate(report.roles)}
    members = []
    for a, asn in enumerate(report.associations):
        for _, role, row_no in asn["members"]:
            if row_no in index:  # a derived file (catalog) has no pool row
                members.append([a, index[row_no], roles[role]])
    return {
        "exposures": [
            [name, exp_type, candidates, row_no in orphaned]
            for row_no, name, exp_type, candidates in report.exposures
        ],
        "associations": [
            [
                a["name"],
                a["asn_type"],
                a["rule"],
                a["asn_id"],
                a["candidate_type"],
                (a.get("mark") or {}).get("status", ""),
            ]
            for a in report.associations
        ],
        "members": members,
        "roles": report.roles,
        "colours": role_colours(report.roles),
    }


def render_html(report: Report) -> str:
    """The report as one HTML page, its style, script and data inline."""
    import jinja2
    from markupsafe import Markup

    # Autoescape on for every template: each value from the pool is escaped in the page.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PAGE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    script = (PAGE_DIR / "report.js").read_text(encoding="utf-8")
    exposure_types = sorted(Counter(x[2] for x in report.exposures).items(), key=_by_name)
    grid = _grid_data(report)
    grid["candidates"] = [row[0] for row in report.by_candidate]
    grid["types"] = [name for name, _ in exposure_types]
    return env.get_template("report.html.j2").render(
        report=report,
        run=report.run,
        roles=list(zip(report.roles, role_colours(report.roles), strict=True)),
        role_index={role: i for i, role in enumerate(report.roles)},
        grid=grid,
        # Our own files, not data: inlined as they are. The page's policy lets only this
        # script run, named by its hash.
        style=Markup((PAGE_DIR / "report.css").read_text(encoding="utf-8")),
        script=Markup(script),
        script_hash="sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode(),
        exposure_types=exposure_types,
        exposure_index={row[0]: i for i, row in enumerate(report.exposures)},
        candidates_of={row[0]: row[3] for row in report.exposures},
        n_exposures=len(report.exposures),
        largest=lambda rows: max((row[-1] for row in rows), default=1),
    )


def _by_name(item: tuple[str | None, int]) -> tuple[bool, str]:
    # An exposure type may be missing (NULL): those sort last.
    return (item[0] is None, item[0] or "")
