"""Habits from the shell and from jwst: --db and -v before the command, asn_edit's
argument order, one line for an option only jwst has, and shell completion."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXPECTED, POOLS, file_digest
from typer.testing import CliRunner

from asn_sql.cli import main as cli
from asn_sql.cli.habits import JWST_ONLY

runner = CliRunner()
POOL = POOLS / "pool_002_image_miri.csv"
LEVEL3 = EXPECTED / "pool_010_spec_nirspec_lv2bkg" / "jw99009-c1000_spec3_00001_asn.json"


def asnsql(*args: object):
    return runner.invoke(cli.app, cli._expand_argv([str(a) for a in args]))


def test_db_before_the_command_means_what_it_means_after(tmp_path: Path) -> None:
    before, after = tmp_path / "before.duckdb", tmp_path / "after.duckdb"
    assert asnsql("--db", before, "load", POOL).exit_code == 0
    assert asnsql("load", POOL, "--db", after).exit_code == 0
    listed = [
        asnsql("--db", before, "pools", "-f", "csv"),
        asnsql(f"--db={before}", "pools", "-f", "csv"),
        asnsql("pools", "-f", "csv", "--db", after),
    ]
    assert [r.exit_code for r in listed] == [0, 0, 0], [r.output for r in listed]
    wanted = ("pool_id", "name", "exposures", "columns", "sha256")  # not loaded_at
    tables = [
        [tuple(row[key] for key in wanted) for row in csv.DictReader(io.StringIO(r.stdout))]
        for r in listed
    ]
    assert (
        tables[0]
        == tables[1]
        == tables[2]
        == [("1", "pool_002_image_miri.csv", "8", "48", "d82f8150305c")]
    )
    query = asnsql("--db", before, "query", "select count(*) as n from exposures", "-f", "csv")
    assert (query.exit_code, query.stdout) == (0, "n\n8\n")


def test_v_and_db_before_generate_print_its_timings(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    result = asnsql("-v", "--db", db, "generate", POOL, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == "run 1: would write 9 associations (image2 8, image3 1); 0 exposures in no association"
    )
    assert lines[1].startswith("timings: scopes ")
    assert db.exists() and not list(tmp_path.glob("*.json"))


def test_db_before_a_command_that_has_no_database_is_the_same_one_line(tmp_path: Path) -> None:
    result = asnsql("--db", tmp_path / "a.duckdb", "rules")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: --db: asnsql rules uses no database (see 'asnsql rules --help')\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["-v", "pools"],
            "Error: -v: asnsql pools has no verbose output (see 'asnsql pools --help')",
        ),
        (
            ["pools", "--verbose"],
            "Error: --verbose: asnsql pools has no verbose output (see 'asnsql pools --help')",
        ),
        (["--db", "a.duckdb"], "Error: no command given (see 'asnsql --help')"),
        (["-v", "-D"], "Error: no command given (see 'asnsql --help')"),
    ],
)
def test_a_global_option_a_command_has_no_use_for_or_no_command_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], line: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = asnsql(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")
    assert list(tmp_path.iterdir()) == []


def test_help_says_which_options_are_read_before_the_command() -> None:
    result = asnsql("--help")
    assert result.exit_code == 0
    assert asnsql("--db", "a.duckdb", "-v", "--help").stdout == result.stdout
    assert " ".join(result.stdout.split()).endswith(
        "Before the command, --db FILE, -v/--verbose and -D/--debug are read as if given "
        "after it, by the commands that take them."
    )


@pytest.fixture
def asn(tmp_path: Path) -> Path:
    """A copy of a Level 3 association (6 members, one product) to edit."""
    return Path(shutil.copy(LEVEL3, tmp_path / "a_asn.json"))


@pytest.mark.parametrize(
    ("jwst_order", "asnsql_order"),
    [
        (
            ["-a", "{asn}", "x_cal.fits", "y_cal.fits"],
            ["{asn}", "--add", "x_cal.fits", "y_cal.fits"],
        ),
        (
            ["-a", "-t", "background", "{asn}", "x_cal.fits"],
            ["{asn}", "--add", "x_cal.fits", "-t", "background"],
        ),
        (
            ["-a", "{asn}", "-o", "{out}", "x_cal.fits", "y_cal.fits"],
            ["{asn}", "-o", "{out}", "--add", "x_cal.fits", "y_cal.fits"],
        ),
        (
            ["-r", "--ignore", "{asn}", "jw_00005_rate.fits"],
            ["{asn}", "--remove", "jw_00005_rate.fits", "--ignore"],
        ),
    ],
)
def test_edit_takes_asn_edits_order_with_the_same_result(
    tmp_path: Path, asn: Path, jwst_order: list[str], asnsql_order: list[str]
) -> None:
    twin = Path(shutil.copy(asn, tmp_path / "b_asn.json"))
    out, twin_out = tmp_path / "out_asn.json", tmp_path / "twin_out_asn.json"

    def filled(args: list[str], path: Path, target: Path) -> list[str]:
        return [a.replace("{asn}", str(path)).replace("{out}", str(target)) for a in args]

    jwst = asnsql("edit", *filled(jwst_order, asn, out))
    ours = asnsql("edit", *filled(asnsql_order, twin, twin_out))
    assert jwst.exit_code == ours.exit_code == 0, jwst.output + ours.output
    written = out if out.exists() else asn
    assert json.loads(written.read_text()) == json.loads(
        (twin_out if twin_out.exists() else twin).read_text()
    )
    assert json.loads(written.read_text()) != json.loads(LEVEL3.read_text())
    assert jwst.stderr == ours.stderr.replace("b_asn.json", "a_asn.json")


def test_asnsqls_own_edit_orders_are_read_as_before() -> None:
    for argv in (
        ["edit", "a.json", "-a", "x.fits"],
        ["edit", "-a", "x.fits", "-o", "o.json", "a.json"],
        ["edit", "a.json", "--add", "x.fits", "--remove", "y.fits"],
    ):
        expanded = cli._expand_argv(argv)
        assert [w for w in expanded if not w.startswith("-")][1] in ("a.json", "x.fits")
        assert "a.json" in expanded and expanded.index("a.json") == argv.index("a.json")


# (arguments, the one line printed): each option only jwst's command of the same job has.
JWST_OPTIONS = [
    (
        ["generate", "{pool}", "--DMS"],
        "Error: --DMS: jwst's operations mode (its log format; with -i, the background "
        "candidates of those ids run too); asnsql has no such mode: leave it out "
        "(see 'asnsql generate --help')",
    ),
    (
        ["generate", "--pool-format=ascii", "{pool}"],
        "Error: --pool-format: asnsql reads pools as delimited text, as jwst's default "
        "ascii format; give the delimiter with -d/--delimiter (see 'asnsql generate --help')",
    ),
    (
        ["generate", "{pool}", "--merge"],
        "Error: --merge: asnsql does not merge the Level 2 associations of one candidate "
        "(jwst's --merge, off by default): leave it out (see 'asnsql generate --help')",
    ),
    (
        ["generate", "{pool}", "--no-merge"],
        "Error: --no-merge: asnsql never merges Level 2 associations, jwst's default (its "
        "--no-merge is deprecated): leave it out (see 'asnsql generate --help')",
    ),
    (
        ["generate", "{pool}", "--per-pool-algorithm"],
        "Error: --per-pool-algorithm: jwst's choice of generator, which gives the same "
        "associations; asnsql has one: leave it out (see 'asnsql generate --help')",
    ),
    (
        ["generate", "{pool}", "--format", "yaml"],
        "Error: --format yaml: jwst writes association files as YAML or JSON; asnsql writes "
        "them as JSON only (its --format json prints the run's summary as JSON) "
        "(see 'asnsql generate --help')",
    ),
    (
        ["generate", "-f", "YAML", "{pool}"],
        "Error: -f YAML: jwst writes association files as YAML or JSON; asnsql writes "
        "them as JSON only (its --format json prints the run's summary as JSON) "
        "(see 'asnsql generate --help')",
    ),
    (
        ["generate", "--version"],
        "Error: --version: asnsql --version prints the version (see 'asnsql generate --help')",
    ),
    (
        ["from-list", "a_cal.fits", "-o", "a_asn.json", "-t", "image3", "-r", "DMS_Level3_Base"],
        "Error: -r: asn_from_list's rule class; asnsql takes the association type from "
        "-t/--type (image3, spec2, ...) (see 'asnsql from-list --help')",
    ),
    (
        ["from-list", "--ruledefs", "my_rules.py", "a_cal.fits"],
        "Error: --ruledefs: asn_from_list's rule files; asnsql takes the association type "
        "from -t/--type (image3, spec2, ...) (see 'asnsql from-list --help')",
    ),
    (
        ["from-list", "-f", "json", "a_cal.fits"],
        "Error: -f: asnsql writes associations as JSON only, asn_from_list's default: "
        "leave it out (see 'asnsql from-list --help')",
    ),
    (
        ["edit", "-r", "-i", "a_asn.json", "x_rate.fits"],
        "Error: -i: asnsql spells asn_edit's -i as --ignore (-i is a candidate id in asnsql) "
        "(see 'asnsql edit --help')",
    ),
    (
        ["make-pool", "-v", "pool.csv", "a.fits"],
        "Error: -v: asnsql always prints make-pool's warnings, and nothing else: leave it out "
        "(see 'asnsql make-pool --help')",
    ),
    (
        ["gather", "a_asn.json", "dest", "-c", "cp"],
        "Error: -c: asnsql copies in Python; --link or --symlink link the files instead "
        "(see 'asnsql gather --help')",
    ),
]


@pytest.mark.parametrize(("args", "line"), JWST_OPTIONS)
def test_an_option_only_jwst_has_gets_one_line_saying_what_asnsql_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], line: str
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "asn.duckdb"
    assert asnsql("load", POOL, "--db", db).exit_code == 0
    before = sorted(tmp_path.iterdir()), file_digest(db)
    result = asnsql(*[a.replace("{pool}", str(POOL)) for a in args], "--db", db)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")
    assert (sorted(tmp_path.iterdir()), file_digest(db)) == before


def test_each_jwst_only_option_is_unknown_to_its_command_and_each_command_is_tested() -> None:
    for command, options in JWST_ONLY.items():
        help_text = asnsql(command, "--help").stdout
        known = set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", help_text))
        assert "--help" in known and not set(options) & known, command
    assert {args[0] for args, _ in JWST_OPTIONS} == set(JWST_ONLY)


def _completion(words: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, _ASNSQL_COMPLETE="complete_bash", COMP_WORDS=words, **env_extra)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from asn_sql.cli.main import run; run()"],
        capture_output=True,
        text=True,
        env=env,
    )


def test_the_shell_completes_commands_and_options() -> None:
    commands = _completion("asnsql ge", {"COMP_CWORD": "1"})
    assert (commands.returncode, commands.stdout) == (0, "generate\n")
    options = _completion("asnsql generate --d", {"COMP_CWORD": "2"})
    assert sorted(options.stdout.split()) == [
        "--db",
        "--debug",
        "--delimiter",
        "--discover",
        "--dry-run",
    ]


def test_show_completion_prints_the_script_for_the_shell(tmp_path: Path) -> None:
    # typer finds the shell among the process's ancestors (shellingham), as it does when a
    # person types the command: run it from bash, kept alive past the command (`; true`)
    env = dict(os.environ, SHELL="/bin/bash", HOME=str(tmp_path))
    shown = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m asn_sql --show-completion; true"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    assert "_ASNSQL_COMPLETE=complete_bash" in shown.stdout, shown.stderr
    assert "complete -o default -F _asnsql_completion asnsql" in shown.stdout
    assert list(tmp_path.iterdir()) == []


def test_generate_with_jwsts_python_rule_file_says_asnsqls_rules_are_sql(tmp_path: Path) -> None:
    rules = tmp_path / "my_rules.py"
    rules.write_text("from jwst.associations.lib.dms_base import DMSBaseMixin\n")
    db = tmp_path / "a.duckdb"
    result = asnsql("generate", POOL, "-r", rules, "--db", db)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: {rules}: a Python rule file is jwst's; asnsql's rules are .sql files, given as "
        "their folder (see -r/--rules)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_rules.py"]


def test_from_list_takes_asn_from_lists_order_options_first(tmp_path: Path) -> None:
    files = ["jw01234001001_01101_00001_nrcb1_cal.fits", "jw01234001001_01101_00002_nrcb1_cal.fits"]
    jwst, ours = tmp_path / "jwst_asn.json", tmp_path / "ours_asn.json"
    options = ["--product-name", "my_mosaic", "-t", "image3"]
    first = asnsql("from-list", "-o", jwst, *options, *files)
    second = asnsql("from-list", *files, "-o", ours, *options)
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert json.loads(jwst.read_text()) == json.loads(ours.read_text())
    members = json.loads(jwst.read_text())["products"][0]["members"]
    assert [m["expname"] for m in members] == files
