"""Loading staged pools into the database: one transaction per pool, warnings counted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from asn_sql import db, interrupt
from asn_sql.db import execute_script, exposure_columns
from asn_sql.errors import PoolError
from asn_sql.io.pool import StagedPool, create_staging, stage_pool
from asn_sql.names import ACID_PATTERN
from asn_sql.templates import render_sql

# A quoted string as Python writes one (backslash escapes included), and one (id, type)
# element of a candidate list.
_STR = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_ELEMENT = rf"[\(\[]\s*({_STR})\s*,\s*({_STR})\s*,?\s*[\)\]]"
_ELEMENT_BARE = rf"[\(\[]\s*{_STR}\s*,\s*{_STR}\s*,?\s*[\)\]]"
_FULL_LIST = rf"\[\s*(?:{_ELEMENT_BARE}\s*(?:,\s*{_ELEMENT_BARE}\s*)*,?\s*)?\]"
_GOOD_PREFIX = rf"^\[\s*((?:{_ELEMENT_BARE}\s*(?:,\s*)?)*)"
# At most this many rows are named in one warning.
_NAMED = 5


@dataclass
class LoadResult:
    """What one pool's load did."""

    name: str
    status: str  # "loaded", "replaced" or "unchanged"
    pool_id: int
    row_count: int
    warnings: list[str] = field(default_factory=list)
    # For a pool named as jwst names them (jwPPPPP_YYYYMMDDtHHMMSS_pool.csv): its program
    # and which of the program's loaded versions it is (the view pool_versions).
    program: str | None = None
    version_no: int | None = None
    versions: int | None = None


def load_pools(
    db_path: Path, paths: Sequence[Path], *, delimiter: str, replace: bool
) -> list[LoadResult]:
    """Check every pool file, then load them all in one transaction.

    Nothing is written unless every file reads, and a failure or an interrupt while
    loading leaves the database as it was (a database file this call created is removed).
    """
    existed, wal_existed = os.path.lexists(db_path), db.wal_path(db_path).exists()
    con = db.connect_memory(spill_beside=db_path)
    try:
        return load_into(con, db_path, paths, delimiter=delimiter, replace=replace)
    except BaseException:
        con.close()
        db.clean_up_after_failure(db_path, existed=existed, wal_existed=wal_existed)
        raise
    finally:
        con.close()


def load_into(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    paths: Sequence[Path],
    *,
    delimiter: str,
    replace: bool,
    contents: Sequence[bytes] | None = None,
) -> list[LoadResult]:
    """Check every pool file, then load them all in one transaction (which joins the
    caller's when there is one), on a fresh in-memory connection that then stays
    attached to the database (so a caller can go on with the same connection).
    ``contents``, when given, holds the files' bytes, read elsewhere."""
    staged = stage_pools(con, paths, delimiter, contents)
    db.attach(con, db_path)
    with db.transaction(con):
        results = load_staged_all(con, staged, replace=replace)
        _add_versions(con, results)
        for result in results:
            if result.status != "unchanged":
                interrupt.keep_on_commit(
                    f"{result.name} was loaded as pool {result.pool_id} (it stays loaded)"
                )
        return results


