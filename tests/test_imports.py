"""A command imports only what it needs: help never loads DuckDB, jsonschema or jinja, no
command loads pydantic (typer's coercion of plain values is done without it), and a
command that prints only lines loads no rich."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import EXPECTED, POOLS

_PROBE = """
import json, sys
from asn_sql.cli import main as cli
sys.argv = ["asnsql", *json.loads(sys.argv[1])]
try:
    cli.run()
except SystemExit:
    pass
heavy = ("duckdb", "jsonschema", "jinja2", "pydantic", "rich")
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


# A bare typer app's command help: some typer versions (0.20, the lowest pin) format it
# with rich themselves, whatever asnsql does.
_TYPER_HELP = """
import sys, typer
app = typer.Typer()
@app.command()
def one(x: int = 0) -> None: ...
@app.command()
def two() -> None: ...
sys.argv = ["probe", "one", "--help"]
try:
    app()
except SystemExit:
    pass
print("rich" in sys.modules)
"""


def _typer_help_loads_rich() -> bool:
    done = subprocess.run(
        [sys.executable, "-c", _TYPER_HELP], capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["generate", "--help"]])
def test_help_and_version_load_no_database_or_schema_library(args: list[str]) -> None:
    expected = ["rich"] if "--help" in args and _typer_help_loads_rich() else []
    assert _heavy_modules_after(*args) in ([], expected)


def test_the_api_is_importable_without_duckdb_until_called(tmp_path) -> None:
    # docs/api.md: importable without loading DuckDB until they are called
    probe = (
        "from asn_sql import load_asn, generate; import asn_sql, sys; asn_sql.generate; "
        "assert 'duckdb' not in sys.modules, 'on import'; "
        "load_asn(sys.argv[1]); assert 'duckdb' not in sys.modules, 'load_asn'; "
        "generate(sys.argv[2], level=3); assert 'duckdb' in sys.modules"
    )
    asn = tmp_path / "jw99009-c1000_spec3_00001_asn.json"
    asn.write_text((EXPECTED / "pool_010_spec_nirspec_lv2bkg" / asn.name).read_text())
    pool = POOLS / "pool_002_image_miri.csv"
    done = subprocess.run(
        [sys.executable, "-c", probe, str(asn), str(pool)], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_asn_sql_generate_has_the_signature_of_the_api_function_it_calls() -> None:
    import inspect

    import asn_sql
    import asn_sql.api

    assert inspect.signature(asn_sql.generate) == inspect.signature(asn_sql.api.generate)
    assert asn_sql.generate.__doc__ == asn_sql.api.generate.__doc__


def test_the_probe_sees_a_command_that_does_load_them(tmp_path) -> None:
    assert "duckdb" in _heavy_modules_after("pools", "--db", str(tmp_path / "x.duckdb"))


def _generate_probe(tmp_path, cache, pool: str, out: str) -> tuple[list[str], list[str]]:
    """Heavy modules a `generate` loaded, and the files it wrote, with its own cache."""
    import os
    from pathlib import Path

    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env.pop("ASNSQL_NO_CACHE", None)
    pools = Path(__file__).resolve().parent.parent / "fixtures" / "pools"
    args = ["generate", str(pools / pool), "-p", str(tmp_path / out), "--db"]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([*args, str(tmp_path / f"{out}.duckdb")])],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    heavy = json.loads(done.stdout.strip().splitlines()[-1])
    return heavy, sorted(p.name for p in (tmp_path / out).iterdir())


def test_a_second_run_remembers_rendered_sql_and_valid_document_shapes(tmp_path) -> None:
    cache = tmp_path / "cache"
    heavy, first = _generate_probe(tmp_path, cache, "pool_002_image_miri.csv", "one")
    assert "jsonschema" in heavy and "jinja2" in heavy
    heavy, second = _generate_probe(tmp_path, cache, "pool_002_image_miri.csv", "two")
    assert heavy == ["duckdb"] and second == first and first


_BUILT = """
import json, sys
import typer.main as typer_main
built = []
original = typer_main.get_command_from_info
def counting(*args, **kwargs):
    built.append(1)
    return original(*args, **kwargs)
typer_main.get_command_from_info = counting
from asn_sql.cli import main as cli
sys.argv = ["asnsql", *json.loads(sys.argv[1])]
try:
    cli.run()
except SystemExit:
    pass
print(len(built))
"""


def _commands_built(*args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _BUILT, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def test_a_process_builds_only_the_command_it_names_and_help_sees_them_all() -> None:
    from asn_sql.cli.main import app

    assert _commands_built("generate", "-h") == 1
    assert _commands_built("--help") == len(app.registered_commands) > 1
    assert _commands_built("no-such-command") == len(app.registered_commands)
