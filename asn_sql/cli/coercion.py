"""Command-line values turned into Python ones without pydantic, where the answer is plain.

typer (0.29 and later) coerces every option's value through a pydantic TypeAdapter: the
first one a command meets imports pydantic and builds a validator per option, about a
tenth of a second of a process that should take a few tenths. asnsql's options are
strings, paths, whole numbers, enums and lists of those; for a value whose meaning is
plain (a string, a path, digits, one of an enum's values) the result is made here, the
same object typer's own coercion would give. Anything else (a bad value above all) goes
to typer's own coercion, built on first use, so that its messages stay typer's.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

# A value quick() cannot be sure of; typer's own coercion decides it.
_UNSURE = object()
# Digits that int() and pydantic read alike (no sign '+', underscores, blanks, other scripts).
_WHOLE = re.compile(r"-?[0-9]{1,18}", re.ASCII)


def install(params: Iterable[Any]) -> None:
    """Give each of ``params`` (a typer click command's) the quick coercion, when this typer
    coerces through pydantic and the parameter's type is one handled here."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", _UNSURE) is not None:
            continue  # an older typer (no pydantic), or one already built
        kind = _kind(descriptor)
        if kind is not None:
            param._runtime_param = QuickCoercion(kind, descriptor)


class QuickCoercion:
    """typer's runtime coercion of one parameter, pydantic's only for values not plain."""

    def __init__(self, kind: tuple[str, Any], descriptor: Any) -> None:
        self.kind, self.descriptor = kind, descriptor
        self._full: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """The value typer would give ``param``; the same None and iterable handling."""
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        if not (multiple and isinstance(value, str)):
            quick = self._quick(value, multiple, ctx)
            if quick is not _UNSURE:
                return quick
        if self._full is None:
            from typer._coercion import build_runtime_param

            self._full = build_runtime_param(self.descriptor)
        return self._full.coerce(value, param=param, ctx=ctx)

    def _quick(self, value: Any, multiple: bool, ctx: Any) -> Any:
        is_list, leaf = self.kind
        if not is_list:
            return _leaf(leaf, value, self.descriptor.parameter_info, ctx)
        items = value if isinstance(value, (list, tuple)) else [value]
        done = [_leaf(leaf, item, self.descriptor.parameter_info, ctx) for item in items]
        return _UNSURE if any(item is _UNSURE for item in done) else done


def _kind(descriptor: Any) -> tuple[bool, Any] | None:
    """(is a list, the leaf type) for the annotations handled here, else None."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return None
    if getattr(info, "click_type", None) is not None or getattr(info, "path_type", None):
        return None
    annotation = descriptor.annotation
    is_list = get_origin(annotation) is list
    if is_list:
        (annotation,) = get_args(annotation) or (None,)
    if annotation in (str, Path, bool):
        return is_list, annotation
    if (
        annotation is int
        and getattr(info, "min", None) is None
        and getattr(info, "max", None) is None
    ):
        return is_list, int
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return is_list, annotation
    return None


def _leaf(leaf: Any, value: Any, info: Any, ctx: Any) -> Any:
    if leaf is str:
        return value if type(value) is str else _UNSURE
    if leaf is bool:
        return value if type(value) is bool else _UNSURE
    if leaf is int:
        if type(value) is int:
            return value
        return int(value) if type(value) is str and _WHOLE.fullmatch(value) else _UNSURE
    if leaf is Path:
        return _path(value, info)
    return _choice(leaf, value, info, ctx)


def _path(value: Any, info: Any) -> Any:
    """typer's path checks (exists, file or folder, readable, writable) all pass: the Path;
    one fails, or a '-' that may mean stdin: unsure (typer says why)."""
    if not isinstance(value, str | Path) or value == "-" or info.resolve_path:
        return _UNSURE
    path = value if isinstance(value, Path) else Path(value)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return _UNSURE if info.exists else path
    except ValueError:
        return _UNSURE  # a NUL in the name: typer's message
    if (not info.file_okay and stat.S_ISREG(mode)) or (not info.dir_okay and stat.S_ISDIR(mode)):
        return _UNSURE
    if (info.readable and not os.access(path, os.R_OK)) or (
        info.writable and not os.access(path, os.W_OK)
    ):
        return _UNSURE
    return path


def _choice(enum: type[Enum], value: Any, info: Any, ctx: Any) -> Any:
    if isinstance(value, enum):
        return value
    if type(value) is not str or getattr(ctx, "token_normalize_func", None) is not None:
        return _UNSURE
    for member in enum:
        text = str(member.value)
        if text == value or (not info.case_sensitive and text.casefold() == value.casefold()):
            return member
    return _UNSURE
