"""Each command's result as one JSON document (``--format json``), built from the same result
objects its text renders. The keys are listed in docs/commands.md ("JSON output"); a test
checks that list against what the commands print.

A new command adds a function here turning its result into a dict of plain values (dicts,
lists, strings, numbers, booleans, None, paths) and prints it with print_document
(asn_sql/cli/formats.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asn_sql.api import GenerateResult
    from asn_sql.io.query import QueryResult
    from asn_sql.tools.batch import BatchSummary, PoolReport
    from asn_sql.tools.diff import Canonical, Change, DiffReport
    from asn_sql.tools.explain import Explanation, OrphanReason, Verdict
    from asn_sql.tools.impact import ImpactResult, ImpactSettings
    from asn_sql.tools.versions import PoolChanges


def generate_document(
    result: GenerateResult, levels: Sequence[int], dry_run: bool
) -> dict[str, Any]:
    """What `generate` did: the run, its counts, the files written and the warnings."""
    summary = result.summary
    return {
        "run_id": summary.run_id,
        "pool_id": summary.pool_id,
        "pool": result.pool,
        "levels": list(levels),
        "dry_run": dry_run,
        "n_associations": summary.n_associations,
        "by_type": dict(summary.by_type),
        "n_orphans": summary.n_orphans,
        "files": [str(path) for path in result.written],
        "warnings": list(result.warnings),
        "timings": dict(summary.timings),
    }


def diff_document(report: DiffReport, warnings: list[str]) -> dict[str, Any]:
    """What `diff` found, in the words of its text: same, renamed, removed, added, changed,
    and between two runs the orphans; then the warnings."""
    return {**report_document(report), "warnings": list(warnings)}


def report_document(report: DiffReport) -> dict[str, Any]:
    """diff's report as data: the keys of `diff -f json` but its warnings (`changes` and
    `impact` carry one each)."""
    return {
        "equal": report.equal,
        "counts": {
            "same": len(report.same),
            "renamed": len(report.renamed),
            "changed": len(report.changed),
            "removed": len(report.removed),
            "added": len(report.added),
            "orphaned": len(report.orphaned),
            "adopted": len(report.adopted),
        },
        "same": [{"old": old, "new": new} for old, new in report.same],
        "renamed": [{"old": c.old, "new": c.new} for c in report.renamed],
        "removed": [_association(asn) for asn in report.removed],
        "added": [_association(asn) for asn in report.added],
        "changed": [_change(c) for c in sorted(report.changed, key=lambda c: c.old)],
        "orphans_compared": report.orphans_compared,
        "orphaned": [
            {
                "filename": o.filename,
                "exp_type": o.exp_type,
                "associations": list(o.associations),
                "reason": o.reason,
            }
            for o in report.orphaned
        ],
        "adopted": [
            {"filename": o.filename, "exp_type": o.exp_type, "associations": list(o.associations)}
            for o in report.adopted
        ],
    }


def changes_document(found: PoolChanges) -> dict[str, Any]:
    """What `changes` found: the two versions and runs compared, diff's report, warnings."""
    return {
        "program": found.program,
        "pool": found.pool,
        "run_id": found.run_id,
        "previous": found.previous,
        "previous_run_id": found.previous_run_id,
        "report": report_document(found.report),
        "warnings": list(found.warnings),
    }


def impact_document(settings: ImpactSettings, result: ImpactResult) -> dict[str, Any]:
    """What `impact` found: the rules tried, the counts over every pool, then each pool
    with diff's report (or its error), in the order compared."""
    from asn_sql.cli.common import error_line

    return {
        "rules_dir": str(settings.rules_dir),
        "ignore_default": settings.ignore_default,
        "n_pools": len(result.pools),
        "n_changed": len(result.changed),
        "n_failed": len(result.failed),
        "counts": result.counts(),
        "pools": [
            {
                "pool": pool.pool,
                "pool_id": pool.pool_id,
                "run_id": pool.run_id,
                "would_change": pool.changes,
                "report": None if pool.report is None else report_document(pool.report),
                "warnings": list(pool.warnings),
                "error": None
                if pool.error is None
                else error_line(pool.error, pool.error_settings).removeprefix("Error: "),
            }
            for pool in result.pools
        ],
        "warnings": list(result.warnings),
    }


