"""Editing an association file as jwst's asn_edit does: add or remove members, write atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn_sql.errors import UsageError
from asn_sql.io.documents import (
    DocumentError,
    document_level,
    read_json,
    schema_errors,
)
from asn_sql.io.naming import file_root
from asn_sql.io.staged_files import write_atomic


@dataclass
class EditResult:
    """What an edit did: the file written, members added and removed, names not found."""

    written: Path
    added: int = 0
    removed: int = 0
    not_found: list[str] = field(default_factory=list)


def edit_file(
    path: Path,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    exptype: str = "science",
    ignore_suffix: bool = False,
    output: Path | None = None,
) -> EditResult:
    """Remove, then add members of the association at ``path``; write it to ``output``,
    or in place (the old file stays until the new one is complete).

    Raises DocumentError when the file to write is a symbolic link (the edit would
    replace the link, leaving the file it points to as it was), when the association
    cannot be read or the edit leaves it invalid; UsageError when there is nothing to
    add or remove (the file would be rewritten as it was)."""
    if not add and not remove:
        raise UsageError(
            "nothing to do: no files to add or remove", path=path, settings=("add", "remove")
        )
    data = read_json(path)
    _check_shape(data, path)
    target = output or path
    if target.is_symlink():
        # The rename that writes the file would replace the link, not the file it points
        # to (and writing through it would write wherever it points): refuse both.
        raise DocumentError(
            f"is a symbolic link (to {os.readlink(target)}); asnsql writes no link: edit the "
            "file it points to" + ("" if output else ", or write the result elsewhere"),
            path=target,
            settings=() if output else ("output",),
        )
    if target.suffix != ".json":
        raise DocumentError("the output must be a .json file (jwst reads no other)", path=target)
    removed, not_found = remove_members(data, remove, ignore_suffix=ignore_suffix)
    added = add_members(data, add, exptype)
    errors = schema_errors(data, document_level(data))
    if errors:
        raise DocumentError(
            f"the edited association is invalid, nothing written: {'; '.join(errors)}", path=path
        )
    write_atomic(target, json.dumps(data, indent=4))
    return EditResult(target, added, removed, not_found)


def _check_shape(data: Any, path: Path) -> None:
    # The edit walks products and their members; anything else is not an association.
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, list) or not all(
        isinstance(p, dict) and isinstance(p.get("members"), list) for p in products
    ):
        raise DocumentError("not an association: no list of products with members", path=path)


def add_members(data: dict[str, Any], files: Sequence[str], exptype: str) -> int:
    """Append each file, by its base name, to every product; returns the members added."""
    count = 0
    for name in files:
        for product in data["products"]:
            product["members"].append({"expname": Path(name).name, "exptype": exptype})
            count += 1
    return count


def remove_members(
    data: dict[str, Any], files: Sequence[str], *, ignore_suffix: bool = False
) -> tuple[int, list[str]]:
    """Remove the members named like each file (by base name, or by root without a known
    suffix); drop products left empty. Returns the count removed and the names not found."""
    count, not_found, emptied = 0, [], []
    for name in files:
        key = _match_key(name, ignore_suffix)
        found = 0
        for product in data["products"]:
            kept = [m for m in product["members"] if _member_key(m, ignore_suffix) != key]
            found += len(product["members"]) - len(kept)
            if product["members"] and not kept:
                emptied.append(product)
            product["members"][:] = kept
        if not found:
            not_found.append(name)
        count += found
    # Only products this edit emptied go; one that came in empty stays as it was.
    data["products"][:] = [p for p in data["products"] if not any(p is e for e in emptied)]
    return count, not_found


def _match_key(name: str, ignore_suffix: bool) -> str:
    return file_root(name) if ignore_suffix else Path(name).name


def _member_key(member: Any, ignore_suffix: bool) -> str | None:
    expname = member.get("expname") if isinstance(member, dict) else None
    if not expname:
        return None
    return file_root(str(expname)) if ignore_suffix else str(expname)
