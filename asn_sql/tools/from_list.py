"""Associations from a list of files or from a query's exposures: asn_from_list, but complete."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from asn_sql.errors import AsnSqlError
from asn_sql.io.documents import (
    CODE_VERSION,
    DocumentError,
    document_level,
    schema_errors,
)
from asn_sql.io.naming import file_root
from asn_sql.io.query import QueryResult
from asn_sql.io.staged_files import write_atomic
from asn_sql.names import check_product_name

RULE = "asnsql_from_list"
DEFAULT_ASN_IDS = {2: "o999", 3: "a3001"}
NOT_DEGRADED = "No known degraded exposures in association."
# A DMS exposure file name starts with jw + program (5 digits) + observation + visit.
_DMS_NAME = re.compile(r"^jw(\d{5})\d{6}_")
_ASN_ID = re.compile(r"^[a-z]\d{3,}$")


class FromListError(AsnSqlError):
    """Files, options or query rows that make no association."""


@dataclass(frozen=True)
class Member:
    """One member to be: a file name and its role (exptype)."""

    expname: str
    exptype: str = "science"


@dataclass(frozen=True)
class Options:
    """What the association says about itself; None means derive it or use the default."""

    asn_type: str
    product_name: str | None = None
    program: str | None = None
    asn_id: str | None = None
    target: str | None = None
    pool_name: str = "none"
    constraints: str = "No constraints: the members were listed by hand."


def asn_types() -> list[str]:
    """The association types asnsql's rules write (image2, spec3, ...)."""
    from asn_sql.engine.rules import all_rules

    return sorted({r.asn_type for r in all_rules() if r.asn_type[-1:] in ("2", "3")})


def members_from_files(
    science: Sequence[str], backgrounds: Sequence[str] = (), imprints: Sequence[str] = ()
) -> list[Member]:
    """Members for file names as given: science files, then backgrounds, then imprints."""
    return (
        [Member(name) for name in science]
        + [Member(name, "background") for name in backgrounds]
        + [Member(name, "imprint") for name in imprints]
    )


def build_association(members: list[Member], options: Options) -> dict[str, Any]:
    """The association document: Level 2 has one product per science member, each with
    every other member; Level 3 has one product holding them all."""
    level = level_of(options.asn_type)
    science = [m for m in members if m.exptype == "science"]
    if not science:
        raise FromListError("no science member: give at least one science file")
    program = _program(options.program, [m.expname for m in science])
    asn_id = _asn_id(options.asn_id, level)
    if options.product_name is not None:
        # the pipeline names its output files after the product
        check_product_name(options.product_name)
    data: dict[str, Any] = {
        "asn_type": options.asn_type,
        "asn_rule": RULE,
        "version_id": None,
        "code_version": CODE_VERSION,
        "degraded_status": NOT_DEGRADED,
        "program": program,
        "constraints": options.constraints,
        "asn_id": asn_id,
    }
    if level == 2:
        # Level 2 documents put the pool before the target, which they may lack.
        data["asn_pool"] = options.pool_name
        if options.target is not None:
            data["target"] = options.target
        data["products"] = _level2_products(members, options.product_name)
    else:
        data["target"] = options.target or "none"
        data["asn_pool"] = options.pool_name
        data["products"] = [_level3_product(members, options.product_name)]
    return data


def level_of(asn_type: str) -> int:
    """2 or 3, the last digit of a known asn_type."""
    if asn_type not in asn_types():
        known = ", ".join(asn_types())
        raise FromListError(f"unknown association type {asn_type!r}; use one of {known}")
    return int(asn_type[-1])


def _program(given: str | None, names: list[str]) -> str:
    if given is not None:
        if not given.isdigit():
            raise FromListError(
                f"the program must be a program number such as 1234, not {given!r}",
                settings=("program",),
            )
        return given.zfill(5)
    found = {match.group(1) for name in names if (match := _DMS_NAME.match(Path(name).name))}
    # jwst's own placeholder when the files do not say which program they belong to.
    return found.pop() if len(found) == 1 else "noprogram"


def _asn_id(given: str | None, level: int) -> str:
    if given is None:
        return DEFAULT_ASN_IDS[level]
    if not _ASN_ID.match(given.lower()):
        raise FromListError(
            f"the asn_id must be a candidate id such as o001, c1000 or a3001, not {given!r}",
            settings=("asn_id",),
        )
    return given.lower()


def _level2_products(members: list[Member], name: str | None) -> list[dict[str, Any]]:
    science = [m for m in members if m.exptype == "science"]
    others = [_member(m) for m in members if m.exptype != "science"]
    if name is not None and len(science) > 1:
        raise FromListError(
            "a product name names a Level 2 product only when there is one science file; "
            "otherwise each product is named for its science file",
            settings=("product_name",),
        )
    return [
        {"name": name or file_root(m.expname), "members": [_member(m), *others]} for m in science
    ]


def _level3_product(members: list[Member], name: str | None) -> dict[str, Any]:
    if not name:
        raise FromListError(
            "a Level 3 association needs a product name (e.g. jw01234-a3001_...)",
            settings=("product_name",),
        )
    ordered = [m for m in members if m.exptype == "science"]
    ordered += [m for m in members if m.exptype != "science"]
    return {"name": name, "members": [_member(m) for m in ordered]}


def _member(member: Member) -> dict[str, str]:
    return {"expname": member.expname, "exptype": member.exptype}