def _add_versions(con: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    """Say which version of its program each pool is, once every pool is in."""
    rows = con.execute(
        "select pool_id, program, version_no, versions from pool_versions "
        "where list_contains($ids, pool_id)",
        {"ids": [result.pool_id for result in results]},
    ).fetchall()
    found = {pool_id: rest for pool_id, *rest in rows}
    for result in results:
        result.program, result.version_no, result.versions = found.get(
            result.pool_id, (None, None, None)
        )


def stage_pools(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    delimiter: str,
    contents: Sequence[bytes] | None = None,
) -> list[StagedPool]:
    """Read and check every pool file into ``con``'s staging tables; nothing is loaded.
    ``contents``, when given, holds the files' bytes, read elsewhere."""
    create_staging(con)
    staged = [
        stage_pool(con, Path(p), i, delimiter, contents=contents[i] if contents else None)
        for i, p in enumerate(paths)
    ]
    _check_unique_names(staged)
    return staged


def _check_unique_names(staged: list[StagedPool]) -> None:
    seen: dict[str, Path] = {}
    for pool in staged:
        if pool.name in seen:
            raise PoolError(
                f"two pools named {pool.name} in one command (the other is {seen[pool.name]})",
                path=pool.path,
            )
        seen[pool.name] = pool.path


def load_staged(con: duckdb.DuckDBPyConnection, pool: StagedPool, *, replace: bool) -> LoadResult:
    """Load one staged pool into the attached database, in one transaction (which joins
    the caller's when there is one): the set of one of :func:`load_staged_all`."""
    return load_staged_all(con, [pool], replace=replace)[0]


def load_staged_all(
    con: duckdb.DuckDBPyConnection, pools: Sequence[StagedPool], *, replace: bool
) -> list[LoadResult]:
    """Load staged pools into the attached database, in one transaction (which joins the
    caller's when there is one). A pool loaded already with the same bytes is
    unchanged; with other bytes it is replaced, or with ``replace`` false a PoolError.
    The new pools' exposures and candidates are inserted by one statement each for all
    of them: a statement costs about as much for one small pool as for many."""
    existing = {
        name: (pool_id, sha256, rows)
        for name, pool_id, sha256, rows in con.execute(
            "select name, pool_id, sha256, row_count from pools where list_contains($names, name)",
            {"names": [pool.name for pool in pools]},
        ).fetchall()
    }
    results: list[LoadResult] = []
    new: list[tuple[StagedPool, LoadResult]] = []
    with db.transaction(con):
        for pool in pools:
            found = existing.get(pool.name)
            if found and found[1] == pool.sha256:
                results.append(LoadResult(pool.name, "unchanged", found[0], found[2]))
                continue
            if found and not replace:
                raise PoolError(
                    f"a different pool named {pool.name} is already loaded; "
                    "replacing it reloads it and removes its runs",
                    path=pool.path,
                    settings=("replace",),
                )
            if found:
                delete_pool(con, found[0])
            status = "replaced" if found else "loaded"
            result = LoadResult(pool.name, status, _insert_pool(con, pool), pool.row_count, [])
            results.append(result)
            new.append((pool, result))
        if new:
            _insert_exposures(con, new)
            _insert_candidates(con, new)
            _duplicate_filenames(con, new)
    return results


def delete_pool(con: duckdb.DuckDBPyConnection, pool_id: int) -> None:
    """Remove a pool and every row derived from it (any table with a pool_id column)."""
    tables = con.execute(
        """
        select table_name from information_schema.columns
        where table_catalog = current_database() and column_name = 'pool_id'
          and table_name <> 'pools'
          and table_name in (select table_name from information_schema.tables
                             where table_catalog = current_database()
                               and table_type = 'BASE TABLE')
        order by table_name
        """
    ).fetchall()
    for (table,) in tables:
        con.execute(f'delete from "{table}" where pool_id = $id', {"id": pool_id})
    con.execute("delete from pools where pool_id = $id", {"id": pool_id})


def _insert_pool(con: duckdb.DuckDBPyConnection, pool: StagedPool) -> int:
    row = con.execute(
        """
        insert into pools (name, source, sha256, loaded_at, row_count, columns, delimiter, comments)
        values ($name, $source, $sha256, $at, $rows, $columns, $delimiter, $comments)
        returning pool_id
        """,
        {
            "name": pool.name,
            "source": str(pool.path),
            "sha256": pool.sha256,
            "at": db.now(),
            "rows": pool.row_count,
            "columns": pool.columns,
            "delimiter": pool.delimiter,
            "comments": pool.comments,
        },
    ).fetchone()
    assert row is not None
    return int(row[0])


def _insert_exposures(
    con: duckdb.DuckDBPyConnection, new: list[tuple[StagedPool, LoadResult]]
) -> None:
    known = exposure_columns(con)
    positions, extra_names, extra_positions = [], [], []
    for pool, _ in new:
        position = {name: i for i, name in enumerate(pool.columns, start=1)}
        extra = [name for name in pool.columns if name not in known]
        positions.append([position.get(name) for name in known])
        extra_names.append(extra)
        extra_positions.append([position[name] for name in extra])
    execute_script(
        con,
        render_sql("load/insert_exposures.sql", columns=known),
        {
            "pool_indexes": [pool.index for pool, _ in new],
            "pool_ids": [result.pool_id for _, result in new],
            "header_lines": [pool.header_line for pool, _ in new],
            "null_tokens": [pool.null_tokens for pool, _ in new],
            "positions": positions,
            "extra_names": extra_names,
            "extra_positions": extra_positions,
        },
    )


def _insert_candidates(
    con: duckdb.DuckDBPyConnection, new: list[tuple[StagedPool, LoadResult]]
) -> None:
    """Read the new pools' ASN_CANDIDATE cells into exposure_candidates, adding each
    pool's warnings to its result."""
    with_column = []
    for pool, result in new:
        if "asn_candidate" in pool.columns:
            with_column.append((pool, result))
        else:
            result.warnings.append(
                f"{pool.path}: the pool has no ASN_CANDIDATE column, so it has no candidates "
                "(jwst stops with a KeyError on such a pool; asnsql can still discover "
                "associations)"
            )
    if not with_column:
        return
    execute_script(
        con,
        render_sql("load/exposure_candidates.sql"),
        {
            "pool_ids": [result.pool_id for _, result in with_column],
            "element": _ELEMENT,
            "full_list": _FULL_LIST,
            "good_prefix": _GOOD_PREFIX,
            "acid_pattern": ACID_PATTERN,
        },
    )
    bad = _by_pool(
        con.execute(
            "select pool_id, line_no, cell, len(ids) from candidate_cells where is_malformed "
            "order by pool_id, line_no"
        ).fetchall()
    )
    for pool, result in with_column:
        found = bad.get(result.pool_id, [])
        result.warnings += [
            f"{pool.path}, line {line}: ASN_CANDIDATE {cell!r} is not a list of (id, type) "
            "pairs; "
            + (
                f"jwst keeps only its first {kept} pair(s), so does asnsql"
                if kept
                else "jwst ignores it, so does asnsql"
            )
            for line, cell, kept in found[:_NAMED]
        ]
        if len(found) > _NAMED:
            result.warnings.append(
                f"{pool.path}: {len(found) - _NAMED} more malformed ASN_CANDIDATE cells"
            )
    _bad_candidate_ids(con, with_column)


def _by_pool(rows: list[tuple]) -> dict[int, list[tuple]]:
    """Rows whose first value is a pool id, grouped by it (order kept)."""
    grouped: dict[int, list[tuple]] = {}
    for pool_id, *rest in rows:
        grouped.setdefault(pool_id, []).append(tuple(rest))
    return grouped


def _bad_candidate_ids(
    con: duckdb.DuckDBPyConnection, pools: list[tuple[StagedPool, LoadResult]]
) -> None:
    """Warn of the (id, type) pairs left out because the id is not a DMS candidate id;
    jwst would carry on and write the id into file names as it is."""
    bad = _by_pool(
        con.execute(
            "select pool_id, line_no, acid from candidate_pairs where not is_acid "
            "order by pool_id, line_no, position"
        ).fetchall()
    )
    for pool, result in pools:
        found = bad.get(result.pool_id, [])
        result.warnings += [
            f"{pool.path}, line {line}: candidate id {acid!r} is not a candidate id "
            "(o001, c1000, a3001, 1000); the pair is left out, as it would name files"
            for line, acid in found[:_NAMED]
        ]
        if len(found) > _NAMED:
            result.warnings.append(
                f"{pool.path}: {len(found) - _NAMED} more candidate ids left out"
            )


def _duplicate_filenames(
    con: duckdb.DuckDBPyConnection, new: list[tuple[StagedPool, LoadResult]]
) -> None:
    dups = _by_pool(
        con.execute(
            """
            select pool_id, filename, list(line_no order by line_no)
            from exposures where list_contains($ids, pool_id)
            group by pool_id, filename having count(*) > 1
            order by pool_id, min(line_no)
            """,
            {"ids": [result.pool_id for _, result in new]},
        ).fetchall()
    )
    for pool, result in new:
        found = dups.get(result.pool_id, [])
        result.warnings += [
            f"{pool.path}: FILENAME {name} appears on lines {', '.join(map(str, lines))}; "
            "jwst keeps every row and an association takes the file once"
            for name, lines in found[:_NAMED]
        ]
        if len(found) > _NAMED:
            result.warnings.append(f"{pool.path}: {len(found) - _NAMED} more repeated FILENAMEs")
