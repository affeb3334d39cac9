"""The grouping pass of sql/macros/grouping.sql against jwst's pass replayed row by row.

The macro skips the rows that cannot change the pass's state and runs each part
of a rule and scope (rows with the same values of the keys every row sets) on its
own, joining parts that share a file name. Those are shortcuts: the associations,
their final keys and their founding rows must be exactly those of the plain pass
(jwst's generator.py / association.py: a row joins every association it agrees
with and fills its unset keys; it founds one only when it joined none and no
association holds its file). Hundreds of seeded random scopes, with wildcards,
duplicated file names (within and across parts) and rows with two roles, run
through the macro in one database and through the plain pass in Python. Lock keys
(jwst's multi-source constraints, lib/constraint.py: the first value fixes the column
read too) are checked the same way, their candidates as well.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pyarrow as pa

from asn_sql.templates import environment

KEYS = ["k_a", "k_b", "k_c"]
Keys = tuple[str | None, ...]


def plain_pass(rows: list[tuple[int, str, str, Keys]]) -> list[tuple[Keys, int]]:
    """Each association's final keys and founding row; ``rows`` are (row, role, file,
    keys) in pool order (row, then role)."""
    keys_of: list[list[str | None]] = []
    files_of: list[set[str]] = []
    founders: list[int] = []
    for row_no, _role, filename, keys in rows:
        agrees = [
            all(a is None or v is None or a == v for a, v in zip(held, keys, strict=True))
            for held in keys_of
        ]
        holds = [filename in files for files in files_of]
        if any(agrees) or any(holds):
            for i, held in enumerate(keys_of):
                if agrees[i] and not holds[i]:
                    keys_of[i] = [
                        a if a is not None else v for a, v in zip(held, keys, strict=True)
                    ]
                    files_of[i].add(filename)
        else:
            keys_of.append(list(keys))
            files_of.append({filename})
            founders.append(row_no)
    return [(tuple(k), f) for k, f in zip(keys_of, founders, strict=True)]


def _files(rng: random.Random) -> dict[int, str]:
    """The rows of one scope and their file names, drawn with repeats."""
    n = rng.randint(1, 30)
    files = [f"f{i}" for i in range(rng.randint(max(1, n // 2), 2 * n))]
    return {row_no: rng.choice(files) for row_no in range(1, n + 1)}


def _rule_rows(rng: random.Random, files: dict[int, str]) -> list[tuple[int, str, str, Keys]]:
    """One rule's rows of a scope: keys always set, sometimes set or never set, with few
    values so that rows agree; some rows with two roles."""
    kinds = [rng.choice(["always", "always", "mixed", "mixed", "never"]) for _ in KEYS]
    values = [rng.sample("pqrs", rng.randint(1, 3)) for _ in KEYS]
    rows = []
    for row_no, filename in files.items():
        for role in rng.choice([["science"], ["science"], ["background", "science"]]):
            keys = tuple(
                None
                if kind == "never" or (kind == "mixed" and rng.random() < 0.4)
                else rng.choice(vals)
                for kind, vals in zip(kinds, values, strict=True)
            )
            rows.append((row_no, role, filename, keys))
    return rows


def _run_pass(
    tmp_path: Path,
    src: list[tuple],
    src_columns: list[str],
    exposures: list[tuple[int, int, str]],
    keys: list[str],
    locks: dict | None = None,
) -> duckdb.DuckDBPyConnection:
    """A database holding `src` and `scope_exposures`, with the macro's tables t_* built."""
    con = duckdb.connect(str(tmp_path / "pass.duckdb"))
    for name, columns, table in (
        ("src", src_columns, src),
        ("scope_exposures", ["scope_id", "row_no", "filename"], exposures),
    ):
        arrow = pa.table({c: [row[i] for row in table] for i, c in enumerate(columns)})
        con.register("arrow", arrow)
        con.execute(f"create table {name} as select * from arrow")
        con.unregister("arrow")
    template = environment().from_string(
        "{% import 'macros/grouping.sql' as g %}{{ g.wildcard_groups('t', 'src', keys, locks) }}"
    )
    for statement in con.extract_statements(template.render(keys=keys, locks=locks or {})):
        con.execute(statement)
    return con


