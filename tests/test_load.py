"""Loading pools into the database: values as jwst reads them, candidates, warnings, reloads."""

from __future__ import annotations

import ast
import csv
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import BAD, POOLS, file_digest

from asn_sql import db
from asn_sql.errors import PoolError
from asn_sql.io.load import LoadResult, load_pools

POOL_NAMES = sorted(path.name for path in POOLS.glob("*.csv"))

# Each pool as jwst 3.0.0 reads it (`AssociationPool.read(path)`): its row count and
# the first 16 hex digits of sha256 over the column names joined by \x1f, then for
# every row \x1e and its values (in column order) joined by \x1f. Computed once in
# the jwst 3.0.0 scratch venv; `jwst_digest` below computes the same from the database.
JWST_READS = {
    "jw00632_dups.csv": (4, "18b4472a1d9a76b5"),
    "jw09505_20251216t202003_pool.csv": (8, "d24195bebce95bbc"),
    "jw87800_20180412T163456_pool.csv": (10, "daf82bcdc44d67e5"),
    "jw93060_20150312T160130_pool.csv": (636, "a43d0d99be7cfbd1"),
    "mega_pool.csv": (837, "a339b7f84ef17103"),
    "pool_001_candidates.csv": (72, "885cde87240778b5"),
    "pool_001_candidates_lower.csv": (72, "e6fa251d9fb50e0f"),
    "pool_002_image_miri.csv": (8, "daf0e94073c15719"),
    "pool_003_image_nircam.csv": (18, "01c53c1a79c3400c"),
    "pool_004_wfs.csv": (170, "df5804af00041bc2"),
    "pool_005_spec_niriss.csv": (4, "721bc17140042e74"),
    "pool_006_spec_nirspec.csv": (32, "454406bb9d1930df"),
    "pool_007_spec_miri.csv": (44, "b3af7ddd3fae7b7a"),
    "pool_008_exposerr.csv": (4, "2102851399e5f43a"),
    "pool_010_spec_nirspec_lv2bkg.csv": (20, "27f5dcf09ade8837"),
    "pool_013_coron_nircam.csv": (66, "a8606d550215a2ec"),
    "pool_017_spec_nirspec_lv2imprint.csv": (9, "1f994cb957c97aa5"),
    "pool_018_all_exptypes.csv": (75, "87d679fb0f1e7cde"),
    "pool_019_niriss_wfss.csv": (18, "079246230f63ac71"),
    "pool_020_00009_image_miri.csv": (8, "1c298003c8d57046"),
    "pool_021_tso.csv": (7, "2767e2346be4b295"),
    "pool_023_nirspec_msa_3nod.csv": (13, "46eca1dba3e5b1e3"),
    "pool_023b_nirspec_msa_3nod_subpix.csv": (19, "12eb638a2ad5c798"),
    "pool_024_nirspec_fss_nods.csv": (31, "86b86fd8549fb78b"),
    "pool_024b_nirspec_fss_nods.csv": (11, "00b527be70dfb537"),
    "pool_024c_nirspec_fss_nods.csv": (41, "d9fcf055bce69d9f"),
    "pool_025_nirspec_fss_nod_chop.csv": (10, "f87e7489b140e67c"),
    "pool_033_wfs_jitter.csv": (33, "42c3eceab242ca7d"),
    "pool_duplicate.csv": (2, "9df6a8a20824c5be"),
    # hand-made (fixtures/README.md)
    "direct_image_discovery.csv": (4, "4c31960569e4fbdb"),
    "jw09505_20251219t041512_pool.csv": (10, "84ec590d8e3854c2"),
    # the bad/ pools that jwst can read
    "duplicate_filenames.csv": (4, "15642e5a0e24c189"),
    "malformed_candidate.csv": (5, "6896612225e5fc77"),
    "no_candidates.csv": (2, "5091a8ffba6875c9"),
    "sql_injection.csv": (3, "b2b5f6a6a85b9a01"),
}
READABLE_BAD = [
    "duplicate_filenames.csv",
    "malformed_candidate.csv",
    "no_candidates.csv",
    "sql_injection.csv",
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database holding every fixture pool and the readable bad/ pools, loaded once."""
    path = tmp_path_factory.mktemp("all") / "asn.duckdb"
    paths = [POOLS / name for name in POOL_NAMES] + [BAD / name for name in READABLE_BAD]
    load_pools(path, paths, delimiter="|", replace=False)
    return path


@pytest.fixture(scope="module")
def con(loaded: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to that database, shared by the tests that only read."""
    connection = db.open_database(loaded, read_only=True)
    yield connection
    connection.close()


def pool_id(con: duckdb.DuckDBPyConnection, name: str) -> int:
    row = con.execute("select pool_id from pools where name = $n", {"n": name}).fetchone()
    assert row is not None, f"{name} is not loaded"
    return int(row[0])


def read_independently(path: Path) -> tuple[list[str], list[list[str]]]:
    """A pool read without asnsql: lower-cased header names and data rows (trimmed, lower-cased)."""
    lines = [
        line
        for line in path.read_text(encoding="utf-8").split("\n")
        if line.strip() and not line.lstrip().startswith("#")
    ]
    header, *rows = csv.reader(lines, delimiter="|")
    return [name.strip().lower() for name in header], [
        [value.strip().lower() for value in row] for row in rows
    ]


def expected_candidates(cell: str) -> list[tuple[str, str]]:
    """The (id, type) pairs jwst takes from one ASN_CANDIDATE cell (pool.md §4.3)."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError):
        return []
    if isinstance(value, int):
        return [(str(value), "unknown")]
    if not isinstance(value, list):
        return []
    pairs = []
    for element in value:
        if not (isinstance(element, tuple | list) and len(element) == 2):
            break  # jwst keeps the pairs before the first malformed element
        pairs.append((str(element[0]), str(element[1])))
    return pairs


def jwst_digest(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The digest of JWST_READS, computed from `pools` and `exposures`."""
    pid = pool_id(con, name)
    (columns,) = con.execute("select columns from pools where pool_id = $p", {"p": pid}).fetchone()
    cursor = con.execute("from exposures where pool_id = $p order by row_no", {"p": pid})
    names = [d[0] for d in cursor.description]
    digest = hashlib.sha256("\x1f".join(columns).encode())
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        cells = [row[c] if c in row else row["extra"][c] for c in columns]
        digest.update(b"\x1e" + "\x1f".join(cells).encode())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(JWST_READS))
