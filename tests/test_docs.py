"""Every command has help and a README section; the README's two commands come first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asn_sql.cli import main as cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
COMMANDS = sorted(c.name or c.callback.__name__ for c in cli.app.registered_commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_readme_section_with_an_example(command: str) -> None:
    section = re.search(rf"^### `asnsql {command}\b.*?(?=^### |^## )", README, re.M | re.S)
    assert section, f"no README section for {command}"
    assert f"asnsql {command}" in section.group(0).split("\n", 1)[1]


def test_the_readme_starts_with_the_install_and_test_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "pip install ." in blocks[0] and "asnsql generate fixtures/pools/" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci
