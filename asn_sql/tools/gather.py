"""Gathering an association's members into one folder, as jwst's asn_gather does.

The behaviour follows jwst 3.0.0's ``jwst/associations/asn_gather.py``: products keep
the members whose exptype passes the filters (products left empty go), each member
file goes to DEST under its base name, each expname becomes that base name, and the
association is written into DEST under its own name. asnsql copies in Python (or
hard-links, or symlinks) instead of running rsync, and checks every member before
writing anything.

Member names come from a file someone else may have written: they are read only
under SOURCE, and what is written goes only directly into DEST.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from asn_sql import interrupt
from asn_sql.errors import AsnSqlError, MissingFileError
from asn_sql.io.documents import document_level, read_json, schema_errors
from asn_sql.io.staged_files import check_not_protected, create_temporary, write_atomic


class GatherError(AsnSqlError):
    """An association that cannot be gathered: missing members, unsafe names, no members."""


class Mode(StrEnum):
    """How a member file reaches DEST."""

    copy = "copy"
    link = "link"
    symlink = "symlink"


@dataclass(frozen=True)
class Transfer:
    """One member file: where it is, where it goes."""

    source: Path
    target: Path


@dataclass
class GatherPlan:
    """What a gather writes: the member files and the rewritten association."""

    association: dict[str, Any]
    target: Path
    transfers: list[Transfer]
    products: int
    members: int


def plan_gather(
    association: Path,
    destination: Path,
    *,
    source: Path | None = None,
    exp_types: Sequence[str] | None = None,
    exclude_types: Sequence[str] = (),
) -> GatherPlan:
    """Check an association and its member files; touch nothing.

    ``source`` defaults to the association's folder; ``exp_types`` None keeps every
    exptype. Raises GatherError listing, in one message, the member files missing from
    SOURCE, or the member names that point outside it; DocumentError for a file that is
    not an association.
    """
    data = read_json(association)
    _check_shape(data, association)
    if source is not None and not source.exists():
        raise MissingFileError("no such source folder", path=source)
    folder = source if source is not None else association.parent
    products = _kept_products(data["products"], exp_types, exclude_types)
    if not products:
        raise GatherError(
            "no member passes the exposure type filters: nothing to gather",
            path=association,
            settings=("exp_types", "exclude_types"),
        )
    transfers = _transfers(products, folder, destination, association)
    result = copy.deepcopy(data)
    result["products"] = products
    errors = schema_errors(result, document_level(result))
    if errors:
        raise GatherError(
            f"the gathered association is invalid, nothing written: {'; '.join(errors)}",
            path=association,
        )
    members = sum(len(p["members"]) for p in products)
    plan = GatherPlan(result, destination / association.name, transfers, len(products), members)
    check_targets(plan, association)
    return plan


def check_targets(plan: GatherPlan, association: Path) -> None:
    """Raise before anything is written when a file of the plan cannot be written: DEST
    is a file, or the association's own target or a member's is a folder or a DuckDB
    database (also through a link). (The association itself may be rewritten in place:
    it has been read.)"""
    destination = plan.target.parent
    blocker = next(
        (p for p in [destination, *destination.parents] if p.exists() and not p.is_dir()), None
    )
    if blocker is not None:
        raise GatherError(f"cannot make this folder: {blocker} is a file", path=destination)
    targets = [t.target for t in plan.transfers if not _same_file(t.source, t.target)]
    for target in [plan.target, *targets]:
        if target.is_dir():
            raise GatherError("a folder has this name; nothing was written", path=target)
        try:
            check_not_protected(target)
        except AsnSqlError as exc:
            raise GatherError(f"{exc.message}; nothing was written", path=target) from None


def _check_shape(data: Any, path: Path) -> None:
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("members"), list)
        and all(isinstance(m, dict) and isinstance(m.get("expname"), str) for m in p["members"])
        for p in products
    ):
        raise GatherError(
            "not an association: no list of products whose members have an expname", path=path
        )


def _kept_products(
    products: list[dict[str, Any]], exp_types: Sequence[str] | None, exclude: Sequence[str]
) -> list[dict[str, Any]]:
    """Each product with the members that pass the filters, as jwst keeps them: only
    its name and members; products without members left out."""
    kept = []
    for product in products:
        members = [
            copy.deepcopy(member)
            for member in product["members"]
            if member.get("exptype") not in exclude
            and (exp_types is None or member.get("exptype") in exp_types)
        ]
        if members:
            kept.append({"name": product.get("name"), "members": members})
    return kept


def _transfers(
    products: list[dict[str, Any]], folder: Path, destination: Path, association: Path
) -> list[Transfer]:
    """The file moves, one per distinct member file; each expname rewritten to its base
    name. Raises GatherError for unsafe names, name clashes or missing files."""
    by_target: dict[str, Path] = {}
    outside, clashes, missing = [], [], []
    for product in products:
        for member in product["members"]:
            name = member["expname"]
            path = member_path(folder, name)
            if path is None:
                outside.append(repr(name))
                continue
            if not _resolves_inside(path, folder):
                outside.append(f"{name!r} (a link to {os.path.realpath(path)})")
                continue
            previous = by_target.setdefault(path.name, path)
            if previous != path:
                clashes.append(f"{previous} and {path}")
            elif not path.is_file() and name not in missing:
                missing.append(name)
            member["expname"] = path.name
    if outside:
        raise GatherError(
            f"{len(outside)} member names point outside the source folder {folder.absolute()} "
            f"(members are read only under it): {', '.join(outside)}",
            path=association,
            settings=("source",),
        )
    if clashes:
        raise GatherError(
            f"members with the same file name would overwrite each other in the destination: "
            f"{', '.join(clashes)}",
            path=association,
        )
    if missing:
        raise GatherError(
            f"{len(missing)} member files missing from the source folder {folder.absolute()}: "
            + ", ".join(missing),
            path=association,
            settings=("source",),
        )
    return [Transfer(path, destination / base) for base, path in by_target.items()]


def member_path(folder: Path, expname: str) -> Path | None:
    """Where a member file is read: ``expname`` under ``folder``. None when the name is
    empty, names a folder, or climbs out of ``folder`` (``..``, an absolute path
    elsewhere); links are checked apart (:func:`_resolves_inside`)."""
    base = os.path.normpath(folder.absolute())
    joined = os.path.normpath(os.path.join(base, expname))
    if os.path.commonpath([base, joined]) != base or joined == base:
        return None
    path = Path(joined)
    return path if path.name not in ("", ".", "..") else None


def _resolves_inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, its links followed, is still under ``folder`` (its links followed
    too): a member file that is a link out of SOURCE would carry any file into DEST."""
    base = os.path.realpath(folder)
    real = os.path.realpath(path)
    return os.path.commonpath([base, real]) == base and real != base


