"""Helpers of the read-only and output tests: a loaded database, a snapshot of a folder,
and the checks every refused command must pass."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner, Result

from asn_sql.cli.main import app
from asn_sql.io.load import load_pools

POOL = Path(__file__).resolve().parents[2] / "fixtures" / "pools" / "pool_002_image_miri.csv"
runner = CliRunner()


def make_database(folder: Path) -> Path:
    """A database holding pool_002 (8 exposures) in ``folder``."""
    path = folder / "asn.duckdb"
    load_pools(path, [POOL], delimiter="|", replace=False)
    return path


def snapshot(folder: Path) -> dict[str, str | int]:
    """Every path under ``folder`` with the sha256 of its bytes, or its mode when it is
    not a regular file (a folder, a pipe)."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else p.stat().st_mode
        )
        for p in sorted(folder.rglob("*"))
    }


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Run asnsql in this process, as from a terminal 200 columns wide."""
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200", **(env or {})})


def assert_one_error_line(result: Result, *words: str) -> str:
    """Exit 2, exactly one stderr line starting ``Error: ``, no traceback; the line."""
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
