"""The README and the docs as a test: their command blocks, in order, in one fresh folder.

The commands are read from README.md and then from the pages of docs/, in the order
of the toctree of docs/index.md, so the test breaks when the documentation and the
tool drift apart. The pages' examples follow on from the README's tour, so all of
them share one folder. The folder stands for a fresh clone: copies of ``fixtures/``,
``sql/`` and ``tests/fits_headers.py``, and ``.venv/bin`` holding ``python`` (the
interpreter running the tests) and ``asnsql`` (``python -m asn_sql``), first on
``PATH`` as after ``. .venv/bin/activate``. How a page is read:

- Every ```` ```sh ```` and ```` ```console ```` block runs, in the page's order, one
  command at a time in one ``bash`` each (a command goes on while a quote is open or a
  line ends in ``\\``), from the folder; ``(cd DIR && ...)`` is how a command works
  in another folder.
- A block whose fence follows a line ``<!-- not run: REASON -->`` does not run. They
  are the install and test commands (the test runs inside the installed environment,
  and is itself one of the tests), ``pip install '.[fits]'`` (the network; the test
  environment has astropy), the benchmarks (minutes each), jwst's differential run
  and the Dask cluster's commands (a network and a cluster).
- In a line ``python3 -m venv .venv && .venv/bin/pip install ... && COMMAND`` (the
  README's first command) only COMMAND runs: the environment is installed already.
- A ```` ```sql ```` or ```` ```sql+jinja ```` block after "Save this as `FILE`:" is
  written to FILE, as the reader is asked to do.
- A block with ``$ `` lines is a transcript: each ``$ COMMAND`` runs, and the lines
  up to the next ``$`` are what it prints, compared exactly, line by line, with its
  stdout followed by its stderr (no normalisation: the walk-through's run ids,
  paths and counts are all determined by its order). Exit codes are not checked
  there (``validate`` and ``diff`` exit 2 and 1 on purpose): their lines are shown.
- A command outside a transcript must exit with 0.

The ```` ```python ```` block of the Python API page needs jwst: this test does
not run it, ``tests/test_jwst_pipeline.py`` does where jwst is installed; the
```` ```sql ```` examples of the database page are queries, not commands.
About 50 s of CPU time (some 55 commands, each a new process).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^```([\w+]*)\n(.*?)^```$", re.M | re.S)
_TOCTREE = re.compile(r"^```\{toctree\}\n(.*?)^```$", re.M | re.S)
_NOT_RUN = re.compile(r"<!-- not run: (\S.*?) -->\s*$")
_SAVE_AS = re.compile(r"Save this as `([^`]+)`:\s*$")
_INSTALL = re.compile(r"^python3 -m venv \.venv && \.venv/bin/pip install \S+ && ")


@dataclass
class Step:
    """One thing the reader does: run ``command`` or write ``text`` to ``save_as``."""

    page: str
    line: int
    command: str = ""
    expected: list[str] | None = None
    save_as: str = ""
    text: str = ""
    not_run: str = ""


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # a quote still open
        return False
    return True


def pages() -> list[Path]:
    """README.md, then docs/index.md and the pages of its toctree, in its order."""
    index = DOCS / "index.md"
    toctree = _TOCTREE.search(index.read_text())
    assert toctree, "docs/index.md has no toctree"
    names = [
        line.strip()
        for line in toctree.group(1).splitlines()
        if line.strip() and not line.startswith(":")
    ]
    return [README, index, *(DOCS / f"{name}.md" for name in names)]


def _commands(lines: list[str], first_line: int, page: str) -> list[tuple[int, str, list[str]]]:
    """(line, command, following lines) of a block; commands may span lines."""
    transcript = any(line.startswith("$ ") for line in lines)
    found: list[tuple[int, str, list[str]]] = []
    pending: list[str] = []
    for offset, line in enumerate(lines):
        if pending:
            pending.append(line)
        elif transcript and not line.startswith("$ "):
            found[-1][2].append(line)
            continue
        elif not line.strip():
            continue
        else:
            pending = [line[2:] if transcript else line]
            start = first_line + offset
        command = "\n".join(pending)
        if _complete(command):
            found.append((start, command, []))
            pending = []
    assert not pending, f"{page}, line {first_line}: a command never ends"
    return found


def walkthrough(text: str, page: str = "README.md") -> list[Step]:
    """A page's steps in order."""
    steps: list[Step] = []
    for match in _FENCE.finditer(text):
        language, body = match.group(1), match.group(2).rstrip("\n")
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        not_run = _NOT_RUN.search(before)
        if language in ("sql", "sql+jinja") and (save := _SAVE_AS.search(before)):
            steps.append(Step(page, line, save_as=save.group(1), text=body + "\n"))
            continue
        if language not in ("sh", "console"):
            continue
        lines = body.split("\n")
        transcript = any(line.startswith("$ ") for line in lines)
        for start, command, output in _commands(lines, line + 1, page):
            steps.append(
                Step(
                    page,
                    start,
                    command=_INSTALL.sub("", command),
                    expected=output if transcript else None,
                    not_run=not_run.group(1) if not_run else "",
                )
            )
    return steps


