"""Property tests over the loader and every command's arguments: whatever the input, a
command ends with exit 0, or 2 and exactly one `Error:` line; never a traceback or exit 1
(but diff's "they differ"); the database's bytes stay as they were when it fails; and no
file appears outside the paths the command names (or its documented defaults)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .failure_harness import SMALL_POOL, digest, run, tree

# Derandomized, so that CI runs the same examples every time; ASNSQL_EXAMPLES=300
# (and ASNSQL_RANDOM=1 for new examples each run) searches further.
SETTINGS = settings(
    max_examples=int(os.environ.get("ASNSQL_EXAMPLES", "25")),
    derandomize=not os.environ.get("ASNSQL_RANDOM"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextmanager
def workspace(template_db: Path) -> Iterator[Path]:
    """A fresh folder holding asn.duckdb (pool_002 loaded), pool.csv, a_asn.json and an
    empty folder dir/, made the current directory."""
    folder = Path(tempfile.mkdtemp(prefix="asnsql-prop-"))
    old = Path.cwd()
    try:
        shutil.copyfile(template_db, folder / "asn.duckdb")
        shutil.copyfile(SMALL_POOL, folder / "pool.csv")
        (folder / "a_asn.json").write_text(
            '{"asn_type": "image2", "asn_rule": "x", "version_id": null, "code_version": "x",'
            ' "degraded_status": "x", "program": "00001", "constraints": "x", "asn_id": "o001",'
            ' "asn_pool": "x", "products": [{"name": "a", "members": '
            '[{"expname": "a_cal.fits", "exptype": "science"}]}]}'
        )
        (folder / "dir").mkdir()
        os.chdir(folder)
        yield folder
    finally:
        os.chdir(old)
        shutil.rmtree(folder, ignore_errors=True)


def check_ending(outcome, *, allow_differ: bool = False) -> None:
    text = outcome.stdout + outcome.stderr
    assert "Traceback" not in text and outcome.exception is None, (outcome.exception, text)
    assert outcome.code != 130
    if outcome.code == 1:
        assert allow_differ and "differ" in outcome.stderr, outcome.stderr
    elif outcome.code == 2:
        lines = outcome.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    else:
        assert outcome.code == 0, (outcome.code, outcome.stderr)


def _named(args: list[str]) -> set[str]:
    """Top-level names in the workspace that an argument names (file, folder, or parent)."""
    return {Path(a.split("=", 1)[-1]).parts[0] for a in args if a and not a.startswith("-")} | {
        Path(a.split("=", 1)[-1]).parts[0] for a in args if a.startswith("--") and "=" in a
    }


# -- the loader over random pool bytes -------------------------------------------------

_FIELD = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
    st.sampled_from(
        [
            "",
            "null",
            "NRC_IMAGE",
            "MIR_IMAGE",
            "[('o001', 'observation')]",
            "[('o001/../x', 'observation')]",
            '"a|b"',
            '"',
            "#",
            "1",
            "1.5",
            "../x.fits",
            "x\x00y",
            "\x1b[31m",
            "é",
        ]
    ),
)
_ROW = st.lists(_FIELD, min_size=0, max_size=6).map("|".join)
_POOL_TEXT = st.lists(_ROW, min_size=0, max_size=8).map(
    lambda rows: "\n".join(["FILENAME|EXP_TYPE|ASN_CANDIDATE|PROGRAM", *rows])
)
_POOL_BYTES = st.one_of(
    _POOL_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    _POOL_TEXT.map(lambda text: text.encode("utf-8") + b"\xff\xfe"),
)


@SETTINGS
@given(data=_POOL_BYTES)
def test_load_of_any_bytes_ends_cleanly(template_db: Path, data: bytes) -> None:
    with workspace(template_db) as folder:
        (folder / "random.csv").write_bytes(data)
        before = digest(folder / "asn.duckdb"), tree(folder)
        outcome = run("load", "random.csv")
        check_ending(outcome)
        if outcome.code != 0:
            assert (digest(folder / "asn.duckdb"), tree(folder)) == before
        else:
            assert set(tree(folder)) == set(before[1])


# -- every command's arguments ---------------------------------------------------------

_VALUE = st.sampled_from(
    [
        "pool.csv",
        "a_asn.json",
        "dir",
        "dir/x.json",
        "out",
        "missing.csv",
        "/dev/null",
        "1",
        "0",
        "-1",
        "abc",
        "o001",
        "../x",
        "x/../../y",
        "",
        " ",
        "select 1",
        "from exposures",
        "select * from pools",
        "2",
        "3",
        "all",
        "image2",
        "image3",
        "csv",
        "json",
        "table",
        "lv3_image",
        "jw_00001_rate.fits",
        "[bold]x",
        "a\nb",
        "é",
        "999999999999",
    ]
) | st.text(max_size=8)

_OPTIONS = {
    "load": ["-d", "--replace", "--delimiter"],
    "pools": ["-f"],
    "query": ["-f"],
    "generate": [
        "--level",
        "-p",
        "-i",
        "--all-candidates",
        "--discover",
        "--version-id",
        "--dry-run",
        "--no-finalize",
        "-d",
        "-v",
    ],
    "rules": ["-f"],
    "render": [],
    "explain": ["--run"],
    "diff": [],
    "from-list": [
        "-o",
        "-t",
        "--product-name",
        "--program",
        "--asn-id",
        "--background",
        "--imprint",
    ],
    "edit": ["--add", "--remove", "-t", "--ignore-suffix", "-o"],
    "validate": [],
}


@st.composite
def command_line(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(_OPTIONS)))
    words = draw(
        st.lists(st.one_of(_VALUE, st.sampled_from(_OPTIONS[command] or ["-h"])), max_size=6)
    )
    return [command, *words]


@SETTINGS
@given(argv=command_line())
def test_any_command_line_ends_cleanly(template_db: Path, argv: list[str]) -> None:
    if argv[0] == "generate" and "-p" not in argv:
        argv = [*argv, "--dry-run"]  # keep examples fast; -p cases write files
    with workspace(template_db) as folder:
        db = folder / "asn.duckdb"
        before = digest(db), tree(folder)
        outcome = run(*argv)
        check_ending(outcome, allow_differ=argv[0] == "diff")
        if outcome.code != 0:
            assert (digest(db), tree(folder)) == before, argv
            return
        new = set(tree(folder)) - set(before[1])
        allowed = _named(argv[1:]) | {"asn.duckdb", "asn.duckdb.wal"}
        stray = {path for path in new if Path(path).parts[0] not in allowed}
        assert not stray, (argv, stray)


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "-p", "out", "-i", "o001", "--version-id", "v1"],
        ["edit", "a_asn.json", "--add", "b_cal.fits", "-o", "dir/e.json"],
        ["from-list", "x_cal.fits", "-t", "image2", "-o", "new.json"],
    ],
)
def test_commands_that_write_write_only_what_they_name(template_db: Path, argv: list[str]) -> None:
    with workspace(template_db) as folder:
        before = tree(folder)
        outcome = run(*argv)
        assert outcome.code == 0, outcome.stderr
        new = set(tree(folder)) - set(before)
        assert new and {Path(p).parts[0] for p in new} <= _named(argv[1:]) | {"asn.duckdb.wal"}
