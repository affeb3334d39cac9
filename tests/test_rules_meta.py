"""Every rule file: a header, the naming convention, SQL that renders and plans."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from asn_sql import db
from asn_sql.engine.rules import all_rules, render_rule
from asn_sql.engine.run import GenerateOptions, _build_scopes
from asn_sql.templates import render_sql

RULES = all_rules()
PACKAGE = Path(__file__).resolve().parent.parent / "asn_sql"


def snake(name: str) -> str:
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]+|\d+|[a-z]+", name)
    return "_".join(w.lower() for w in words)


def test_jwst_registers_22_rules_at_each_level() -> None:
    assert len([r for r in RULES if r.level == 2]) == 22
    assert len([r for r in RULES if r.level == 3]) == 22


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.file_stem)
def test_a_rule_file_is_named_for_its_jwst_class_and_says_its_constraints(rule) -> None:
    assert rule.name.startswith("Asn_")
    assert rule.constraints and all(len(c) > 10 for c in rule.constraints)
    assert rule.file_stem.startswith(f"lv{rule.level}_")
    assert rule.asn_type


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.file_stem)
def test_a_rule_renders_to_sql_that_duckdb_can_plan(tmp_path: Path, rule) -> None:
    sql = render_rule(rule)
    assert "{{" not in sql and "{%" not in sql
    con = db.open_database(tmp_path / "asn.duckdb")
    _build_scopes(con, [1], GenerateOptions())
    con.execute(render_sql(f"engine/level{rule.level}_eligible.sql"))
    db.execute_script(con, f"explain select * from ({sql})", {"pool_id": 1})


def test_the_rule_engine_does_not_reach_into_documents_or_the_cli() -> None:
    # The import contract (tests/test_layers.py) holds the layers; this keeps two
    # rooms apart within them: pools and rules never need the documents.
    for module in PACKAGE.rglob("*.py"):
        if module.name == "__main__.py" or module.parent.name == "cli":
            continue
        imported = {
            node.module
            for node in ast.walk(ast.parse(module.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {m for m in imported if m.startswith("asn_sql.cli")}, module.name
        if module.parent.name == "engine" or module.name in ("pool.py", "load.py"):
            assert "asn_sql.io.documents" not in imported, module.name
