"""Output is data, never markup: tables escape markup and control characters, JSON is
strict, CSV is exact, and every Error line stays one line (reliability kinds 5, 8, 10)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from asn_sql.values import cell_text, iso_duration, json_text, printable

from .readonly_support import POOL, assert_one_error_line, invoke, make_database, snapshot


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_database(tmp_path_factory.mktemp("pristine-output"))


@pytest.fixture
def database(tmp_path: Path, pristine: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the loaded database in the test's current folder."""
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copy(pristine, tmp_path / "asn.duckdb"))


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# --- tables: markup and control characters are shown, never obeyed ------------------

CELLS = [
    ("'[/x]'", "[/x]"),
    ("'[o001]'", "[o001]"),
    ("'[bold red]x[/bold red]'", "[bold red]x[/bold red]"),
    ("'[link=http://x]y'", "[link=http://x]y"),
    ("':smile: :x:'", ":smile: :x:"),
    ("chr(27) || '[31mred' || chr(27) || '[0m'", "\\x1b[31mred\\x1b[0m"),
    ("'one' || chr(10) || 'two'", "one\\ntwo"),
    ("'cr' || chr(13) || 'lf'", "cr\\rlf"),
    ("'tab' || chr(9) || 'bell' || chr(7)", "tab\\tbell\\x07"),
    ("'abc' || chr(8238) || 'def'", "abc\\u202edef"),  # right-to-left override
    ("'csi' || chr(155) || '2J'", "csi\\x9b2J"),  # the one-byte C1 CSI
    ("'\\x'", "\\x"),
]


@pytest.mark.parametrize(("expression", "shown"), CELLS)
def test_table_cells_show_markup_and_control_characters_as_text(
    expression: str, shown: str, database: Path
) -> None:
    result = invoke("query", f"select {expression} as v, 1 as after")
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert [cell.strip() for cell in row.strip("│").split("│")] == [shown, "1"]
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout


def test_table_headers_are_not_markup(database: Path) -> None:
    result = invoke("query", 'select 1 as "[bold]x[/bold]", 2 as "[/y]", 3 as "a' + "\n" + 'b"')
    assert result.exit_code == 0, result.output
    (header,) = [line for line in result.stdout.splitlines() if line.startswith("┃")]
    assert [c.strip() for c in header.strip("┃").split("┃")] == ["[bold]x[/bold]", "[/y]", "a\\nb"]


def test_a_pool_named_like_markup_keeps_its_name_in_messages(tmp_path: Path) -> None:
    pool = tmp_path / "[bold]x.csv"
    shutil.copy(POOL, pool)
    result = invoke("load", "--db", tmp_path / "asn.duckdb", "-d", "|", pool)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["[bold]x.csv: loaded 8 exposures as pool 1"]
    listed = invoke("pools", "--db", tmp_path / "asn.duckdb", "-f", "csv")
    assert "[bold]x.csv" in listed.stdout


def test_a_pool_whose_name_holds_a_newline_is_named_on_one_line(tmp_path: Path) -> None:
    pool = tmp_path / "two\nlines.csv"
    shutil.copy(POOL, pool)
    result = invoke("load", "--db", tmp_path / "asn.duckdb", "-d", "|", pool)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["two\\nlines.csv: loaded 8 exposures as pool 1"]


