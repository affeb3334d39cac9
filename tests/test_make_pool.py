"""`asnsql make-pool`: jwst 3.0.0's tests of asn_make_pool (test_mkpool.py) on FITS files
built here, the pools jwst wrote for the same files, and bad input.

jwst's tests and their counterparts: test_mkpool, test_hdu and test_hdulist (jwst also
takes HDU objects; asnsql takes files) -> test_a_pool_has_one_row_per_file_with_...;
test_opt_cols[_cmdline] -> test_an_option_sets_its_column_in_every_row;
test_nonheader_cols[_cmdline] -> test_non_header_columns_get_jwsts_values.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, file_digest
from fits_headers import FILES, header_cards, write_fits, write_fits_files
from typer.testing import CliRunner, Result

from asn_sql import db
from asn_sql.api import generate_documents
from asn_sql.cli.main import app
from asn_sql.engine.run import GenerateOptions
from asn_sql.tools.make_pool import NON_HEADER_DEFAULTS, PoolOptions, make_pool

EXPECTED = FIXTURES / "make_pool"
runner = CliRunner()

# jwst's OPT_COLS, as command-line options and as the values they give.
OPTIONS = [
    ("asn_candidate", "[('a3001', 'coron')]", "[('o001', 'observation'), ('a3001', 'coron')]"),
    ("dms_note", "a note from dms", "a note from dms"),
    ("is_imprt", "t", "t"),
    ("pntgtype", "target_acquisition", "target_acquisition"),
]
OPTION_ARGS = [
    arg for column, given, _ in OPTIONS for arg in (f"--{column.replace('_', '-')}", given)
]
REQUIRED_COLUMNS = {"program", "filename"}
NON_HEADER_COLUMNS = {*NON_HEADER_DEFAULTS, "asn_candidate", "targetid"}


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the temporary folder, so file names are given as jwst's fixtures got them."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(db.DB_ENV, raising=False)


@pytest.fixture(params=["all", "nircam"])
def exposures(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """The FITS files, by name relative to the working folder: all seven, or the four
    NIRCam ones (jwst's tests, too, run on two sets of exposures)."""
    names = [p.name for p in write_fits_files(tmp_path)]
    return names if request.param == "all" else [n for n in names if "nrcb" in n]


@pytest.fixture
def all_exposures(tmp_path: Path) -> list[str]:
    """All seven FITS files, by name: the files jwst's pools in fixtures/make_pool are of."""
    return [p.name for p in write_fits_files(tmp_path)]


def asnsql(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def read_pool(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="|"))


def test_a_pool_has_one_row_per_file_with_every_header_keyword(exposures: list[str]) -> None:
    pool = make_pool(exposures)
    assert REQUIRED_COLUMNS | NON_HEADER_COLUMNS <= set(pool.columns)
    assert pool.columns == sorted(pool.columns)
    assert [row["filename"] for row in pool.rows] == exposures
    # The first file's cards, keyword -> value (a keyword written twice: the later value).
    cards = {key.lower(): value for key, value, _ in header_cards(*FILES[0][1:])}
    del cards["comment"], cards["history"], cards[""], cards["filename"]
    first = pool.rows[0]
    for keyword, value in cards.items():
        if isinstance(value, float):
            assert float(first[keyword]) == pytest.approx(value, rel=1e-15), keyword
        else:
            assert first[keyword] == str(value), keyword


def test_the_pool_is_the_one_jwst_writes_for_the_same_files(all_exposures: list[str]) -> None:
    result = asnsql("make-pool", "pool_default.csv", *all_exposures)
    assert result.exit_code == 0, result.output
    assert result.stdout == "pool_default.csv\n"
    expected = (EXPECTED / "pool_default.csv").read_text()
    assert Path("pool_default.csv").read_text() == expected


def test_with_every_option_the_pool_is_the_one_jwst_writes(all_exposures: list[str]) -> None:
    result = asnsql("make-pool", "pool_options.csv", *OPTION_ARGS, *all_exposures)
    assert result.exit_code == 0, result.output
    assert Path("pool_options.csv").read_text() == (EXPECTED / "pool_options.csv").read_text()


@pytest.mark.parametrize(("column", "given", "expected"), OPTIONS)
def test_an_option_sets_its_column_in_every_row(
    exposures: list[str], column: str, given: str, expected: str
) -> None:
    result = asnsql("make-pool", "pool.csv", *OPTION_ARGS, *exposures)
    assert result.exit_code == 0, result.output
    rows = read_pool(Path("pool.csv"))
    assert rows[0][column] == expected
    api = make_pool(exposures, PoolOptions(**{c: g for c, g, _ in OPTIONS}))
    assert api.rows[0][column] == expected


def test_non_header_columns_get_jwsts_values(exposures: list[str]) -> None:
    result = asnsql("make-pool", "pool.csv", *OPTION_ARGS, *exposures)
    assert result.exit_code == 0, result.output
    first = read_pool(Path("pool.csv"))[0]
    given = {column: value for column, _, value in OPTIONS}
    expected = {**NON_HEADER_DEFAULTS, "targetid": "1", **given}
    assert {column: first[column] for column in NON_HEADER_COLUMNS} == expected
    defaults = make_pool(exposures).rows[0]
    assert {column: defaults[column] for column in NON_HEADER_DEFAULTS} == NON_HEADER_DEFAULTS
    assert defaults["asn_candidate"] == "[('o001', 'observation')]"


def test_the_pool_generates_the_associations_jwst_makes_from_its_own(
    all_exposures: list[str], tmp_path: Path
) -> None:
    assert asnsql("make-pool", "pool_default.csv", *all_exposures).exit_code == 0
    result = generate_documents(
        tmp_path / "asn.duckdb", "pool_default.csv", GenerateOptions(), output_dir=None
    )
    ignored = ("constraints", "code_version")
    actual = {
        doc.file_name: {k: v for k, v in doc.data.items() if k not in ignored}
        for doc in result.documents
    }
    expected = {}
    for path in sorted((EXPECTED / "expected").glob("*.json")):
        data = json.loads(path.read_text())
        expected[path.name] = {k: v for k, v in data.items() if k not in ignored}
    assert actual == expected


def test_each_defaulted_column_gets_one_warning(exposures: list[str]) -> None:
    result = asnsql("make-pool", "pool.csv", *exposures)
    assert result.exit_code == 0, result.output
    warned = [
        line.split(":")[1].strip() for line in result.stderr.splitlines() if "Warning" in line
    ]
    nircam_only = len(exposures) < len(FILES)
    missing_somewhere = [] if nircam_only else ["channel", "mirngrps", "module", "pupil"]
    assert warned == [*missing_somewhere, *NON_HEADER_DEFAULTS, "targetid"]
    assert "Warning: is_imprt: 'f' for every file (no IS_IMPRT keyword" in result.stderr
    given = asnsql("make-pool", "pool.csv", *OPTION_ARGS, *exposures)
    assert "dms_note" not in given.stderr and "is_imprt" not in given.stderr


def test_a_header_keyword_wins_over_a_default_and_an_option_over_both(tmp_path: Path) -> None:
    cards = header_cards({"IS_IMPRT": True, "OBSERVTN": 7}, ())
    write_fits(tmp_path / "imprint.fits", cards)
    write_fits(tmp_path / "science.fits", header_cards({}, ()))
    pool = make_pool(["imprint.fits", "science.fits"])
    assert [row["is_imprt"] for row in pool.rows] == ["True", "f"]
    assert pool.rows[0]["asn_candidate"] == "[('o007', 'observation')]"
    assert [w for w in pool.warnings if w.startswith("is_imprt")] == [
        "is_imprt: 'f' for 1 of 2 files (no IS_IMPRT keyword; jwst's default; see --is-imprt)"
    ]
    forced = make_pool(["imprint.fits", "science.fits"], PoolOptions(is_imprt="f"))
    assert [row["is_imprt"] for row in forced.rows] == ["f", "f"]


def test_targets_are_numbered_in_order_of_first_appearance(tmp_path: Path) -> None:
    names = {"a.fits": "NGC 104", "b.fits": "M31", "c.fits": "NGC 104", "d.fits": None}
    for name, target in names.items():
        dropped = ("TARGNAME",) if target is None else ()
        write_fits(tmp_path / name, header_cards({"TARGNAME": target or ""}, dropped))
    pool = make_pool(list(names))
    assert [row["targetid"] for row in pool.rows] == ["1", "2", "1", "3"]
    assert [row["targname"] for row in pool.rows] == ["NGC 104", "M31", "NGC 104", "null"]


def test_a_cell_holding_the_delimiter_or_a_quote_loads_back_as_it_was(tmp_path: Path) -> None:
    label = 'F200W | F444W, "deep"'
    write_fits(tmp_path / "a.fits", header_cards({"OBSLABEL": label, "FOO": None}, ()))
    assert asnsql("make-pool", "pool.csv", "a.fits").exit_code == 0
    loaded = asnsql("load", "pool.csv")
    assert loaded.exit_code == 0, loaded.output
    query = asnsql("query", "select extra from exposures", "--format", "json")
    extra = json.loads(query.stdout)[0]["extra"]
    assert extra["obslabel"] == label.lower()
    assert extra["foo"] == "null"  # a keyword without a value: null, not 'None' as in jwst


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("missing.fits", None, "missing.fits (no such file or directory)"),
        ("notes.txt", b"hello\n", "notes.txt (not a FITS file: no SIMPLE card)"),
        ("empty.fits", b"", "empty.fits (empty or corrupt FITS file)"),
        ("cut.fits", "truncated", "cut.fits (empty or corrupt FITS file)"),
        (
            "bad_card.fits",
            "bad_card",
            "bad_card.fits (not a readable FITS header: unparsable card (NINTS))",
        ),
        ("latin1.fits", "non_ascii", "latin1.fits (damaged FITS header: non-ASCII characters"),
        ("folder", "folder", "folder (is a directory)"),
        ("blank_obs.fits", "blank_observtn", "blank_obs.fits (no OBSERVTN value"),
        ("no_obs.fits", "no_observtn", "no_obs.fits (no OBSERVTN value"),
    ],
)
def test_a_bad_file_is_one_error_line_and_no_pool(
    tmp_path: Path, name: str, content: bytes | str | None, words: str
) -> None:
    good = write_fits(tmp_path / "good.fits", header_cards({}, ()))
    if content == "truncated":
        (tmp_path / name).write_bytes(good.read_bytes()[:1000])
    elif content == "bad_card":
        data = good.read_bytes()
        start = data.index(b"NINTS   =")
        (tmp_path / name).write_bytes(
            data[:start] + b"NINTS   = 12abc".ljust(80) + data[start + 80 :]
        )
    elif content == "non_ascii":
        data = bytearray(good.read_bytes())
        data[data.index(b"TARGNAME=") + 11] = 0xE9
        (tmp_path / name).write_bytes(bytes(data))
    elif content == "folder":
        (tmp_path / name).mkdir()
    elif content == "blank_observtn":
        write_fits(tmp_path / name, header_cards({"OBSERVTN": ""}, ()))
    elif content == "no_observtn":
        write_fits(tmp_path / name, header_cards({}, ("OBSERVTN",)))
    elif content is not None:
        (tmp_path / name).write_bytes(content)
    Path("pool.csv").write_text("old pool\n")
    result = asnsql("make-pool", "pool.csv", "good.fits", name)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: 1 of 2 files cannot make pool rows, nothing written: ")
    assert words in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert Path("pool.csv").read_text() == "old pool\n"
    assert sorted(p.name for p in tmp_path.glob(".pool.csv*")) == []


