"""A reader that stops early (``asnsql … | head -1``) ends the command quietly with exit 0,
for every output format and every command that prints rows (reliability-2 kind 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .readonly_support import make_database

# More rows than a pipe holds (64 KiB), so the writer meets the closed end.
MANY = "select range as n, repeat('x', 40) as pad from range(50000)"


def _first_line_then_close(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run asnsql, read one line of stdout, close the pipe as head does; exit code,
    that line, and stderr. A ``--file -`` query reads MANY from stdin."""
    process = subprocess.Popen(
        [sys.executable, "-m", "asn_sql", *args],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin and process.stdout and process.stderr
        process.stdin.write(MANY)
        process.stdin.close()
        first = process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        code = process.wait(timeout=60)
    finally:
        process.kill()
    return code, first, err


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipes")
    make_database(path)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["query", "-f", "csv", MANY, "--db", "asn.duckdb"],
        ["query", "-f", "json", MANY, "--db", "asn.duckdb"],
        ["query", "-f", "table", MANY, "--db", "asn.duckdb"],
        ["query", "--file", "-", "--db", "asn.duckdb"],
        ["pools", "-f", "json", "--db", "asn.duckdb"],
        ["pools", "--db", "asn.duckdb"],
        ["rules"],
        ["rules", "-f", "csv"],
        ["render", "lv3_image"],
        ["--help"],
    ],
)
def test_a_reader_that_stops_early_ends_the_command_with_exit_0(
    args: list[str], folder: Path
) -> None:
    code, first, err = _first_line_then_close(args, folder)
    assert first, err
    assert (code, err) == (0, "")