def test_every_pool_holds_the_values_jwst_reads(con: duckdb.DuckDBPyConnection, name: str) -> None:
    rows, digest = JWST_READS[name]
    (count,) = con.execute(
        "select count(*) from exposures where pool_id = $p", {"p": pool_id(con, name)}
    ).fetchone()
    assert (count, jwst_digest(con, name)) == (rows, digest)


@pytest.mark.parametrize("name", POOL_NAMES)
def test_every_pool_row_is_one_exposure(con: duckdb.DuckDBPyConnection, name: str) -> None:
    _, rows = read_independently(POOLS / name)
    pid = pool_id(con, name)
    (count,) = con.execute(
        "select count(*) from exposures where pool_id = $p", {"p": pid}
    ).fetchone()
    (recorded,) = con.execute(
        "select row_count from pools where pool_id = $p", {"p": pid}
    ).fetchone()
    assert count == recorded == len(rows)


@pytest.mark.parametrize("name", POOL_NAMES + ["malformed_candidate.csv", "sql_injection.csv"])
def test_every_candidate_pair_of_every_row_is_in_exposure_candidates(
    con: duckdb.DuckDBPyConnection, name: str
) -> None:
    header, rows = read_independently(POOLS / name if (POOLS / name).exists() else BAD / name)
    cells = (
        [row[header.index("asn_candidate")] for row in rows] if "asn_candidate" in header else []
    )
    expected = [
        (row_no, position, acid, ctype)
        for row_no, cell in enumerate(cells)
        for position, (acid, ctype) in enumerate(expected_candidates(cell))
    ]
    actual = con.execute(
        "select row_no, position, acid, ctype from exposure_candidates where pool_id = $p "
        "order by row_no, position",
        {"p": pool_id(con, name)},
    ).fetchall()
    assert actual == expected


def test_a_pool_without_asn_candidate_has_no_candidates(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("jw93060_20150312T160130_pool.csv", "no_candidates.csv"):
        (count,) = con.execute(
            "select count(*) from exposure_candidates where pool_id = $p", {"p": pool_id(con, name)}
        ).fetchone()
        assert count == 0


def test_cells_that_look_like_sql_are_stored_as_text(con: duckdb.DuckDBPyConnection) -> None:
    pid = pool_id(con, "sql_injection.csv")
    rows = con.execute(
        "select targname, template, extra from exposures where pool_id = $p order by row_no",
        {"p": pid},
    ).fetchall()
    note = "note'; drop table pools; --"
    # jwst 3.0.0 reads the same values (see the file's comment lines)
    assert rows == [
        ("'; drop table exposures; --", "miri imaging", {note: "x'); delete from pools; --"}),
        ("o'brien's \"star\"; select 1", 'it\'s | a "template"', {note: ";"}),
        ("$1 {{ pool_id }} %s ?", "miri imaging", {note: "\\'; --"}),
    ]
    (pools,) = con.execute("select count(*) from pools").fetchone()
    assert pools == len(POOL_NAMES) + len(READABLE_BAD)


def test_columns_the_schema_does_not_know_land_in_extra(con: duckdb.DuckDBPyConnection) -> None:
    pid = pool_id(con, "sql_injection.csv")
    (columns,) = con.execute("select columns from pools where pool_id = $p", {"p": pid}).fetchone()
    known = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'exposures'"
        ).fetchall()
    }
    unknown = [name for name in columns if name not in known]
    assert unknown == ["note'; drop table pools; --"]
    keys = con.execute(
        "select distinct map_keys(extra) from exposures where pool_id = $p", {"p": pid}
    ).fetchall()
    assert keys == [(unknown,)]