# --- Error lines stay one line ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["query", "--db", "{tmp}/no\nsuch.duckdb", "select 1"],
        ["query", "--db", "{tmp}/esc\x1b[2J.duckdb", "select 1"],
        ["query", "--db", "{tmp}/[bold]x.duckdb", "select 1"],
        ["export", "-o", "{tmp}/no\nfolder/x.csv", "exposures"],
        ["export", "-o", "{tmp}/x\r.txt", "exposures"],
        ["query", 'select 1 from "a\nb"'],
        ["query", "select error('line one' || chr(10) || 'line two')"],
        ["query", "select 'unterminated\n"],
        ["explain", "no\nsuch\x1b[31m"],
        ["load", "--db", "{tmp}/asn.duckdb", "{tmp}/missing\npool.csv"],
    ],
)
def test_every_error_is_one_line_whatever_the_path_or_sql_holds(
    args: list[str], database: Path, tmp_path: Path
) -> None:
    before = snapshot(tmp_path)
    result = invoke(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    line = assert_one_error_line(result)
    assert line.isprintable() and "\x1b" not in line
    assert snapshot(tmp_path) == before


def test_an_error_naming_markup_keeps_the_brackets(database: Path, tmp_path: Path) -> None:
    line = assert_one_error_line(invoke("query", "--db", "[bold]gone.duckdb", "select 1"))
    assert "[bold]gone.duckdb" in line


# --- JSON is strict; CSV is exact --------------------------------------------------

TYPES_SQL = """
select 'nan'::double as nan, 'inf'::double as inf, '-inf'::float as ninf, 1.5::double as dbl,
  12345678901234.567::decimal(18,3) as dec, '\\xAA\\x00\\xFF'::blob as blob,
  interval '1 day 2 hours 3 minutes 4.5 seconds' as iv, -interval '90 minutes' as neg,
  interval 0 second as zero, date '2024-02-29' as d, timestamp '2024-02-29 01:02:03.25' as ts,
  timestamptz '2024-02-29 01:02:03+00' as tstz, time '23:59:59' as t, true as b, null as n,
  [1, null, 3] as l, [1.5, 'nan'::double] as lf, {'a': 1, 'b': ['x']} as st,
  map {'k': '[v]'} as m, '00000000-0000-0000-0000-000000000001'::uuid as u,
  170141183460469231731687303715884105727::hugeint as big, 'a"b' || chr(27) as q
"""
TYPES_JSON = {
    "nan": None,
    "inf": None,
    "ninf": None,
    "dbl": 1.5,
    "dec": 12345678901234.567,
    "blob": "qgD/",
    "iv": "P1DT2H3M4.5S",
    "neg": "-PT1H30M",
    "zero": "PT0S",
    "d": "2024-02-29",
    "ts": "2024-02-29T01:02:03.250000",
    "tstz": "2024-02-29T01:02:03+00:00",
    "t": "23:59:59",
    "b": True,
    "n": None,
    "l": [1, None, 3],
    "lf": [1.5, None],
    "st": {"a": 1, "b": ["x"]},
    "m": {"k": "[v]"},
    "u": "00000000-0000-0000-0000-000000000001",
    "big": 170141183460469231731687303715884105727,
    "q": 'a"b\x1b',
}
TYPES_CSV = [
    ["NaN", "Infinity", "-Infinity", "1.5", "12345678901234.567", "qgD/", "P1DT2H3M4.5S"],
    ["-PT1H30M", "PT0S", "2024-02-29", "2024-02-29T01:02:03.250000"],
    ["2024-02-29T01:02:03+00:00", "23:59:59", "true", "", "[1,null,3]", "[1.5,null]"],
    ['{"a":1,"b":["x"]}', '{"k":"[v]"}', "00000000-0000-0000-0000-000000000001"],
    ["170141183460469231731687303715884105727", 'a"b\x1b'],
]


def test_query_json_is_strict_json_for_every_type(database: Path) -> None:
    result = invoke("query", "-f", "json", TYPES_SQL)
    assert result.exit_code == 0, result.output
    assert _strict(result.stdout) == [TYPES_JSON]
    assert "12345678901234.567" in result.stdout  # the decimal's digits, not a float's
    assert result.stdout.isascii()  # control characters escaped by JSON itself


def test_query_csv_writes_each_value_exactly(database: Path) -> None:
    result = invoke("query", "-f", "csv", TYPES_SQL)
    assert result.exit_code == 0, result.output
    header, row = list(csv.reader(io.StringIO(result.stdout)))
    assert header == list(TYPES_JSON)
    assert row == [cell for part in TYPES_CSV for cell in part]


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_export_writes_the_values_query_prints(fmt: str, database: Path, tmp_path: Path) -> None:
    result = invoke("export", "-o", tmp_path / f"types.{fmt}", TYPES_SQL)
    assert result.exit_code == 0, result.output
    text = (tmp_path / f"types.{fmt}").read_text()
    if fmt == "json":
        assert _strict(text) == [TYPES_JSON]
    elif fmt == "ndjson":
        assert [_strict(line) for line in text.splitlines()] == [TYPES_JSON]
    else:
        assert text == invoke("query", "-f", "csv", TYPES_SQL).stdout


def test_an_empty_result_is_an_empty_json_array(database: Path, tmp_path: Path) -> None:
    assert _strict(invoke("query", "-f", "json", "select 1 as x where false").stdout) == []
    assert invoke("export", "-o", tmp_path / "e.json", "select 1 as x where false").exit_code == 0
    assert _strict((tmp_path / "e.json").read_text()) == []


def test_json_keys_that_need_escaping_stay_keys(database: Path) -> None:
    result = invoke("query", "-f", "json", 'select 1 as "a""b", 2 as "new' + "\n" + 'line"')
    assert _strict(result.stdout) == [{'a"b': 1, "new\nline": 2}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("nan"), "null"),
        (float("-inf"), "null"),
        ([float("inf"), {"x": float("nan")}], '[null,{"x":null}]'),
        ((1, 2), "[1,2]"),
        ({1: "a"}, '{"1":"a"}'),
        (b"", '""'),
    ],
)
def test_json_text_never_writes_a_non_json_constant(value: object, expected: str) -> None:
    assert json_text(value) == expected
    _strict(json_text(value))


