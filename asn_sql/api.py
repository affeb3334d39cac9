"""The operations behind the commands, and the Python API: plain arguments in, results out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from asn_sql import db
from asn_sql.diff import read_directory
from asn_sql.documents import (
    Document,
    iter_run_documents,
    run_documents,
    validate_documents,
    write_documents,
    write_run_documents,
)
from asn_sql.errors import UsageError
from asn_sql.generate import GenerateOptions, Progress, RunSummary, generate_run
from asn_sql.load import load_into
from asn_sql.pool import DEFAULT_DELIMITER


@dataclass
class GenerateResult:
    """A finished run: its summary, its documents and the files written (none on a dry run)."""

    summary: RunSummary
    documents: list[Document]
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def resolve_pool(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    pool: str | None,
    *,
    delimiter: str = DEFAULT_DELIMITER,
) -> tuple[int, list[str]]:
    """Attach the database to the fresh connection ``con`` and find the pool_id for
    ``pool``: a pool file (loaded now if it is new), a loaded pool's name, or nothing
    when exactly one pool is loaded. Returns warnings of a load too."""
    if pool is not None and Path(pool).is_file():
        result = load_into(con, db_path, [Path(pool)], delimiter=delimiter, replace=False)[0]
        return result.pool_id, result.warnings
    db.attach(con, db_path)
    loaded = con.execute("select pool_id, name from pools order by pool_id").fetchall()
    if pool is not None:
        matches = [pid for pid, name in loaded if pool in (name, Path(name).stem)]
        if not matches:
            raise UsageError(f"{pool!r} is neither a pool file nor the name of a loaded pool")
        return matches[0], []
    if len(loaded) == 1:
        return loaded[0][0], []
    if not loaded:
        raise UsageError("no pool is loaded; give a pool file (asnsql generate POOL)")
    names = ", ".join(name for _, name in loaded)
    raise UsageError(f"several pools are loaded ({names}); name one (asnsql generate NAME)")


def generate_documents(
    db_path: Path,
    pool: str | None,
    options: GenerateOptions,
    *,
    output_dir: Path | None,
    delimiter: str = DEFAULT_DELIMITER,
    progress: Progress | None = None,
    keep_documents: bool = True,
) -> GenerateResult:
    """Run the rules over a pool, keep the run, and write its documents to ``output_dir``
    (nothing is written when it is None: a dry run). With ``keep_documents`` false
    the documents are built, checked and written a batch at a time and not
    returned, so that memory does not grow with the run."""
    if output_dir is not None and output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"--path {output_dir} is a file, not a folder")
    con = db.connect_memory(spill_beside=db_path)
    try:
        pool_id, warnings = resolve_pool(con, db_path, pool, delimiter=delimiter)
        summary = generate_run(con, pool_id, options, progress)
        if not keep_documents:
            written = _stream_documents(con, summary.run_id, output_dir)
            return GenerateResult(summary, [], written, warnings + summary.warnings)
        documents = run_documents(con, summary.run_id)
    finally:
        con.close()
    validate_documents(documents)
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
    written = write_documents(documents, output_dir) if output_dir is not None else []
    return GenerateResult(summary, documents, written, warnings + summary.warnings)


def _stream_documents(
    con: duckdb.DuckDBPyConnection, run_id: int, output_dir: Path | None
) -> list[Path]:
    if output_dir is None:
        for batch in iter_run_documents(con, run_id):
            validate_documents(batch)
        return []
    output_dir.mkdir(parents=True, exist_ok=True)
    return write_run_documents(con, run_id, output_dir)


def generate(
    pool_path: str | Path, level: int | str = "all", *, db_path: str | Path | None = None
) -> list[dict[str, Any]]:
    """Associations of a pool file as plain dicts, as ``asn_generate`` would write them.

    With no ``db_path`` the work happens in a temporary in-memory database.
    """
    levels = (2, 3) if level == "all" else (int(level),)
    if db_path is None:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            return generate(pool_path, level, db_path=Path(folder) / "asn.duckdb")
    result = generate_documents(
        Path(db_path), str(pool_path), GenerateOptions(levels=levels), output_dir=None
    )
    return [doc.data for doc in result.documents]


def open_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection for queries over runs."""
    return db.open_database(db_path, read_only=True)


def read_run(db_path: Path, run_id: int) -> dict[str, dict[str, Any]]:
    """The documents of a kept run, by file name, from a read-only database."""
    con = open_read_only(db_path)
    try:
        known = con.execute("select count(*) from runs where run_id = $run", {"run": run_id})
        if not known.fetchone()[0]:  # type: ignore[index]
            raise UsageError(f"there is no run {run_id} (asnsql query 'from runs')", path=db_path)
        return {doc.file_name: doc.data for doc in run_documents(con, run_id)}
    finally:
        con.close()


def read_diff_side(side: str, db_path: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """One side of ``asnsql diff``: a folder of association files (preferred when such a
    folder exists) or a run id. Returns the documents by file name and skip notes."""
    if Path(side).is_dir():
        return read_directory(Path(side))
    if side.isdigit():
        return read_run(db_path, int(side)), []
    raise UsageError(f"{side!r} is neither a folder of association files nor a run id")