def test_known_columns_a_pool_lacks_are_null(con: duckdb.DuckDBPyConnection) -> None:
    pid = pool_id(con, "no_candidates.csv")
    row = con.execute(
        "select count(*), count(asn_candidate), count(msametfl), count(filename), "
        "max(cardinality(extra)) from exposures where pool_id = $p",
        {"p": pid},
    ).fetchone()
    assert row == (2, 0, 0, 2, 0)


def test_empty_cells_hold_null_cut_to_the_column_width(tmp_path: Path, db_path: Path) -> None:
    pool = tmp_path / "widths.csv"
    pool.write_text(
        "FILENAME|EXP_TYPE|TSOVISIT|CHANNEL|MODULE|FILTER|TARGNAME|PUPIL|W3\n"
        "a.fits|NRC_IMAGE|T|12|ABC|F200W|hello||x y\n"
        'b.fits|NRC_IMAGE||""|| |  spaced  value |  |\n'
    )
    load_pools(db_path, [pool], delimiter="|", replace=False)
    with db.open_database(db_path, read_only=True) as con:
        rows = con.execute(
            "select filename, exp_type, tsovisit, channel, module, filter, targname, pupil, "
            "extra['w3'] from exposures order by row_no"
        ).fetchall()
    # jwst 3.0.0 reads this pool as exactly these values
    assert rows == [
        ("a.fits", "nrc_image", "t", "12", "abc", "f200w", "hello", "n", "x y"),
        ("b.fits", "nrc_image", "n", "nu", "nul", "null", "spaced  value", "n", "nul"),
    ]


def test_malformed_candidate_cells_warn_with_file_line_and_cell(
    db_path: Path,
) -> None:
    result = load_bad(db_path, "malformed_candidate.csv")
    assert result.row_count == 5
    assert len(result.warnings) == 3
    for warning, line, cell in zip(
        result.warnings,
        (9, 10, 11),
        (
            "[('o001', 'observation'",
            "[('o001', 'observation'), ('c1000')]",
            "('o002', 'observation')",
        ),
        strict=True,
    ):
        assert str(BAD / "malformed_candidate.csv") in warning
        assert f"line {line}:" in warning
        assert cell in warning
    assert "first 1 pair" in result.warnings[1]


def test_repeated_filenames_warn_naming_their_lines(db_path: Path) -> None:
    result = load_bad(db_path, "duplicate_filenames.csv")
    assert result.row_count == 4
    assert len(result.warnings) == 2
    assert "lines 5, 7" in result.warnings[0]
    assert "lines 6, 8" in result.warnings[1]


def test_a_pool_without_asn_candidate_loads_with_a_warning(db_path: Path) -> None:
    result = load_bad(db_path, "no_candidates.csv")
    assert result.row_count == 2
    assert len(result.warnings) == 1
    assert "no ASN_CANDIDATE column" in result.warnings[0]


def load_bad(db_path: Path, name: str) -> LoadResult:
    return load_pools(db_path, [BAD / name], delimiter="|", replace=False)[0]


def test_loading_the_same_bytes_again_changes_nothing(
    load: Callable[..., LoadResult], db_path: Path
) -> None:
    first = load("pool_002_image_miri.csv")
    before = file_digest(db_path)
    again = load("pool_002_image_miri.csv")
    assert (first.status, again.status) == ("loaded", "unchanged")
    assert again.pool_id == first.pool_id
    assert file_digest(db_path) == before


def test_a_changed_pool_needs_replace_and_then_replaces_its_rows(
    tmp_path: Path, db_path: Path
) -> None:
    pool = tmp_path / "pool_002_image_miri.csv"
    text = (POOLS / pool.name).read_text()
    pool.write_text(text)
    load_pools(db_path, [pool], delimiter="|", replace=False)
    pool.write_text(text.rstrip("\n").rsplit("\n", 1)[0] + "\n")  # drop the last row
    before = file_digest(db_path)
    with pytest.raises(PoolError, match="already loaded") as refused:
        load_pools(db_path, [pool], delimiter="|", replace=False)
    assert refused.value.settings == ("replace",)  # the command line adds its option
    assert file_digest(db_path) == before
    (result,) = load_pools(db_path, [pool], delimiter="|", replace=True)
    assert (result.status, result.row_count) == ("replaced", 7)
    with db.open_database(db_path, read_only=True) as con:
        counts = con.execute(
            "select (select count(*) from pools), (select count(*) from exposures), "
            "(select count(*) from exposure_candidates)"
        ).fetchone()
    assert counts == (1, 7, 7)