def test_the_pass_gives_the_associations_of_the_plain_pass(tmp_path: Path) -> None:
    rng = random.Random(20261129)
    files = {scope_id: _files(rng) for scope_id in range(1, 301)}
    scopes = {
        (rule, scope_id): _rule_rows(rng, files[scope_id]) for scope_id in files for rule in "AB"
    }
    src = [
        (rule, scope_id, r, role, *keys)
        for (rule, scope_id), rows in scopes.items()
        for r, role, _, keys in rows
    ]
    exposures = [(scope_id, r, f) for scope_id, rows in files.items() for r, f in rows.items()]
    con = _run_pass(tmp_path, src, ["rule", "scope_id", "row_no", "role", *KEYS], exposures, KEYS)

    expected = sorted(
        (rule, scope_id, founder, *keys)
        for (rule, scope_id), rows in scopes.items()
        for keys, founder in plain_pass(sorted(rows, key=lambda r: (r[0], r[1])))
    )
    got = con.execute(
        f"select rule, scope_id, first_exact, {', '.join(KEYS)}, group_id from t_groups "
        "order by group_id"
    ).fetchall()
    assert [row[:-1] for row in got] == expected
    assert [row[-1] for row in got] == list(range(1, len(expected) + 1))
    # the shortcuts are taken: some scopes have several parts, some a file across parts
    parts = con.execute(
        "select count(distinct part_no) > count(distinct (rule, scope_id)) from t_steps"
    ).fetchone()
    assert parts == (True,)
    assert con.execute("select count(*) > 0 from t_components").fetchone() == (True,)


# Lock keys (jwst's multi-source constraints, constraint.py AttrConstraint): k_l reads
# columns c1, c2 and is required, k_m reads c3, c4 and is optional.
LOCKS = {"k_l": (["c1", "c2"], True), "k_m": (["c3", "c4"], False)}
LOCK_KEYS = ["k_a", "k_l", "k_m"]
COLUMNS = ["c1", "c2", "c3", "c4"]
Columns = dict[str, str | None]


def _options(columns: Columns, sources: list[str]) -> list[str]:
    return [f"{c}:{columns[c]}" for c in sources if columns[c] is not None]


def _lock_agrees(held: dict[str, str | None], a: str | None, columns: Columns) -> bool:
    if held["k_a"] is not None and a is not None and held["k_a"] != a:
        return False
    for key, (sources, required) in LOCKS.items():
        fixed = held[key]
        if fixed is None:
            if required and not _options(columns, sources):
                return False
            continue
        column, value = fixed.split(":", 1)
        if columns[column] is None:
            if required:
                return False
        elif columns[column] != value:
            return False
    return True


def locked_pass(
    rows: list[tuple[int, str, str, str | None, Columns]],
) -> list[tuple[tuple[str | None, ...], int]]:
    """The plain pass with lock keys: an association's lock key is fixed by the first
    member that sets one of its columns, to that column, and read there only."""
    held_of: list[dict[str, str | None]] = []
    files_of: list[set[str]] = []
    founders: list[int] = []
    for row_no, _role, filename, a, columns in rows:
        fills = {"k_a": a} | {
            key: next(iter(_options(columns, sources)), None) for key, (sources, _) in LOCKS.items()
        }
        agrees = [_lock_agrees(held, a, columns) for held in held_of]
        holds = [filename in files for files in files_of]
        if any(agrees) or any(holds):
            for i, held in enumerate(held_of):
                if agrees[i] and not holds[i]:
                    held_of[i] = {k: v if v is not None else fills[k] for k, v in held.items()}
                    files_of[i].add(filename)
        else:
            held_of.append(fills)
            files_of.append({filename})
            founders.append(row_no)
    return [(tuple(h[k] for k in LOCK_KEYS), f) for h, f in zip(held_of, founders, strict=True)]


