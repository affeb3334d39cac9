"""asnsql from-list and from-query: associations from files or a query's exposures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asn_sql.cli.main import _expand_argv, app
from asn_sql.io.documents import load_asn
from asn_sql.io.naming import file_root
from asn_sql.tools.from_list import Member, Options, build_association, members_from_files

runner = CliRunner()
CAL = ["jw01234001001_01101_00001_nrca1_cal.fits", "jw01234001001_01101_00002_nrca1_cal.fits"]


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    # The console entry point expands "--background a b" before typer parses it.
    return runner.invoke(app, _expand_argv(list(args)))


def _one_error_line(result) -> bool:  # type: ignore[no-untyped-def]
    lines = result.stderr.splitlines()
    return len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.output


def test_from_list_writes_a_level_3_image_association(tmp_path: Path) -> None:
    out = tmp_path / "mosaic_asn.json"
    result = _invoke("from-list", *CAL, "-o", str(out), "--type", "image3", "--product-name", "m")
    assert result.exit_code == 0, result.output
    data = load_asn(out, resolve=False)
    assert (data["asn_type"], data["asn_rule"], data["asn_id"]) == (
        "image3",
        "asnsql_from_list",
        "a3001",
    )
    assert data["program"] == "01234"
    assert data["products"] == [
        {"name": "m", "members": [{"expname": name, "exptype": "science"} for name in CAL]}
    ]
    assert not out.read_text().endswith("\n")


def test_from_list_level_2_has_a_product_per_science_file_with_the_background(
    tmp_path: Path,
) -> None:
    out = tmp_path / "spec2_asn.json"
    result = _invoke(
        "from-list", "a_rate.fits", "b_rate.fits", "-o", str(out), "--type", "spec2",
        "--program", "9505", "--background", "bg1_rate.fits", "bg2_rate.fits",
        "--imprint", "imp_rate.fits",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = load_asn(out, resolve=False)
    assert (data["asn_id"], data["program"]) == ("o999", "09505")
    assert [p["name"] for p in data["products"]] == ["a", "b"]
    assert [(m["expname"], m["exptype"]) for m in data["products"][1]["members"]] == [
        ("b_rate.fits", "science"),
        ("bg1_rate.fits", "background"),
        ("bg2_rate.fits", "background"),
        ("imp_rate.fits", "imprint"),
    ]


def test_from_list_keeps_jwst_key_order_per_level() -> None:
    level2 = build_association([Member("a_rate.fits")], Options("image2", target="1"))
    level3 = build_association([Member("a_cal.fits")], Options("image3", product_name="p"))
    assert list(level2)[-3:] == ["asn_pool", "target", "products"]
    assert list(level3)[-3:] == ["target", "asn_pool", "products"]


def test_file_root_drops_one_extension_and_one_known_suffix() -> None:
    names = ["jw_00001_rate.fits", "a", "x_rate.fits.gz", "d/jw_00002_uncal.fits", "f_bar.fits"]
    assert [file_root(n) for n in names] == ["jw_00001", "a", "x_rate.fits", "jw_00002", "f_bar"]


def test_members_from_files_orders_science_background_imprint() -> None:
    members = members_from_files(["s"], ["b"], ["i"])
    assert [m.exptype for m in members] == ["science", "background", "imprint"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["a_cal.fits", "--type", "image3"],
            "needs a product name (e.g. jw01234-a3001_...) (see --prod",
        ),
        (["a_cal.fits", "--type", "image9"], "unknown association type 'image9'"),
        (["a_cal.fits", "--type", "image2", "--asn-id", "x"], "a3001, not 'x' (see -i/--asn-id)"),
        (
            ["a_cal.fits", "--type", "image2", "--program", "abc"],
            "number such as 1234, not 'abc' (see --program)",
        ),
        (["--background", "b.fits", "--type", "spec2"], "missing argument"),
    ],
)
def test_from_list_rejects_bad_input_with_one_error_line(
    args: list[str], words: str, tmp_path: Path
) -> None:
    out = tmp_path / "x_asn.json"
    result = _invoke("from-list", *args, "-o", str(out))
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_from_list_refuses_an_output_that_is_not_json(tmp_path: Path) -> None:
    result = _invoke("from-list", "a.fits", "-o", str(tmp_path / "x.txt"), "--type", "image2")
    assert result.exit_code == 2
    assert _one_error_line(result) and "must be a .json file" in result.stderr


def test_from_query_derives_program_target_and_product_name_from_the_pool(
    load: Callable[..., object], db_path: Path, tmp_path: Path
) -> None:
    load("pool_002_image_miri.csv")
    out = tmp_path / "q_asn.json"
    sql = (
        "select pool_id, row_no, replace(filename, '_uncal', '_cal') as filename "
        "from exposures where exp_type = 'mir_image'"
    )
    result = runner.invoke(
        app, ["from-query", sql, "-o", str(out), "--type", "image3", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert (data["program"], data["asn_id"], data["target"], data["asn_pool"]) == (
        "99009",
        "o001",
        "t001",
        "pool_002_image_miri.csv",
    )
    # The name jwst gives the same exposures' image3 product.
    assert data["products"][0]["name"] == "jw99009-o001_t001_miri_f560w"
    assert len(data["products"][0]["members"]) == 8


def test_from_query_takes_roles_from_an_exptype_column(
    load: Callable[..., object], db_path: Path, tmp_path: Path
) -> None:
    load("pool_002_image_miri.csv")
    out = tmp_path / "q_asn.json"
    sql = (
        "select filename, case when row_no = 0 then 'background' end as exptype "
        "from exposures where row_no < 3"
    )
    result = runner.invoke(
        app, ["from-query", sql, "-o", str(out), "-t", "image2", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.output
    products = load_asn(out, resolve=False)["products"]
    assert [p["name"] for p in products] == ["jw_00002", "jw_00003"]
    assert products[0]["members"][1] == {"expname": "jw_00001_uncal.fits", "exptype": "background"}


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("select exp_type from exposures", "no filename column"),
        ("select filename from exposures where false", "returned no rows"),
        ("select nonsense from", "query failed"),
    ],
)
def test_from_query_rejects_bad_queries_with_one_error_line(
    sql: str, words: str, load: Callable[..., object], db_path: Path, tmp_path: Path
) -> None:
    load("pool_002_image_miri.csv")
    args = ["from-query", sql, "-o", str(tmp_path / "q.json"), "-t", "image2"]
    result = runner.invoke(app, [*args, "--db", str(db_path)])
    assert result.exit_code == 2
    assert _one_error_line(result) and words in result.stderr