def test_every_bad_file_is_named_in_the_one_error_line(tmp_path: Path) -> None:
    write_fits(tmp_path / "good.fits", header_cards({}, ()))
    (tmp_path / "a.txt").write_text("not fits")
    result = asnsql("make-pool", "pool.csv", "a.txt", "good.fits", "b.fits")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: 2 of 3 files cannot make pool rows, nothing written: "
        "a.txt (not a FITS file: no SIMPLE card), b.fits (no such file or directory)\n"
    )
    assert not Path("pool.csv").exists()


def test_a_forgotten_pool_argument_does_not_overwrite_a_fits_file(tmp_path: Path) -> None:
    first = write_fits(tmp_path / "a.fits", header_cards({}, ()))
    write_fits(tmp_path / "b.fits", header_cards({}, ()))
    before = file_digest(first)
    result = asnsql("make-pool", "a.fits", "b.fits")
    assert result.exit_code == 2
    assert "a.fits: the pool to write is a FITS file" in result.stderr
    assert file_digest(first) == before


@pytest.mark.parametrize("given", ["c1000", "[('c1000',)]", "[1, 2]", "__import__('os')"])
def test_a_malformed_asn_candidate_is_refused(tmp_path: Path, given: str) -> None:
    write_fits(tmp_path / "a.fits", header_cards({}, ()))
    result = asnsql("make-pool", "pool.csv", "--asn-candidate", given, "a.fits")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the extra candidates must be a list of (id, type)")
    assert result.stderr.endswith(" (see --asn-candidate)\n")
    assert not Path("pool.csv").exists()