def _locked_rule_rows(
    rng: random.Random, files: dict[int, str]
) -> list[tuple[int, str, str, str | None, Columns]]:
    """One rule's rows of a scope: a plain key and four lock columns, each column always,
    sometimes or never set (a required lock always reads one column)."""
    kinds = {c: rng.choice(["always", "mixed", "mixed", "never"]) for c in ["a", *COLUMNS]}
    values = {c: rng.sample("pqr", rng.randint(1, 3)) for c in kinds}
    rows = []
    for row_no, filename in files.items():
        for role in rng.choice([["science"], ["science"], ["background", "science"]]):
            drawn = {
                c: None
                if kind == "never" or (kind == "mixed" and rng.random() < 0.4)
                else rng.choice(values[c])
                for c, kind in kinds.items()
            }
            if drawn["c1"] is None and drawn["c2"] is None:
                drawn[rng.choice(["c1", "c2"])] = rng.choice(values["c1"])
            rows.append((row_no, role, filename, drawn.pop("a"), drawn))
    return rows


def test_lock_keys_read_the_column_the_association_fixed(tmp_path: Path) -> None:
    rng = random.Random(20261130)
    files = {scope_id: _files(rng) for scope_id in range(1, 301)}
    scopes = {
        (rule, scope_id): _locked_rule_rows(rng, files[scope_id])
        for scope_id in files
        for rule in "AB"
    }
    # the lock keys' own values only say the rule keys on them ('' would say not)
    src = [
        (rule, scope_id, r, role, a, "x", "x", *(columns[c] for c in COLUMNS))
        for (rule, scope_id), rows in scopes.items()
        for r, role, _, a, columns in rows
    ]
    exposures = [(scope_id, r, f) for scope_id, rows in files.items() for r, f in rows.items()]
    locks = {k: {"sources": s, "required": r} for k, (s, r) in LOCKS.items()}
    con = _run_pass(
        tmp_path,
        src,
        ["rule", "scope_id", "row_no", "role", *LOCK_KEYS, *COLUMNS],
        exposures,
        LOCK_KEYS,
        locks,
    )

    expected = {
        (rule, scope_id, founder): keys
        for (rule, scope_id), rows in scopes.items()
        for keys, founder in locked_pass(sorted(rows, key=lambda r: (r[0], r[1])))
    }
    got = con.execute(
        f"select rule, scope_id, first_exact, {', '.join(LOCK_KEYS)} from t_groups "
        "order by group_id"
    ).fetchall()
    assert [row[:3] for row in got] == sorted(expected)
    assert {row[:3]: row[3:] for row in got} == expected
    # every row agreeing with an association's final keys is its candidate, once
    agreeing = sorted(
        (rule, scope_id, founder, r, role)
        for (rule, scope_id), rows in scopes.items()
        for keys, founder in locked_pass(sorted(rows, key=lambda r: (r[0], r[1])))
        for r, role, _, a, columns in rows
        if _lock_agrees(dict(zip(LOCK_KEYS, keys, strict=True)), a, columns)
    )
    candidates = con.execute(
        "select c.rule, c.scope_id, c.first_exact, c.row_no, c.role from t_candidates as c "
        "order by all"
    ).fetchall()
    assert candidates == agreeing
    # rows set two columns of a lock somewhere, and whole scopes keep their parts
    assert con.execute("select bool_or(len(opts[1]) > 1) from t_steps").fetchone() == (True,)
    parts = con.execute(
        "select count(distinct part_no) > count(distinct (rule, scope_id)) from t_steps"
    ).fetchone()
    assert parts == (True,)
