"""A rule header that names a key twice is refused, by `rules --check` and by
`generate -r`, naming the file and the second line (reliability-2 kind 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asn_sql.resources import sql_dir

from .failure_harness import assert_one_error_line, run, tree

BUILT_IN = sql_dir() / "rules" / "level3" / "lv3_image.sql"


def _rule(folder: Path, first_lines: list[str], renamed: str = "My_Image") -> Path:
    """A user rule: ``first_lines`` then lv3_image.sql's header and body, renamed."""
    text = BUILT_IN.read_text(encoding="utf-8").replace("Asn_Lv3Image", renamed)
    folder.mkdir(exist_ok=True)
    path = folder / "my_rule.sql"
    path.write_text("\n".join(first_lines) + "\n" + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "key"),
    [
        (["-- level: 3", "-- level: 2"], "level"),
        (["-- level: 3", "--level:3"], "level"),
        (["-- level: 3", "-- rule: Other"], "rule"),
        (["-- level: 3", "-- asn_type: image2"], "asn_type"),
        (["-- level: 3", "-- constraints:", "--   - x"], "constraints"),
        (["-- level: 3", "-- Level: 2"], "level"),
        (["-- level: 3", "-- level : 2"], "level"),
        (["-- LEVEL: 2", "-- level: 3"], "level"),
    ],
)
def test_a_header_key_named_twice_is_refused_by_check_and_generate(
    lines: list[str], key: str, tmp_path: Path, small_db: Path
) -> None:
    rules = tmp_path / "rules"
    path = _rule(rules, lines)
    checked = run("rules", "--check", rules)
    assert checked.code == 2, checked.stdout
    assert checked.stdout == ""
    assert checked.error_lines == [
        f"Error: {path}, line {_lines(path, key)[1]}: the header names {key} twice "
        f"(first on line {_lines(path, key)[0]}); keep one"
    ]
    before = tree(tmp_path)
    generated = run("generate", "-r", rules, "-p", tmp_path / "out", "--db", small_db)
    assert_one_error_line(generated, 2, f"the header names {key} twice")
    assert tree(tmp_path) == before


def _lines(path: Path, key: str) -> list[int]:
    """The lines of the header that name ``key``."""
    found = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.startswith("--"):
            break
        if text.replace(" ", "").lower().startswith(f"--{key}:"):
            found.append(number)
    return found
