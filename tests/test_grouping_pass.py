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
read too) are checked the same way, their candidates as well, and so are target
acquisitions, which fix keys of the associations holding their observation.
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
    keys) in pool order (row, then role). The pass with acquisitions, without any."""
    return acquiring_pass([(r, role, f, 0, keys, []) for r, role, f, keys in rows])


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
    acquisitions: list[tuple] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A database holding `src` and `scope_exposures` (and `acq`, the acquisitions, with
    the observation of every exposure), with the macro's tables t_* built."""
    con = duckdb.connect(str(tmp_path / "pass.duckdb"))
    tables = [
        ("src", src_columns, src),
        (
            "scope_exposures",
            ["scope_id", "row_no", "filename", "obs_num"][: len(exposures[0])],
            exposures,
        ),
    ]
    if acquisitions is not None:
        tables.append(
            (
                "acq",
                ["rule", "scope_id", "row_no", "role", *keys, "obs_num", "acq_order"],
                acquisitions,
            )
        )
    for name, columns, table in tables:
        arrow = pa.table({c: [row[i] for row in table] for i, c in enumerate(columns)})
        con.register("arrow", arrow)
        con.execute(f"create table {name} as select * from arrow")
        con.unregister("arrow")
    if acquisitions is not None:
        # each acquisition offered once, at its own row (the engine also offers it again
        # past every row: Asn_Lv3ACQ_Reprocess, checked by the differential fixtures)
        con.execute("alter table acq add column at_row integer")
        con.execute("update acq set at_row = row_no")
    template = environment().from_string(
        "{% import 'macros/grouping.sql' as g %}"
        "{{ g.wildcard_groups('t', 'src', keys, locks, acquisitions, base) }}"
    )
    rendered = template.render(
        keys=keys,
        locks=locks or {},
        acquisitions="acq" if acquisitions is not None else None,
        base=keys[:1],
    )
    for statement in con.extract_statements(rendered):
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


# Target acquisitions (rules_level3_base.py AsnMixin_Science, its acq_check alternative):
# offered to the associations holding an exposure of their observation and sharing the
# base key (k_a here), they fix the unset keys of the rule's tests they pass, in the
# rule's order, up to the first they fail; they join nothing in the pass.
Acquired = tuple[int, str, str, int, Keys, list[int]]


def acquiring_pass(rows: list[Acquired]) -> list[tuple[Keys, int]]:
    """The plain pass with acquisitions; ``rows`` are (row, role, file, observation, keys,
    order) in pool order, role "acq" for an acquisition, order the key indexes it is
    tested on."""
    keys_of: list[list[str | None]] = []
    files_of: list[set[str]] = []
    obs_of: list[set[int]] = []
    founders: list[int] = []
    for row_no, role, filename, obs, keys, order in rows:
        if role == "acq":
            for i, held in enumerate(keys_of):
                if obs not in obs_of[i] or held[0] is None or held[0] != keys[0]:
                    continue
                for j in order:
                    if held[j] is not None and keys[j] is not None and held[j] != keys[j]:
                        break
                    if held[j] is None:
                        held[j] = keys[j]
            continue
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
                    obs_of[i].add(obs)
        else:
            keys_of.append(list(keys))
            files_of.append({filename})
            obs_of.append({obs})
            founders.append(row_no)
    return [(tuple(k), f) for k, f in zip(keys_of, founders, strict=True)]


def test_acquisitions_fix_the_keys_of_the_tests_they_pass(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    files = {scope_id: _files(rng) for scope_id in range(1, 301)}
    observations = {
        scope_id: {r: rng.randint(1, 3) for r in rows} for scope_id, rows in files.items()
    }
    # about a fifth of each scope's exposures are acquisitions, offered to both rules
    acquisitions = {
        scope_id: {r for r in rows if rng.random() < 0.2} for scope_id, rows in files.items()
    }
    rows_of: dict[tuple[str, int], list[Acquired]] = {}
    for scope_id in files:
        plain = {r: f for r, f in files[scope_id].items() if r not in acquisitions[scope_id]}
        for rule in "AB":
            rows: list[Acquired] = [
                (r, role, f, observations[scope_id][r], keys, [])
                for r, role, f, keys in _rule_rows(rng, plain)
            ]
            values = [rng.choice("pqrs") for _ in KEYS]
            for r in acquisitions[scope_id]:
                keys = tuple(None if rng.random() < 0.2 else rng.choice("pqrs") for _ in KEYS)
                order = rng.choice([[1, 2], [2, 1], [1], [2], []])
                keys = (values[0] if rng.random() < 0.8 else keys[0], *keys[1:])
                rows.append((r, "acq", files[scope_id][r], observations[scope_id][r], keys, order))
            rows_of[(rule, scope_id)] = sorted(rows, key=lambda row: (row[0], row[1] == "acq"))
    # A row with the keys of an earlier one (which the pass may skip) brings a new
    # observation to an association founded between them, whose acquisition follows.
    files[301] = {r: f"g{r}" for r in range(1, 6)}
    observations[301] = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3}
    rows_of[("A", 301)] = [
        (1, "science", "g1", 1, ("p", None, None), []),
        (2, "science", "g2", 2, ("p", "q", None), []),
        (3, "science", "g3", 2, ("p", "r", None), []),
        (4, "science", "g4", 3, ("p", None, None), []),
        (5, "acq", "g5", 3, ("p", None, "s"), [2]),
    ]
    assert acquiring_pass(rows_of[("A", 301)]) == [(("p", "q", "s"), 1), (("p", "r", "s"), 3)]
    src = [
        (rule, scope_id, r, role, *keys)
        for (rule, scope_id), rows in rows_of.items()
        for r, role, _, _, keys, _ in rows
        if role != "acq"
    ]
    acq = [
        (rule, scope_id, r, "target_acquisition", *keys, obs, [j + 1 for j in order])
        for (rule, scope_id), rows in rows_of.items()
        for r, role, _, obs, keys, order in rows
        if role == "acq"
    ]
    exposures = [
        (scope_id, r, f, observations[scope_id][r])
        for scope_id, rows in files.items()
        for r, f in rows.items()
    ]
    con = _run_pass(
        tmp_path, src, ["rule", "scope_id", "row_no", "role", *KEYS], exposures, KEYS, None, acq
    )

    expected = sorted(
        (rule, scope_id, founder, *keys)
        for (rule, scope_id), rows in rows_of.items()
        for keys, founder in acquiring_pass(rows)
    )
    got = con.execute(
        f"select rule, scope_id, first_exact, {', '.join(KEYS)} from t_groups order by group_id"
    ).fetchall()
    assert got == expected
    # acquisitions changed associations: without them the keys are not the same
    plain = sorted(
        (rule, scope_id, founder, *keys)
        for (rule, scope_id), rows in rows_of.items()
        for keys, founder in acquiring_pass([row for row in rows if row[1] != "acq"])
    )
    assert plain != expected
