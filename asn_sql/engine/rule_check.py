"""Checking rule files without a pool (`asnsql rules --check DIR`, and `generate -r`).

Each rule runs alone through the whole engine of its level on an empty scratch
database: it must render, its header settings must be known values, its SELECT
must return the contract's columns (sql/rules/README.md) with their types, and
its macros must make SQL the engine can run. Nothing of the user's database is
touched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from asn_sql import db
from asn_sql.db import exposure_columns
from asn_sql.engine.level2 import run_level2
from asn_sql.engine.level3 import run_level3
from asn_sql.engine.rules import Rule, all_rules
from asn_sql.engine.user_rules import merge_rules, read_user_rule, user_rule_files
from asn_sql.engine.user_sql import forbid_files
from asn_sql.errors import RuleError
from asn_sql.names import ACID_PATTERN, UNSAFE_PATTERN
from asn_sql.templates import render_sql


@dataclass(frozen=True)
class CheckedRule:
    """One rule file checked: its rule (None when the header is unreadable) and the error."""

    path: Path
    rule: Rule | None
    error: str | None
    replaces: str | None = None


def check_rules(rules: list[Rule]) -> None:
    """Run each rule alone on an empty scratch database; the first failure raises
    RuleError naming its file (and line where it is known). A file already checked in
    this process, unchanged, is not checked again."""
    pending = [rule for rule in rules if rule.cache_key() not in _checked]
    if not pending:
        return
    with _scratch() as con:
        for rule in pending:
            _check_one(con, rule)
            _checked.add(rule.cache_key())


# The cache keys (template and content digest) of the user rule files that passed.
_checked: set[tuple[str, ...]] = set()


def check_folder(folder: Path) -> list[CheckedRule]:
    """Every rule file of a user rule folder, checked; one entry a file."""
    results: list[CheckedRule] = []
    readable: list[Rule] = []
    for path in user_rule_files(folder):
        try:
            readable.append(read_user_rule(path, folder))
        except RuleError as exc:
            results.append(CheckedRule(path, None, str(exc)))
    built_in = {rule.path.name: rule for rule in all_rules()}
    with _scratch() as con:
        for rule in readable:
            replaced = built_in.get(rule.path.name)
            try:
                merge_rules(list(all_rules()), [rule])
                _check_one(con, rule)
            except RuleError as exc:
                results.append(CheckedRule(rule.path, rule, str(exc)))
                continue
            shown = replaced.shown_path if replaced else None
            results.append(CheckedRule(rule.path, rule, None, shown))
    return sorted(_clashes(results), key=lambda checked: str(checked.path))


def _clashes(results: list[CheckedRule]) -> list[CheckedRule]:
    """Two good files of one folder may still clash with each other (one class name)."""
    seen: dict[str, Path] = {}
    checked = []
    for item in results:
        if item.error is None and item.rule is not None:
            other = seen.setdefault(item.rule.name, item.path)
            if other != item.path:
                error = RuleError(
                    f"rule {item.rule.name} is defined already by {other}",
                    path=item.path,
                    line=item.rule.line_of("rule"),
                )
                item = CheckedRule(item.path, item.rule, str(error))
        checked.append(item)
    return checked


def _check_one(con: duckdb.DuckDBPyConnection, rule: Rule) -> None:
    runner = run_level2 if rule.level == 2 else run_level3
    try:
        runner(con, [rule], checking=True)
    except RuleError as exc:
        if exc.path is None:  # the engine's own statement failed on this rule's macros
            raise RuleError(exc.message, path=rule.path) from None
        raise


@contextmanager
def _scratch() -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated database in a temporary folder, with empty scopes and eligible tables."""
    with tempfile.TemporaryDirectory(prefix="asnsql-check-") as folder:
        con = db.open_database(Path(folder) / "check.duckdb")
        try:
            db.execute_script(
                con,
                render_sql("engine/scopes.sql", columns=exposure_columns(con)),
                {
                    "pool_ids": [0],
                    "ids": None,
                    "candidates": True,
                    "discover": True,
                    "acid_pattern": ACID_PATTERN,
                    "unsafe_pattern": UNSAFE_PATTERN,
                },
            )
            for table in ("rule_matches", "level2_eligible", "level3_eligible"):
                db.execute_script(con, render_sql(f"engine/{table}.sql"))
            forbid_files(con)  # the rules run as generate runs them: no file, ever
            yield con
        finally:
            con.close()
