"""Command-line values converted without pydantic (asn_sql/cli/coercion.py) are exactly what
typer's own coercion gives, and a value it is not sure of gets typer's own answer or message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from asn_sql.cli.coercion import QuickCoercion
from asn_sql.cli.main import app

typer_coercion = pytest.importorskip("typer._coercion", reason="this typer has no pydantic path")


def _parameters() -> list[tuple[str, Any, Any]]:
    """(command:parameter, parameter, its click context) for every parameter of every command."""
    group = typer.main.get_command(app)
    found = []
    with group.make_context("asnsql", ["--version"], resilient_parsing=True) as parent:
        for name in group.list_commands(parent):
            command = group.get_command(parent, name)
            ctx = command.make_context(name, [], parent=parent, resilient_parsing=True)
            for param in command.get_params(ctx):
                found.append((f"{name}:{param.name}", param, ctx))
    return found


PARAMETERS = _parameters()


def _values(tmp_path: Path) -> list[Any]:
    folder, file = tmp_path / "folder", tmp_path / "file.csv"
    folder.mkdir()
    file.write_text("x")
    locked = tmp_path / "locked.csv"
    locked.write_text("x")
    locked.chmod(0)
    texts = ["x", "", " ", "-", "a//b/", "./a/", "nul\x00here", "12", "0012", "-3", "+4", " 5"]
    texts += ["1_000", "1.0", "१२", "9" * 30, "table", "TABLE", "json", "csv", "text", "all"]
    texts += [str(folder), str(file), str(locked), str(tmp_path / "missing.duckdb")]
    return [*texts, None, True, False, 7, Path("asn.duckdb"), file, b"bytes"] + [
        tuple(texts[:3]),
        ("1", "2"),
        [str(file), "x"],
        ("12", "x"),
        (),
    ]


def _outcome(coercion: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the message a person would see
        return type(exc).__name__, str(getattr(exc, "message", exc))


def test_every_parameter_of_every_command_takes_values_as_typer_does(tmp_path) -> None:
    # (a file of mode 0 among the values: unreadable, unless the tests run as root)
    quick = [
        (name, p, ctx) for name, p, ctx in PARAMETERS if isinstance(p._runtime_param, QuickCoercion)
    ]
    # every kind of option asnsql has is converted quickly: str, Path, int, enums, lists of them
    kinds = {p._runtime_param.kind for _, p, _ in quick}
    assert {(False, str), (False, Path), (False, int), (True, str), (True, Path)} <= kinds
    values = _values(tmp_path)
    for name, param, ctx in quick:
        full = typer_coercion.build_runtime_param(param.type_descriptor)
        for value in values:
            got = _outcome(param._runtime_param, value, param, ctx)
            assert got == _outcome(full, value, param, ctx), (name, value)
            assert type(got[1]) is type(_outcome(full, value, param, ctx)[1]), (name, value)