def test_a_bad_pool_anywhere_in_the_command_loads_none_of_them(
    tmp_path: Path, db_path: Path
) -> None:
    before = file_digest(db_path)
    with pytest.raises(PoolError):
        load_pools(
            db_path,
            [POOLS / "pool_002_image_miri.csv", BAD / "too_few_fields.csv"],
            delimiter="|",
            replace=False,
        )
    assert file_digest(db_path) == before
    fresh = tmp_path / "fresh.duckdb"
    with pytest.raises(PoolError):
        load_pools(fresh, [BAD / "not_utf8.csv"], delimiter="|", replace=False)
    assert not fresh.exists()


def test_two_pools_of_the_same_name_in_one_command_are_refused(
    tmp_path: Path, db_path: Path
) -> None:
    other = tmp_path / "pool_002_image_miri.csv"
    other.write_text((POOLS / "pool_008_exposerr.csv").read_text())
    with pytest.raises(PoolError, match="two pools named pool_002_image_miri.csv"):
        load_pools(db_path, [POOLS / other.name, other], delimiter="|", replace=False)


def test_a_pool_is_recorded_with_its_source_columns_and_comments(
    load: Callable[..., LoadResult], db_path: Path
) -> None:
    load("pool_002_image_miri.csv")
    path = POOLS / "pool_002_image_miri.csv"
    header, rows = read_independently(path)
    comments = [
        line.lstrip()[1:].removeprefix(" ")
        for line in path.read_text().split("\n")
        if line.lstrip().startswith("#")
    ]
    with db.open_database(db_path, read_only=True) as con:
        row = con.execute(
            "select name, source, sha256, row_count, columns, delimiter, comments from pools"
        ).fetchone()
    assert row == (
        path.name,
        str(path),
        hashlib.sha256(path.read_bytes()).hexdigest(),
        len(rows),
        header,
        "|",
        comments,
    )


# ASN_CANDIDATE cells and the (id, type) pairs jwst 3.0.0 takes from each: computed
# with jwst's `evaluate` and the `for cid, ctype in cell` loop of `ids_by_ctype`.
CANDIDATE_CELLS = [
    (
        "[('o001', 'observation'), ('c1000', 'mosaic')]",
        [("o001", "observation"), ("c1000", "mosaic")],
    ),
    ('[("o002", "observation")]', [("o002", "observation")]),
    ("[('o003', \"background\"),]", [("o003", "background")]),
    ("[['o004', 'group']]", [("o004", "group")]),
    ("[]", []),
    ("1000", [("1000", "unknown")]),
    ("007", []),
    ("0", [("0", "unknown")]),
    ("[('o005', 'observation'), ('c1001')]", [("o005", "observation")]),
    ("null", []),
    ("('o006', 'observation')", []),
    ("[('o007', 'observation')", []),
    ("[ ( 'o008' , 'observation' ) ]", [("o008", "observation")]),
    ("[('o009', 'it\"s'), ('C1002', 'MOSAIC')]", [("o009", 'it"s'), ("c1002", "mosaic")]),
    ("", []),
]


def test_candidate_cells_of_every_shape_give_the_pairs_jwst_gives(
    tmp_path: Path, db_path: Path
) -> None:
    pool = tmp_path / "cells.csv"
    pool.write_text(
        "FILENAME|EXP_TYPE|ASN_CANDIDATE\n"
        + "".join(
            f"a{i:02d}.fits|NRC_IMAGE|{cell}\n" for i, (cell, _) in enumerate(CANDIDATE_CELLS)
        )
    )
    load_pools(db_path, [pool], delimiter="|", replace=False)
    with db.open_database(db_path, read_only=True) as con:
        actual = con.execute(
            "select row_no, acid, ctype from exposure_candidates order by row_no, position"
        ).fetchall()
    expected = [
        (row_no, acid, ctype)
        for row_no, (_, pairs) in enumerate(CANDIDATE_CELLS)
        for acid, ctype in pairs
    ]
    assert actual == expected
    # the independent reader of these tests agrees with jwst on every cell
    assert [expected_candidates(cell.lower()) for cell, _ in CANDIDATE_CELLS] == [
        pairs for _, pairs in CANDIDATE_CELLS
    ]
