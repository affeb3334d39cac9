"""The house in layers: the import contracts of pyproject.toml hold, and they can fail.

import-linter reads ``[tool.importlinter]`` and follows every import chain, direct or
through other modules: cli -> api -> tools -> engine | io -> the shared ground.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "asn_sql"

# The contract check in a fresh interpreter, on the asn_sql found first on sys.path: the
# one in the working directory (-c puts it first), not an installed copy.
_LINT = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))\n"
)


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _LINT], cwd=root, capture_output=True, text=True, timeout=300
    )


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def _layers() -> list[str]:
    (contract,) = [c for c in _contracts() if c["type"] == "layers"]
    return [
        name.strip() for layer in contract["layers"] for name in layer.replace("|", ":").split(":")
    ]


def test_the_import_contracts_hold() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(_contracts())} kept, 0 broken" in done.stdout, done.stdout


def test_every_module_sits_in_a_layer() -> None:
    # A new module at the top, or a new folder, must be placed in the contract: a module
    # left out of the layers would be free to import anything.
    named = set(_layers())
    found = {
        f"asn_sql.{path.stem}"
        for path in PACKAGE.glob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    } | {f"asn_sql.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py")}
    assert found == named


@pytest.mark.parametrize(
    ("module", "line", "report"),
    [
        # Each arrow pointing up, or across between engine and io, breaks a contract.
        (
            "engine/rules.py",
            "from asn_sql.io import pool",
            "asn_sql.engine.rules -> asn_sql.io.pool",
        ),
        (
            "io/pool.py",
            "from asn_sql.engine import rules",
            "asn_sql.io.pool -> asn_sql.engine.rules",
        ),
        ("values.py", "from asn_sql.tools import diff", "asn_sql.values -> asn_sql.tools.diff"),
        (
            "tools/diff.py",
            "from asn_sql.cli import common",
            "asn_sql.tools.diff -> asn_sql.cli.common",
        ),
        ("engine/rules.py", "import typer", "asn_sql.engine.rules -> typer"),
    ],
)
def test_a_wrong_way_import_breaks_the_contract(
    tmp_path: Path, module: str, line: str, report: str
) -> None:
    shutil.copytree(PACKAGE, tmp_path / "asn_sql", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "asn_sql" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n")
    done = _lint(tmp_path)
    assert done.returncode != 0, done.stdout
    assert report in done.stdout, done.stdout
