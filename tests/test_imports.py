"""A command imports only what it needs: help never loads DuckDB, jsonschema or jinja."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
from asn_sql.cli import main as cli
sys.argv = ["asnsql", *json.loads(sys.argv[1])]
try:
    cli.run()
except SystemExit:
    pass
heavy = ("duckdb", "jsonschema", "jinja2")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _heavy_modules_after(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["generate", "--help"]])
def test_help_and_version_load_no_database_or_schema_library(args: list[str]) -> None:
    assert _heavy_modules_after(*args) == []


def test_the_probe_sees_a_command_that_does_load_them(tmp_path) -> None:
    assert "duckdb" in _heavy_modules_after("pools", "--db", str(tmp_path / "x.duckdb"))
