"""What differs between jwst's association documents and asnsql's, named as kinds.

Both sides are ``{file name: document dict}``. The comparison is strict: every key but
``constraints`` and ``code_version``, member order and ``degraded_status`` included, file
names included. Each difference gets a kind, ``<rule>-<what>``: the jwst rule of the
association (``lv2spec``, ``lv3image``; asnsql's when jwst has none) and what differs:

- ``missing`` / ``extra``: an association only jwst / only asnsql writes;
- ``name``: the same document under another file name (numbering, asn_id);
- ``member-order``: the same members in another order;
- otherwise the differing fields joined by ``+`` (``members``, ``degraded_status``,
  ``product-name``, ``target``, ...).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

IGNORED_KEYS = ("constraints", "code_version")
Documents = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Difference:
    """One association that is not the same on both sides."""

    kind: str
    jwst_file: str | None
    asnsql_file: str | None
    detail: str


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the keys that are not compared."""
    return {key: value for key, value in doc.items() if key not in IGNORED_KEYS}


def rule_of(doc: dict[str, Any]) -> str:
    """The rule in lower case without prefixes: ``candidate_Asn_Lv2Spec`` -> ``lv2spec``."""
    rule = str(doc.get("asn_rule", "unknown")).split("Asn_", 1)[-1]
    return rule.lower()


def _members(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (p.get("name", ""), m.get("expname", ""), m.get("exptype", ""))
        for p in doc.get("products", [])
        for m in p.get("members", [])
    ]


def _what(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """The fields in which two documents of one association differ."""
    fields = []
    for key in sorted(set(expected) | set(actual)):
        if key == "products" or expected.get(key) == actual.get(key):
            continue
        fields.append(key)
    exp_members, act_members = _members(expected), _members(actual)
    exp_names = [p.get("name") for p in expected.get("products", [])]
    act_names = [p.get("name") for p in actual.get("products", [])]
    if exp_names != act_names:
        fields.append("product-name" if len(exp_names) == len(act_names) else "products")
    exp_plain = [(e, t) for _, e, t in exp_members]
    act_plain = [(e, t) for _, e, t in act_members]
    if Counter(exp_plain) != Counter(act_plain):
        roles = Counter(e for e, _ in exp_plain) == Counter(e for e, _ in act_plain)
        fields.append("member-role" if roles else "members")
    elif exp_plain != act_plain:
        fields.append("member-order")
    elif json.dumps(expected.get("products")) != json.dumps(actual.get("products")):
        fields.append("member-fields")
    return "+".join(fields) or "layout"


def _similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    left, right = {m[1] for m in _members(a)}, {m[1] for m in _members(b)}
    if not left | right:
        return 0.0
    return len(left & right) / len(left | right)


def compare(jwst: Documents, asnsql: Documents) -> tuple[int, list[Difference]]:
    """How many of jwst's documents asnsql writes exactly, and every difference."""
    expected = {name: comparable(doc) for name, doc in jwst.items()}
    actual = {name: comparable(doc) for name, doc in asnsql.items()}
    equal = [n for n in expected if n in actual and expected[n] == actual[n]]
    left = {n: d for n, d in expected.items() if n not in equal}
    right = {n: d for n, d in actual.items() if n not in equal}
    differences: list[Difference] = []

    # The same document under another name.
    for name, doc in sorted(left.items()):
        twin = next((n for n, d in sorted(right.items()) if d == doc), None)
        if twin is not None:
            differences.append(Difference(f"{rule_of(doc)}-name", name, twin, f"{twin} for {name}"))
            del left[name], right[twin]
    # The same name, other content.
    for name in sorted(set(left) & set(right)):
        what = _what(left[name], right[name])
        differences.append(Difference(f"{rule_of(left[name])}-{what}", name, name, what))
        del left[name], right[name]
    # The most similar document of the same type under another name.
    for name, doc in sorted(left.items()):
        candidates = [
            (_similarity(doc, d), n)
            for n, d in sorted(right.items())
            if d.get("asn_type") == doc.get("asn_type") and _similarity(doc, d) >= 0.5
        ]
        if candidates:
            _, twin = max(candidates)
            what = _what(doc, right[twin])
            differences.append(Difference(f"{rule_of(doc)}-name+{what}", name, twin, what))
            del right[twin]
        else:
            differences.append(Difference(f"{rule_of(doc)}-missing", name, None, "only jwst"))
    for name, doc in sorted(right.items()):
        differences.append(Difference(f"{rule_of(doc)}-extra", None, name, "only asnsql"))
    return len(equal), differences
