"""Running the real command line in-process and checking how it ends: exit code, one
stderr line, no traceback, the database's bytes, and the files it leaves behind."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from asn_sql.cli import main as cli

POOLS = Path(__file__).resolve().parents[2] / "fixtures" / "pools"
SMALL_POOL = POOLS / "pool_002_image_miri.csv"


@dataclass
class Outcome:
    """How one command ended."""

    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


def run(*args: object) -> Outcome:
    """Run ``asnsql ARGS`` as the console entry point does (argv expansion included)."""
    argv = cli._expand_argv([str(a) for a in args])
    result = CliRunner().invoke(cli.app, argv, prog_name="asnsql")
    exception = result.exception
    if isinstance(exception, SystemExit):
        exception = None
    return Outcome(result.exit_code, result.stdout, result.stderr, exception)


def assert_one_error_line(outcome: Outcome, code: int = 2, *words: str) -> str:
    """The command failed with ``code`` and said so in exactly one `Error:` line."""
    assert outcome.exception is None, repr(outcome.exception)
    assert outcome.code == code, (outcome.code, outcome.stderr)
    lines = outcome.error_lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert "╭" not in outcome.stderr, "a rich panel, not one line"
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def digest(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it does not exist."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def tree(root: Path) -> dict[str, str | None]:
    """Every file and folder under ``root``, relative, with its digest (None: a folder)."""
    found: dict[str, str | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root)] = None
        for name in files:
            path = Path(folder, name)
            found[os.path.relpath(path, root)] = digest(path) if path.is_file() else "special"
    return found


def loaded_db(folder: Path, pool: Path = SMALL_POOL) -> Path:
    """A database in ``folder`` with ``pool`` loaded."""
    db = folder / "asn.duckdb"
    outcome = run("load", pool, "--db", db)
    assert outcome.code == 0, outcome.stderr
    return db


def copy_db(template: Path, folder: Path) -> Path:
    """A copy of the database ``template`` in ``folder`` (cheaper than loading again)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "asn.duckdb"
    db.write_bytes(template.read_bytes())
    return db


def _data_lines(lines: list[str]) -> tuple[int, list[int]]:
    """Index of the header line and of each data line (comments and blanks skipped)."""
    rows = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    return rows[0], rows[1:]


def pool_with(path: Path, changes: dict[tuple[int, str], str], source: Path = SMALL_POOL) -> Path:
    """A copy of ``source`` with some cells replaced: ``{(data row, COLUMN): text}``, rows
    counted from 0 after the header. Returns ``path``; line numbers do not move."""
    lines = source.read_text(encoding="utf-8").splitlines()
    header_at, data = _data_lines(lines)
    header = lines[header_at].split("|")
    for (row, column), text in changes.items():
        fields = lines[data[row]].split("|")
        fields[header.index(column)] = text
        lines[data[row]] = "|".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line_of(row: int, source: Path = SMALL_POOL) -> int:
    """The 1-based file line of data row ``row`` of ``source``."""
    return _data_lines(source.read_text(encoding="utf-8").splitlines())[1][row] + 1