def carry_out(plan: GatherPlan, mode: Mode = Mode.copy) -> list[Path]:
    """Write the member files, then the association, into DEST (created if missing).

    Every file goes first to a temporary name in DEST and is renamed into place once
    all are there, so a failure leaves DEST as it was. Returns the paths written;
    a member that is already the same file in DEST is left alone.
    """
    destination = plan.target.parent
    try:
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GatherError(f"cannot make the folder: {exc.strerror}", path=destination) from None
    pending = [t for t in plan.transfers if not _same_file(t.source, t.target)]
    staged: list[tuple[str, Path]] = []
    try:
        for transfer in pending:
            staged.append((_stage(transfer, mode), transfer.target))
        # Every file is complete beside its place: a signal now leaves DEST as it was;
        # one during the renames waits until the association is written too.
        with interrupt.HeldInterrupt():
            for temporary, target in staged:
                os.replace(temporary, target)
            write_atomic(plan.target, json.dumps(plan.association, indent=4))
    except OSError as exc:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        across = exc.errno == errno.EXDEV and mode is Mode.link
        raise GatherError(
            _os_reason(exc, mode), path=destination, settings=("symlink",) if across else ()
        ) from None
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    return [target for _, target in staged] + [plan.target]


def _same_file(source: Path, target: Path) -> bool:
    try:
        return target.exists() and os.path.samefile(source, target)
    except OSError:
        return False


def _stage(transfer: Transfer, mode: Mode) -> str:
    """The member at a temporary name beside its target; returns that name."""
    fd, temporary = create_temporary(transfer.target)
    os.close(fd)
    try:
        if mode is Mode.copy:
            shutil.copy2(transfer.source, temporary)
        else:
            os.unlink(temporary)
            if mode is Mode.link:
                os.link(transfer.source, temporary)
            else:
                os.symlink(transfer.source.absolute(), temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def _os_reason(exc: OSError, mode: Mode) -> str:
    if exc.errno == errno.EXDEV and mode is Mode.link:
        return "cannot hard-link across file systems; copy, or make symbolic links"
    where = f" ({exc.filename})" if exc.filename else ""
    return f"cannot write the gathered files: {exc.strerror or exc}{where}"