def test_iso_durations_and_cells() -> None:
    from datetime import timedelta

    assert iso_duration(timedelta(days=-1, seconds=1)) == "-PT23H59M59S"
    assert iso_duration(timedelta(microseconds=1)) == "PT0.000001S"
    assert iso_duration(timedelta(days=30)) == "P30D"
    assert cell_text(None) == "" and cell_text(False) == "false"
    assert printable("a\u2066b\x7f\u2028") == "a\\u2066b\\x7f\\u2028"


@pytest.mark.parametrize(("terminal", "cell"), [(True, "a\\x1b[2Jb\\nc"), (False, "a\x1b[2Jb\nc")])
def test_csv_is_exact_in_a_pipe_and_escaped_on_a_terminal(terminal: bool, cell: str) -> None:
    from rich.console import Console

    from asn_sql.cli.formats import OutputFormat, print_rows
    from asn_sql.io.query import QueryResult

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal)
    print_rows(QueryResult(["v"], [("a\x1b[2Jb\nc",)]), OutputFormat.csv, console)
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["v"], [cell]]


# DuckDB converts decimals and nested values of simple types to JSON text itself
# (asn_sql/io/output_rows.py); the value must be the one asn_sql/values.py would write.
SAME_VALUE = [
    "1.10::decimal(5, 2)",
    "-0.001::decimal(18, 3)",
    "123456789012345678901234567.891::decimal(38, 3)",
    "[1.10::decimal(5, 2), null]",
    "map {'k': 'v' || chr(27) || chr(155) || 'é' || chr(8238), 'n': null}",
    "map {}::map(varchar, varchar)",
    "{'a': [true, false], 'b': {'c': 'x\"y'}}",
    "[[1, 2], [], null]",
    "[1, 2]::int[2]",
    "[170141183460469231731687303715884105727::hugeint]",
    "map {1: 'a'}",
    "[1.5, 'nan'::double]",
    "['\\xAA'::blob]",
]


@pytest.mark.parametrize("expression", SAME_VALUE)
def test_values_converted_by_duckdb_equal_those_converted_in_python(
    expression: str, database: Path
) -> None:
    import duckdb

    sql = f"select {expression} as v, {expression} as v, 1 as w"  # a repeated name too
    expected = duckdb.connect().execute(sql).fetchone()
    printed = invoke("query", "-f", "json", sql)
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.isascii()
    (row,) = _strict(printed.stdout)
    assert row == {"v": _strict(json_text(expected[1])), "w": 1}
    cells = list(csv.reader(io.StringIO(invoke("query", "-f", "csv", sql).stdout)))[1]
    assert [_strict(c) if c else None for c in cells[:2]] == [
        _strict(json_text(v)) for v in expected[:2]
    ]


TRICKY_TEXT = (
    "select 'a' || chr(13) || 'b' as r, ' lead' as s, 'x\"' as \"h\"\"x\", '' as e, "
    "null as n, 'a,b' as c, 'x' || chr(10) || 'y' as d, 1.10::decimal(4, 2) as dec, "
    "map {'k': 'v,\"w\"'} as m, true as b, date '2020-01-01' as dt, 7 as i"
)


@pytest.mark.parametrize(
    "sql", [TRICKY_TEXT, "select '' as only", "select * from exposures order by row_no"]
)
def test_csv_from_duckdb_and_from_python_read_back_the_same(
    sql: str, database: Path, tmp_path: Path
) -> None:
    # export lets DuckDB write a CSV whose every column it can cast to the cell text;
    # query -f csv writes it in Python: a CSV reader sees the same cells.
    printed = invoke("query", "-f", "csv", sql)
    assert invoke("export", "-o", tmp_path / "x.csv", sql).exit_code == 0
    exported = (tmp_path / "x.csv").read_bytes().decode()  # keep a lone \r
    read = [list(csv.reader(io.StringIO(text, newline=""))) for text in (printed.stdout, exported)]
    assert read[0] == read[1]
    assert len(read[0]) > 1  # the header and at least one row


def test_a_carriage_return_is_quoted_in_python_csv(database: Path) -> None:
    result = invoke("query", "-f", "csv", "select 'a' || chr(13) || 'b' as r, '' as e")
    assert result.stdout == 'r,e\n"a\rb",\n'
