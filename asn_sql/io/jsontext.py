"""JSON text as ``json.dumps(value, indent=4)`` writes it, several times faster.

With an indent, the standard library encodes in pure Python through layers of
generators; a run of hundreds of thousands of documents spends most of its
writing time there. This writes the same characters for the values documents
hold (dicts with string keys, lists, strings, numbers, booleans, None) and
hands anything else to ``json.dumps``.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any

_INDENT = "    "


class _Unusual(Exception):
    """A value this module does not write itself."""


def dumps_indented(value: Any) -> str:
    """The text of ``json.dumps(value, indent=4)``."""
    try:
        return _encode(value, "\n")
    except _Unusual:
        return json.dumps(value, indent=4)


def _encode(value: Any, newline: str) -> str:
    # `newline` is the line break plus the indent of the current level. Strings and
    # None inside a dict or list (nearly every value of a document) are written in
    # place rather than through a call each: most of the time went to those calls.
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + _INDENT
        parts = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Unusual
            kind = type(item)
            if kind is str:
                text = _quoted(item)
            elif item is None:
                text = "null"
            else:
                text = _encode(item, inner)
            parts.append(_quoted(key) + ": " + text)
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = newline + _INDENT
        items = [
            _quoted(v) if type(v) is str else "null" if v is None else _encode(v, inner)
            for v in value
        ]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    raise _Unusual
