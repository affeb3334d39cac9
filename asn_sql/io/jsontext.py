"""JSON text as ``json.dumps(value, indent=4)`` writes it, several times faster.

With an indent, the standard library encodes in pure Python through layers of
generators; a run of hundreds of thousands of documents spends most of its
writing time there. This writes the same characters for the values documents
hold (dicts with string keys, lists, strings, numbers, booleans, None) and
hands anything else to ``json.dumps``.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
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
    # `newline` is the line break plus the indent of the current level.
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + _INDENT
        parts = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Unusual
            parts.append(encode_basestring_ascii(key) + ": " + _encode(item, inner))
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = newline + _INDENT
        return "[" + inner + ("," + inner).join(_encode(v, inner) for v in value) + newline + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    raise _Unusual