def write_association(data: dict[str, Any], output: Path) -> Path:
    """Check ``data`` against jwst's schema of its level, then write it atomically."""
    if output.suffix != ".json":
        raise DocumentError("the output must be a .json file (jwst reads no other)", path=output)
    if not output.parent.is_dir():
        raise DocumentError("the output folder does not exist", path=output)
    errors = schema_errors(data, document_level(data))
    if errors:
        raise DocumentError(
            f"not a valid association, nothing written: {'; '.join(errors)}", path=output
        )
    write_atomic(output, json.dumps(data, indent=4))
    return output


def members_from_rows(result: QueryResult) -> list[Member]:
    """Members from a query's rows: its ``filename`` column, its ``exptype`` column if any
    (else every row is science)."""
    columns = [c.lower() for c in result.columns]
    if "filename" not in columns:
        raise FromListError(
            "the query returns no filename column (select filename, ... from exposures ...)"
        )
    name_at = columns.index("filename")
    role_at = columns.index("exptype") if "exptype" in columns else None
    members = []
    for number, row in enumerate(result.rows, start=1):
        if row[name_at] is None:
            raise FromListError(f"row {number} of the query has no filename")
        role = row[role_at] if role_at is not None and row[role_at] else "science"
        members.append(Member(str(row[name_at]), str(role)))
    if not members:
        raise FromListError("the query returned no rows")
    return members


def with_defaults(options: Options, derived: Options) -> Options:
    """``options`` with every field it leaves unset taken from ``derived``."""
    unset = {
        key: getattr(derived, key)
        for key in ("product_name", "program", "asn_id", "target")
        if getattr(options, key) is None
    }
    return replace(options, pool_name=derived.pool_name, constraints=derived.constraints, **unset)


# jwst reads these cell values as "not set".
_EMPTY = {"", "null", "none", "--", "n", "f", "false", "n/a"}

_POOL_FACTS = """
select p.name as pool_name, x.program, x.targetid, x.instrume, x.filter, x.pupil, x.grating,
       x.subarray, list(c.acid order by c.position) filter (where c.acid is not null) as acids
from (select unnest($pool_ids) as pool_id, unnest($row_nos) as row_no) as k
join exposures as x using (pool_id, row_no)
join pools as p using (pool_id)
left join exposure_candidates as c using (pool_id, row_no)
group by all
"""


def from_query(db_path: Path, sql: str, options: Options) -> dict[str, Any]:
    """An association of the exposures a query returns. With pool_id and row_no columns,
    program, asn_id, target, pool and the Level 3 product name come from the pool."""
    from asn_sql.io.query import fetch, run_query

    result = run_query(db_path, sql)
    members = members_from_rows(result)
    columns = [c.lower() for c in result.columns]
    derived = Options(options.asn_type, pool_name="none", constraints=f"asnsql from-query: {sql}")
    if "pool_id" in columns and "row_no" in columns:
        science = [
            (row[columns.index("pool_id")], row[columns.index("row_no")])
            for row, member in zip(result.rows, members, strict=True)
            if member.exptype == "science"
        ]
        from asn_sql import sandbox

        con = sandbox.open_read_only(db_path)
        try:
            facts = fetch(
                con,
                _POOL_FACTS,
                {"pool_ids": [p for p, _ in science], "row_nos": [r for _, r in science]},
            )
        finally:
            con.close()
        derived = _derive(facts, options, derived)
    return build_association(members, with_defaults(options, derived))


def _derive(facts: QueryResult, options: Options, derived: Options) -> Options:
    rows = [dict(zip(facts.columns, row, strict=True)) for row in facts.rows]
    level = level_of(options.asn_type)
    program = _single(rows, "program")
    program = program.zfill(5) if program and program.isdigit() else None
    asn_id = _common_candidate([row["acids"] or [] for row in rows])
    target = _single(rows, "targetid")
    if level == 3 and target is not None:
        target = f"t{target.zfill(3)}"
    derived = replace(
        derived,
        program=program,
        asn_id=asn_id,
        target=target,
        pool_name=_single(rows, "pool_name") or "none",
    )
    if level == 3:
        derived = replace(derived, product_name=_level3_name(rows, options, derived))
    return derived


def _single(rows: list[dict[str, Any]], column: str) -> str | None:
    """The one value a column holds on every row, None when it varies or is unset."""
    values = {row[column] for row in rows}
    if len(values) != 1:
        return None
    value = values.pop()
    return None if value is None or str(value).lower() in _EMPTY else str(value)


def _common_candidate(acid_lists: list[list[str]]) -> str | None:
    """The first candidate id of the first row that every row lists."""
    if not acid_lists:
        return None
    shared = set(acid_lists[0]).intersection(*map(set, acid_lists[1:]))
    return next((acid for acid in acid_lists[0] if acid in shared), None)


def _level3_name(rows: list[dict[str, Any]], options: Options, derived: Options) -> str | None:
    """jw<program>-<asn_id>_<target>_<instrument>_<optical elements>[-<subarray>], the DMS
    form, when every science exposure shares these values."""
    program = options.program.zfill(5) if options.program else derived.program
    asn_id = (options.asn_id or derived.asn_id or DEFAULT_ASN_IDS[3]).lower()
    target = options.target or derived.target
    instrument = _single(rows, "instrume")
    if not (program and target and instrument):
        return None
    elements = []
    for column in ("filter", "pupil", "grating"):
        if len({row[column] for row in rows}) != 1:
            return None
        value = _single(rows, column)
        if value is not None:
            elements.append(value)
    opt_elem = "-".join(sorted(set(elements), key=str.lower)) or "clear"
    subarray = _single(rows, "subarray")
    tail = f"-{subarray}" if subarray and subarray != "full" else ""
    return f"jw{program}-{asn_id}_{target}_{instrument}_{opt_elem}{tail}".lower()