def _clone(folder: Path) -> dict[str, str]:
    """A fresh folder as a clone has it, and the environment of an activated venv."""
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    shutil.copytree(ROOT / "sql", folder / "sql")
    (folder / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "fits_headers.py", folder / "tests")
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # Scripts, not symlinks: a venv's python moved elsewhere forgets its venv.
    python = shlex.quote(sys.executable)
    scripts = {"python": f'exec {python} "$@"', "asnsql": f'exec {python} -m asn_sql "$@"'}
    for name, line in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{line}\n")
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASNSQL_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(folder / ".venv")
    # A terminal-free run: no colours, no progress, the same output on every machine.
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"
    return env


def _all_steps() -> list[Step]:
    steps: list[Step] = []
    for path in pages():
        steps += walkthrough(path.read_text(), str(path.relative_to(ROOT)))
    return steps


def test_the_pages_are_read_as_the_docstring_says() -> None:
    assert [p.name for p in pages()[:2]] == ["README.md", "index.md"]
    assert all(p.is_file() for p in pages()), pages()
    steps = _all_steps()
    commands = [s.command for s in steps if s.command and not s.not_run]
    # The README's first command, without its install part, comes first.
    assert commands[0].startswith(".venv/bin/asnsql generate fixtures/pools/")
    # Every block not run says why.
    assert all(s.not_run.strip() for s in steps if s.not_run)
    skipped = {s.command.split()[0] for s in steps if s.not_run}
    assert skipped <= {
        "python3",
        ".venv/bin/python",
        ".venv/bin/ruff",
        "pip",
        "dask",
        "asnsql",
        "python",
    }
    assert any(s.save_as for s in steps)
    # Transcripts in the README's tour and in the pages.
    assert sum(s.expected is not None for s in steps if s.page == "README.md") >= 3
    assert sum(s.expected is not None for s in steps if s.page != "README.md") >= 8


def test_the_readme_and_docs_walkthrough_runs_as_written(tmp_path: Path) -> None:
    env = _clone(tmp_path)
    failures: list[str] = []
    for step in _all_steps():
        if step.not_run:
            continue
        if step.save_as:
            target = tmp_path / step.save_as
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text)
            continue
        result = subprocess.run(
            ["bash", "-c", f"set -o pipefail\n{step.command}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        where = f"{step.page}, line {step.line}: {step.command}"
        if step.expected is None:
            if result.returncode != 0:
                failures.append(f"{where}\n  exit {result.returncode}: {result.stderr.strip()}")
            continue
        actual = result.stdout.splitlines() + result.stderr.splitlines()
        if actual != step.expected:
            failures.append(
                f"{where}\n  the page shows:\n"
                + "".join(f"    {line}\n" for line in step.expected)
                + "  it prints:\n"
                + "".join(f"    {line}\n" for line in actual)
            )
    assert not failures, "\n".join(failures)
