"""The documentation's promises: every command has help and a section in docs/commands.md,
the README is short, starts with its two commands and maps every jwst association option,
every page is reachable, and no page names a commit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asn_sql.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
COMMANDS_PAGE = (DOCS / "commands.md").read_text()
PAGES = sorted(DOCS.glob("*.md"))
COMMANDS = sorted(c.name or c.callback.__name__ for c in cli.app.registered_commands)

# The association commands jwst 3.0.0 installs (its console_scripts entry points) and the
# options each one's parser declares, besides -h/--help. The README's table has a row for
# each; asnsql may spell it the same, differently, or say what it does instead.
JWST_OPTIONS = {
    "asn_generate": [
        "-i/--ids", "--discover", "--all-candidates", "-p/--path", "--save-orphans",
        "--version-id", "-r/--rules", "--ignore-default", "--dry-run", "-d/--delimiter",
        "--pool-format", "-v/--verbose", "-D/--debug", "--DMS", "--format", "--version",
        "--no-finalize", "--merge", "--no-merge", "--per-pool-algorithm",
    ],
    "asn_from_list": ["-o/--output-file", "-f/--format", "--product-name", "-r/--rule",
                      "--ruledefs", "-i/--id"],
    "asn_edit": ["-a/--add", "-r/--remove", "-t/--type", "-i/--ignore", "-o/--output"],
    "asn_gather": ["-s/--source", "-t/--exp-types", "-x/--exclude-types", "-c/--cmd",
                   "-v/--verbose"],
    "asn_make_pool": ["--asn-candidate", "--dms-note", "--is-imprt", "--pntgtype",
                      "-v/--verbose"],
}  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_section_with_an_example_in_the_commands_page(command: str) -> None:
    section = re.search(rf"^### `asnsql {command}\b.*?(?=^##+ |\Z)", COMMANDS_PAGE, re.M | re.S)
    assert section, f"no section for {command} in docs/commands.md"
    assert f"asnsql {command}" in section.group(0).split("\n", 1)[1]


def test_the_readme_starts_with_the_install_and_test_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "pip install ." in blocks[0] and "asnsql generate fixtures/pools/" in blocks[0]
    assert "pytest" in blocks[1]
    # The reader learns how long the second one takes.
    assert re.search(r"about \d+\s+minutes on a 2-core machine", README), "test time not said"


def test_the_readme_is_a_front_door() -> None:
    assert len(README.splitlines()) <= 250


def test_the_readme_maps_every_jwst_association_command_and_option() -> None:
    table = "\n".join(line for line in README.splitlines() if line.startswith("| "))
    starts = [m.start() for m in re.finditer(r"^\| `(asn_\w+)", table, re.M)]
    rows_of = {}
    for start, end in zip(starts, [*starts[1:], len(table)], strict=True):
        rows_of[re.match(r"\| `(asn_\w+)", table[start:]).group(1)] = table[start:end]
    assert sorted(rows_of) == sorted(JWST_OPTIONS)
    for command, options in JWST_OPTIONS.items():
        jwst_column = [row.split(" | ")[0] for row in rows_of[command].splitlines()]
        for option in options:
            assert any(f"`{option}" in cell or f"`{option} " in cell for cell in jwst_column), (
                f"{command} {option} has no row in the README's table"
            )
    for command in COMMANDS:
        assert f"`{command}`" in README or f"asnsql {command}" in README, command


def test_every_page_is_linked_from_the_readme_and_the_index() -> None:
    index = (DOCS / "index.md").read_text()
    for page in PAGES:
        if page.name == "index.md":
            continue
        assert f"](docs/{page.name})" in README, f"README does not link docs/{page.name}"
        assert f"]({page.name})" in index, f"docs/index.md does not link {page.name}"
        assert re.search(rf"^{page.stem}$", index, re.M), f"{page.name} not in the toctree"


def test_the_readmes_links_into_docs_exist() -> None:
    for target in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (ROOT / target).is_file(), target


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_no_page_names_a_commit(page: Path) -> None:
    # History belongs in git log: a hex word of 7 to 40 characters with a digit and a
    # letter in it is a commit hash here (ids such as c1000 are shorter).
    words = re.findall(r"\b[0-9a-f]{7,40}\b", page.read_text())
    hashes = [w for w in words if re.search(r"\d", w) and re.search(r"[a-f]", w)]
    assert not hashes, f"{page.name} names commits {hashes}"


def test_ci_runs_the_readmes_test_command_and_builds_the_docs_strictly() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci
    assert re.search(r"python -m sphinx -W --keep-going .*\bdocs\b", ci)
    assert "/docs/_build/" in (ROOT / ".gitignore").read_text()


def test_the_safety_page_quotes_the_interrupt_line_as_printed() -> None:
    from asn_sql.interrupt import MESSAGE

    safety = (DOCS / "safety.md").read_text()
    quoted = set(re.findall(r"`((?:Error: )?interrupted)`", safety))
    assert quoted == {MESSAGE}, quoted
