"""The README's worked example of a user rule, run exactly as the README shows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECTION = re.search(r"^### Rules of your own\n(.*?)(?=^## )", README, re.M | re.S).group(1)


def _expected_runs() -> list[tuple[str, list[str]]]:
    block = re.search(r"```console\n(.*?)\n```", SECTION, re.S).group(1)
    runs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        else:
            runs[-1][1].append(line)
    return runs


def test_the_readme_user_rule_example_runs_as_shown(tmp_path: Path) -> None:
    rule_file = re.search(r"Save this as `([^`]+)`", SECTION).group(1)
    sql = re.search(r"```sql\n(.*?)\n```", SECTION, re.S).group(1)
    (tmp_path / rule_file).parent.mkdir(parents=True)
    (tmp_path / rule_file).write_text(sql + "\n")
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("ASNSQL_DB", None)
    runs = _expected_runs()
    assert [command.split()[1] for command, _ in runs][:4] == [
        "rules",
        "generate",
        "rules",
        "explain",
    ]
    for command, expected in runs:
        result = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {command}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.splitlines() == expected, command
