"""Reading pool files into the staging tables: splitting, header names, bad-input errors."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import BAD

from asn_sql import db
from asn_sql.errors import AsnSqlError, PoolError, UsageError
from asn_sql.io.pool import StagedPool, check_delimiter, create_staging, stage_pool


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the staging tables, as `asnsql load` uses."""
    connection = db.connect_memory()
    create_staging(connection)
    yield connection
    connection.close()


def write_pool(folder: Path, text: str, name: str = "pool.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def staged_rows(con: duckdb.DuckDBPyConnection, pool: StagedPool) -> list[tuple[int, list[str]]]:
    return con.execute(
        "select line_no, fields from pool_fields where pool_index = $i and line_no > $h "
        "order by line_no",
        {"i": pool.index, "h": pool.header_line},
    ).fetchall()


# (bad fixture, words the message must contain, line, column)
BAD_POOLS = [
    ("empty.csv", ["empty"], None, None),
    ("comments_only.csv", ["no header row", "comments"], None, None),
    ("too_few_fields.csv", ["10 fields", "expected 11", "line 4", "short (cut off?)"], 6, 95),
    ("too_many_fields.csv", ["12 fields", "expected 11", "line 4", "delimiter '|'?"], 7, 122),
    ("comma_delimited.csv", ["no FILENAME column", "split on '|'", "delimiter ','?"], 6, None),
    ("missing_filename.csv", ["no FILENAME column"], 3, None),
    ("missing_exp_type.csv", ["no EXP_TYPE column"], 3, None),
    ("not_utf8.csv", ["not UTF-8", "0xe9"], 6, 89),
    ("header_case_collision.csv", ["'FILTER'", "'Filter'", "lower-cased"], 3, None),
]


@pytest.mark.parametrize(("name", "words", "line", "column"), BAD_POOLS)
def test_a_bad_pool_raises_a_pool_error_saying_what_and_where(
    con: duckdb.DuckDBPyConnection, name: str, words: list[str], line: int, column: int
) -> None:
    with pytest.raises(PoolError) as caught:
        stage_pool(con, BAD / name, 0)
    error = caught.value
    assert error.path == str(BAD / name)
    assert (error.line, error.column) == (line, column)
    for word in words:
        assert word in error.message


def test_a_missing_file_is_a_file_not_found_error_and_a_directory_a_pool_error(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="no such file") as caught:
        stage_pool(con, tmp_path / "nowhere.csv", 0)
    assert isinstance(caught.value, AsnSqlError)
    assert caught.value.filename == str(tmp_path / "nowhere.csv")
    with pytest.raises(PoolError, match="directory"):
        stage_pool(con, tmp_path, 0)


def test_comment_and_blank_lines_are_skipped_anywhere_and_kept_as_comments(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_pool(
        tmp_path,
        "# first\n\nFILENAME|EXP_TYPE\n  # indented\na.fits|NRC_IMAGE\n"
        " \t \nb.fits|X # not a comment\n#last\n",
    )
    pool = stage_pool(con, path, 0)
    assert pool.header_line == 3
    assert pool.comments == ["first", "indented", "last"]
    assert staged_rows(con, pool) == [
        (5, ["a.fits", "NRC_IMAGE"]),
        (7, ["b.fits", "X # not a comment"]),
    ]


def test_fields_are_trimmed_but_keep_their_inner_spaces(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_pool(
        tmp_path, "FILENAME|EXP_TYPE|TARGNAME\n a.fits |\tNRC_IMAGE|  spaced  value \n"
    )
    pool = stage_pool(con, path, 0)
    assert staged_rows(con, pool) == [(2, ["a.fits", "NRC_IMAGE", "spaced  value"])]


def test_a_quoted_field_may_hold_the_delimiter_and_doubled_quotes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # jwst 3.0.0 reads these cells as: x|y, say "hi", an empty cell, it's, a"b
    path = write_pool(
        tmp_path, 'FILENAME|EXP_TYPE|A|B|C|D\n"x|y"|"say ""hi"""| "" |it\'s|a"b|"|"\n'
    )
    pool = stage_pool(con, path, 0)
    assert staged_rows(con, pool) == [(2, ["x|y", 'say "hi"', "", "it's", 'a"b', "|"])]


def test_repeated_header_names_are_numbered_then_lower_cased_as_astropy_does(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # jwst 3.0.0: FILENAME|EXP_TYPE|X|X|X gives filename, exp_type, x, x_1, x_2
    path = write_pool(tmp_path, "FILENAME|EXP_TYPE|X|X|X\na.fits|NRC_IMAGE|1|2|3\n")
    assert stage_pool(con, path, 0).columns == ["filename", "exp_type", "x", "x_1", "x_2"]


def test_an_empty_header_field_is_named_in_the_error(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_pool(tmp_path, "FILENAME||EXP_TYPE\na.fits|1|NRC_IMAGE\n")
    with pytest.raises(PoolError, match="header field 2 is empty"):
        stage_pool(con, path, 0)


def test_a_header_only_pool_has_no_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    pool = stage_pool(con, write_pool(tmp_path, "FILENAME|EXP_TYPE\n"), 0)
    assert pool.row_count == 0
    assert pool.null_tokens == ["n", "n"]


def test_empty_cells_become_null_cut_to_the_width_of_their_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # pool.md §3.2; jwst 3.0.0 stores n, nu, nul, null, null, n for these columns.
    path = write_pool(
        tmp_path,
        "FILENAME|EXP_TYPE|W1|W2|W3|W4|W5|NONE\n"
        "a.fits|NRC_IMAGE|T|12|abc|abcd|hello|\n"
        'b.fits|NRC_IMAGE||""|||  |  \n',
    )
    pool = stage_pool(con, path, 0)
    assert pool.null_tokens[2:] == ["n", "nu", "nul", "null", "null", "n"]


def test_windows_line_ends_and_a_byte_order_mark_are_read_as_plain_lines(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"\xef\xbb\xbf# note\r\nFILENAME|EXP_TYPE\r\na.fits|NRC_IMAGE\r\n\r\n")
    pool = stage_pool(con, path, 0)
    assert pool.columns == ["filename", "exp_type"]
    assert pool.comments == ["note"]
    assert staged_rows(con, pool) == [(3, ["a.fits", "NRC_IMAGE"])]


def test_a_file_name_with_glob_characters_is_read_as_itself(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # DuckDB would read pool[1].csv as a pattern matching pool1.csv.
    write_pool(tmp_path, "FILENAME|EXP_TYPE\nwrong.fits|NRC_IMAGE\n", name="pool1.csv")
    path = write_pool(tmp_path, "FILENAME|EXP_TYPE\nright.fits|NRC_IMAGE\n", name="pool[1].csv")
    pool = stage_pool(con, path, 0)
    assert staged_rows(con, pool) == [(2, ["right.fits", "NRC_IMAGE"])]


def test_another_delimiter_splits_the_lines(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_pool(tmp_path, "FILENAME,EXP_TYPE,ASN_CANDIDATE\na.fits,X,\"[('o001', 'o')]\"\n")
    pool = stage_pool(con, path, 0, delimiter=",")
    assert staged_rows(con, pool) == [(2, ["a.fits", "X", "[('o001', 'o')]"])]


def test_several_pools_share_the_staging_tables_without_mixing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = stage_pool(con, write_pool(tmp_path, "FILENAME|EXP_TYPE\na|b\n", "one.csv"), 0)
    second = stage_pool(con, write_pool(tmp_path, "FILENAME|EXP_TYPE\nc|d\ne|f\n", "two.csv"), 1)
    assert staged_rows(con, first) == [(2, ["a", "b"])]
    assert [row for _, row in staged_rows(con, second)] == [["c", "d"], ["e", "f"]]


@pytest.mark.parametrize(("given", "expected"), [("|", "|"), (",", ","), ("\\t", "\t")])
def test_a_delimiter_is_one_character_and_backslash_t_means_tab(given: str, expected: str) -> None:
    assert check_delimiter(given) == expected


@pytest.mark.parametrize("given", ["||", "", '"', "\n"])
def test_a_delimiter_of_several_characters_or_a_quote_is_refused(given: str) -> None:
    with pytest.raises(UsageError, match="the delimiter must be one character"):
        check_delimiter(given)


def test_a_pool_can_come_through_a_pipe(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # as with `asnsql load <(zcat pool.csv.gz)`: the bytes can be read only once
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=("FILENAME|EXP_TYPE\na.fits|X\n",))
    writer.start()
    pool = stage_pool(con, fifo, 0)
    writer.join(timeout=10)
    assert staged_rows(con, pool) == [(2, ["a.fits", "X"])]


def _pool_lines(text: str, tmp_path: Path) -> Path:
    path = tmp_path / "p.csv"
    path.write_text(text)
    return path


HEADER = "FILENAME|PROGRAM|OBS_NUM|EXP_TYPE|INSTRUME|ASN_CANDIDATE\n"
ROW = "a_uncal.fits|1234|1|NRC_IMAGE|NIRCAM|[('o001', 'observation')]\n"


@pytest.mark.parametrize(
    ("text", "delimiter", "message", "settings"),
    [
        # the header split into its columns: a short last line is cut off, not misread
        (
            HEADER + ROW + "b_uncal.fits|1234|1|NRC_IM",
            "|",
            "line 3, column 27: 4 fields, expected 6 as in the header on line 1: "
            "the line is short (cut off?)",
            (),
        ),
        # a line written with another delimiter: that one is named
        (
            HEADER + ROW.replace("|", ","),
            "|",
            "line 2, column 63: 1 field, expected 6 as in the header on line 1: "
            "is the delimiter ','?",
            ("delimiter",),
        ),
        # more fields than the header: the delimiter may be in a value
        (
            HEADER + ROW.replace("NIRCAM", "NIR|CAM"),
            "|",
            "line 2, column 39: 7 fields, expected 6 as in the header on line 1: "
            "is the delimiter '|'?",
            ("delimiter",),
        ),
        # -d , on a pool split by |: the delimiter the header holds is suggested
        (
            HEADER + ROW,
            ",",
            "line 1: no FILENAME column, which jwst needs; the header is one field split "
            "on ',': is the delimiter '|'?",
            ("delimiter",),
        ),
    ],
)
def test_a_field_count_error_says_what_is_likely_wrong(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    text: str,
    delimiter: str,
    message: str,
    settings: tuple[str, ...],
) -> None:
    path = _pool_lines(text, tmp_path)
    with pytest.raises(PoolError) as caught:
        stage_pool(con, path, 0, delimiter)
    assert str(caught.value) == f"{path}, {message}"
    assert caught.value.settings == settings


def test_a_set_of_pools_staged_together_gives_what_each_gives_alone(tmp_path: Path) -> None:
    # A batch's worker stages its chunk by the same few statements for every pool: each
    # pool comes out as stage_pool makes it alone, a bad one as the same one-line error,
    # and the others are staged.
    from conftest import POOLS

    from asn_sql.io.pool import MAX_FIELD_CHARS, stage_pool_set

    made = {
        "comments.csv": '# one\nFILENAME|EXP_TYPE|X\n\n  # two\r\na| b |\n"c|d"|e|"f ""g"""\n',
        "header_only.csv": "FILENAME|EXP_TYPE\n",
        "long.csv": "FILENAME|EXP_TYPE\na|b\nc|" + "d" * (MAX_FIELD_CHARS + 1) + "\n",
        "repeated.csv": "FILENAME|EXP_TYPE|x|X\na|b|c|d\n",
        "bom.csv": "\ufeffFILENAME|EXP_TYPE\r\na|b\r\n",
    }
    paths = [POOLS / "pool_002_image_miri.csv", *sorted(BAD.glob("*.csv"))]
    paths += [write_pool(tmp_path, text, name) for name, text in made.items()]
    paths.append(POOLS / "pool_021_tso.csv")

    def alone(path: Path) -> tuple[object, list[tuple[int, list[str]]]]:
        connection = db.connect_memory()
        try:
            create_staging(connection)
            try:
                pool = stage_pool(connection, path, 0, contents=path.read_bytes())
            except PoolError as exc:
                return str(exc), []
            return pool, staged_rows(connection, pool)
        finally:
            connection.close()

    connection = db.connect_memory()
    try:
        create_staging(connection)
        together = stage_pool_set(connection, [(p, p.read_bytes()) for p in paths], "|")
        assert len(together) == len(paths)
        for index, (path, pool) in enumerate(zip(paths, together, strict=True)):
            expected, rows = alone(path)
            if isinstance(expected, str):
                assert isinstance(pool, PoolError), path
                assert str(pool) == expected
                continue
            assert isinstance(pool, StagedPool), (path, pool)
            assert pool.index == index
            assert vars(pool) | {"index": 0} == vars(expected), path
            assert staged_rows(connection, pool) == rows, path
        bad = [
            p.name for p, pool in zip(paths, together, strict=True) if isinstance(pool, PoolError)
        ]
        assert "long.csv" in bad and "too_many_fields.csv" in bad and "not_utf8.csv" in bad
    finally:
        connection.close()