def test_without_astropy_the_command_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fits(tmp_path / "a.fits", header_cards({}, ()))
    for module in ("astropy", "astropy.io", "astropy.io.fits"):
        monkeypatch.setitem(sys.modules, module, None)
    result = asnsql("make-pool", "pool.csv", "a.fits")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: make-pool reads FITS headers with astropy, which is not installed: "
        "pip install 'asnsql[fits]'\n"
    )


def test_files_named_with_a_folder_are_warned_of(tmp_path: Path) -> None:
    # Such a filename takes part in no association (asn_sql/names.py): say so at once.
    names = [f"data/{p.name}" for p in write_fits_files(tmp_path / "data")]
    pool = make_pool(names)
    assert [row["filename"] for row in pool.rows] == names
    assert [w for w in pool.warnings if w.startswith("filename")] == [
        f"filename: every file named with a folder ({', '.join(names[:3])}, ...); "
        "generate leaves such rows out: run make-pool in the files' folder"
    ]


def test_the_fits_writer_says_in_one_line_that_it_needs_astropy(tmp_path: Path) -> None:
    # docs/commands.md runs it; without astropy it says what to install, no traceback
    import os
    import subprocess
    import sys

    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "astropy").mkdir()
    (blocker / "astropy" / "__init__.py").write_text("raise ImportError('no astropy here')\n")
    script = Path(__file__).with_name("fits_headers.py")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(blocker)},
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "Error: writing FITS files needs astropy: pip install '.[fits]' (or astropy)\n"
    )
    assert not (tmp_path / "data").exists()