def _association(asn: Canonical) -> dict[str, Any]:
    fields = asn.fields
    return {
        "file": asn.file,
        "asn_type": fields["asn_type"],
        "asn_rule": fields["asn_rule"],
        "asn_id": fields["asn_id"],
        "n_members": sum(asn.members.values()),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "old": change.old,
        "new": change.new,
        "similarity": change.similarity,
        # the file names are old and new already
        "fields": [
            {"field": name, "old": old, "new": new}
            for name, (old, new) in change.fields.items()
            if name != "file"
        ],
        "products": list(change.products),
        "roles": [
            {"expname": expname, "old": old, "new": new} for expname, old, new in change.roles
        ],
        "moved_out": [
            {"expname": e, "exptype": r, "to": where} for (e, r), where in change.moved_out
        ],
        "moved_in": [
            {"expname": e, "exptype": r, "from": where} for (e, r), where in change.moved_in
        ],
        "removed": [{"expname": e, "exptype": r} for e, r in change.removed],
        "added": [{"expname": e, "exptype": r} for e, r in change.added],
    }


def explain_document(found: list[Explanation]) -> dict[str, Any]:
    """Every exposure `explain` found: its associations and each rule's reason, in words
    and as data."""
    return {
        "exposures": [
            {
                "run_id": item.run_id,
                "filename": item.filename,
                "row_no": item.row_no,
                "exp_type": item.exp_type,
                "left_out": item.left_out,
                "memberships": [
                    {
                        "association": m.association,
                        "product": m.product,
                        "exptype": m.exptype,
                        "rule": m.rule,
                    }
                    for m in item.memberships
                ],
                "verdicts": [_verdict(v) for v in item.verdicts],
            }
            for item in found
        ],
        "warnings": [warning for item in found for warning in item.warnings],
    }


def _verdict(v: Verdict) -> dict[str, Any]:
    at = v.condition_at
    return {
        "rule": v.rule,
        "level": v.level,
        "reason": v.reason,
        "uses_type": v.uses_type,
        "roles": v.roles,
        "scopes": v.scopes,
        "dropped": [{"scope": scope, "why": why} for scope, why in v.dropped],
        "condition": v.condition,
        "condition_at": None if at is None else {"select_no": at[0], "condition_no": at[1]},
        "values": v.values,
    }


def explain_orphans_document(run_id: int, found: list[OrphanReason]) -> dict[str, Any]:
    """Every orphan of a run and the rule that came closest to taking it."""
    return {
        "run_id": run_id,
        "orphans": [
            {"filename": o.filename, "exp_type": o.exp_type, "rule": o.rule, "why": o.why}
            for o in found
        ],
    }


def validate_document(checked: list[tuple[Path, list[str]]]) -> dict[str, Any]:
    """Each file `validate` checked, with its errors (none when it is valid)."""
    return {
        "n_files": len(checked),
        "n_invalid": sum(bool(errors) for _, errors in checked),
        "files": [
            {"file": str(path), "valid": not errors, "errors": list(errors)}
            for path, errors in checked
        ],
    }


def runs_document(listed: QueryResult) -> dict[str, Any]:
    """The kept runs, one object each with the columns `runs` prints."""
    from asn_sql.cli.formats import records

    return {"runs": records(listed)}


def deleted_runs_document(deleted: list[tuple[int, int]]) -> dict[str, Any]:
    """The runs `runs --delete` deleted, with how many associations each had."""
    return {"deleted": [{"run_id": run, "n_associations": n} for run, n in deleted]}


def orphans_document(run_id: int, listed: QueryResult) -> dict[str, Any]:
    """The run's orphans, one object each with the columns `orphans` prints."""
    from asn_sql.cli.formats import records

    return {"run_id": run_id, "orphans": records(listed)}


def batch_document(summary: BatchSummary, reports: list[PoolReport]) -> dict[str, Any]:
    """What `batch` did: the counts, then each pool (``reports`` in the order given); a
    pool's error is the message its `Error:` line on stderr says."""
    from asn_sql.cli.common import error_line

    return {
        "done": summary.done,
        "skipped": summary.skipped,
        "failed": summary.failed,
        "n_associations": sum(summary.by_type.values()),
        "by_type": dict(sorted(summary.by_type.items())),
        "pools": [
            {
                "source": pool.source,
                "status": pool.status,
                "folder": None if pool.folder is None else str(pool.folder),
                "run_id": pool.run_id,
                "by_type": dict(pool.by_type),
                "warnings": list(pool.warnings),
                "error": None
                if pool.error is None
                else error_line(pool.error, pool.error_settings).removeprefix("Error: "),
            }
            for pool in reports
        ],
    }
