"""What a run leaves for people: the list of runs, deleting one, its orphans (listed or
saved as jwst's --save-orphans table) and jwst's duplicate-product-name warning."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asn_sql import db, interrupt
from asn_sql.defaults import ORPHANS_FILE  # noqa: F401 (re-exported)
from asn_sql.errors import UsageError
from asn_sql.io.documents import Document
from asn_sql.io.query import QueryResult, fetch, reading
from asn_sql.io.staged_files import write_atomic

# The default file name of a bare --save-orphans, as jwst's asn_generate (main.py).


def list_runs(db_path: Path) -> QueryResult:
    """One row per kept run, newest last: what it ran on and what it made."""
    with reading(db_path) as con:
        return fetch(
            con,
            """
            select r.run_id, p.name as pool,
                   strftime(r.started_at, '%Y-%m-%d %H:%M:%S') as started_at,
                   r.levels, r.mode,
                   r.n_associations as associations,
                   (select count(*) from orphans as o where o.run_id = r.run_id) as orphans
            from runs as r join pools as p using (pool_id)
            order by r.run_id
            """,
        )


# Every table that holds rows of a run (migrations 0002, 0003, 0007, 0009); views follow them.
_RUN_TABLES = (
    "members",
    "products",
    "associations",
    "unwritten_associations",
    "orphan_reasons",
    "explain_rules",
    "explain_conditions",
    "explain_verdicts",
    "runs",
)


def delete_runs(db_path: Path, run_ids: Sequence[int]) -> list[tuple[int, int]]:
    """Delete runs with their associations, products, members and orphan reasons, all in
    one transaction. Returns (run id, number of associations it had) for each run, in the
    order given, a repeated id once. Raises UsageError naming every id that is no run;
    then nothing is deleted."""
    wanted = list(dict.fromkeys(run_ids))
    con = db.open_database(db_path)
    try:
        with db.transaction(con):
            found = dict(
                con.execute(
                    "select run_id, n_associations from runs where list_contains($runs, run_id)",
                    {"runs": wanted},
                ).fetchall()
            )
            missing = [str(run) for run in wanted if run not in found]
            if missing:
                which = "is no run" if len(missing) == 1 else "are no runs"
                # with other runs given, say that they stay too
                kept = "; nothing deleted" if len(wanted) > 1 else ""
                raise UsageError(
                    f"there {which} {', '.join(missing)} (asnsql runs lists them){kept}"
                )
            for table in _RUN_TABLES:
                con.execute(
                    f"delete from {table} where list_contains($runs, run_id)", {"runs": wanted}
                )
            shown = ", ".join(str(run) for run in wanted)
            interrupt.keep_on_commit(f"run{'s' if len(wanted) > 1 else ''} {shown} deleted")
        return [(run, int(found[run])) for run in wanted]
    finally:
        con.close()


def delete_run(db_path: Path, run_id: int) -> int:
    """Delete one run (:func:`delete_runs`); returns the number of associations it had."""
    return delete_runs(db_path, [run_id])[0][1]


def no_such_run(run_id: int) -> UsageError:
    """The one error for a run id that names no run, whichever command was given it."""
    return UsageError(f"there is no run {run_id} (asnsql runs lists them)")


def latest_run(con: Any, run_id: int | None) -> int:
    """``run_id`` if that run exists, else the latest run; UsageError when there is none."""
    if run_id is None:
        row = con.execute("select max(run_id) from runs").fetchone()
        if row is None or row[0] is None:
            raise UsageError("no run yet; run asnsql generate first")
        return int(row[0])
    if not con.execute("select count(*) from runs where run_id = $run", {"run": run_id}).fetchone()[
        0
    ]:
        raise no_such_run(run_id)
    return run_id


def list_orphans(db_path: Path, run_id: int | None = None) -> tuple[int, QueryResult]:
    """The exposures a run (default: the latest) left out: file name, type and why."""
    with reading(db_path) as con:
        run = latest_run(con, run_id)
        return run, fetch(
            con,
            "select filename, exp_type, reason from orphans where run_id = $run order by row_no",
            {"run": run},
        )


def save_orphans(con: Any, run_id: int, pool_id: int, target: Path) -> int:
    """Write the run's orphans (:func:`orphans_text`) to ``target``, atomically. Returns the
    number of rows."""
    text, count = orphans_text(con, run_id, pool_id)
    write_atomic(target, text)
    return count


def orphans_text(con: Any, run_id: int, pool_id: int) -> tuple[str, int]:
    """The run's orphans as a pool table, the way jwst's --save-orphans writes them: the
    pool's columns in file order, `|`-delimited, a header line, and asnsql's `reason`
    last; the text loads back with `asnsql load`. Returns the text and the number of rows."""
    columns = con.execute(
        "select columns from pools where pool_id = $pool", {"pool": pool_id}
    ).fetchone()[0]
    cursor = con.execute(
        "select * from orphans where run_id = $run order by row_no", {"run": run_id}
    )
    names = [d[0] for d in cursor.description]
    lines = ["|".join([*columns, "reason"])]
    rows = cursor.fetchall()
    for row in rows:
        record = dict(zip(names, row, strict=True))
        extra = record.get("extra") or {}
        values = [record[c] if c in record else extra.get(c) for c in columns]
        lines.append("|".join(_cell(v) for v in [*values, record["reason"]]))
    return "\n".join(lines) + "\n", len(rows)


def _cell(value: Any) -> str:
    # jwst's pools write an empty value as null and quote text holding blanks
    text = "null" if value is None or value == "" else str(value)
    if re.search(r'[\s|"]', text):
        return '"' + text.replace('"', '""') + '"'
    return text


# A member's file name without its pipeline suffix and extension: jwst does not warn
# of names that differ only there (jw_00001_rate.fits and jw_00001_cal.fits).
_SUFFIX = re.compile(
    r"(_(uncal|rate|rateints|cal|calints|x1d|x1dints|i2d|s2d|s3d|crf|crfints|cat|segm))?"
    r"\.[a-z0-9.]+$",
    re.I,
)


def duplicate_name_warnings(documents: list[Document]) -> list[str]:
    """jwst's warning (lib/prune.py) for associations whose first product has the same name
    but whose members differ by more than their file suffix."""
    names = DuplicateNames()
    names.add(documents)
    return names.warnings()


class DuplicateNames:
    """:func:`duplicate_name_warnings` over documents that arrive in batches: keeps only
    each association's file name, product name and member roots, not the documents."""

    def __init__(self) -> None:
        self._by_product: dict[str, list[tuple[str, set[tuple[str, str]]]]] = {}

    def add(self, documents: list[Document]) -> None:
        for doc in documents:
            products = doc.data.get("products") or [{}]
            name = products[0].get("name")
            if name:
                self._by_product.setdefault(name, []).append((doc.file_name, _members(doc)))

    def warnings(self) -> list[str]:
        found = []
        for name, docs in self._by_product.items():
            for n, (first, first_members) in enumerate(docs):
                for second, second_members in docs[n + 1 :]:
                    only_first = first_members - second_members
                    only_second = second_members - first_members
                    if only_first or only_second:
                        found.append(
                            f"{first} and {second} have the same product name {name} but "
                            f"significant differences (members only in the first: "
                            f"{_few(only_first)}; only in the second: {_few(only_second)})"
                        )
        return found


def _members(doc: Document) -> set[tuple[str, str]]:
    product = (doc.data.get("products") or [{}])[0]
    return {(_SUFFIX.sub("", m["expname"]), m["exptype"]) for m in product.get("members", [])}


def _few(members: set[tuple[str, str]]) -> str:
    names = sorted(f"{root} ({role})" for root, role in members)
    return (
        ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") or "none"
    )
