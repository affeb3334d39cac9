"""A rule's conditions in words, for `asnsql explain`.

A rule file's WHERE clauses are split at their top-level ANDs twice: once as
written (`{{ l3.is_image_type('e') }}`, `e.bkgdtarg is null`) and once rendered.
The n-th condition as written names the n-th rendered one: a macro call reads
as the macro's `{#- ... -#}` comment (sql/macros/ opens each macro with one), or
its name; plain SQL reads as itself without the table alias. What the condition
needs is read from the rendered SQL when it is a simple test of one column.
"""

from __future__ import annotations

import re
from functools import cache

from asn_sql.engine.conditions import selects
from asn_sql.engine.rules import Rule
from asn_sql.resources import sql_dir

_MACRO_CALL = re.compile(r"^\{\{-?\s*(\w+)\.(\w+)\(.*\)\s*-?\}\}$", re.S)
_IMPORT = re.compile(r"\{%-?\s*import\s+'([^']+)'\s+as\s+(\w+)")
_DOC = re.compile(r"\{#-?((?:(?!#\}).)*?)-?#\}\s*\{%-?\s*macro\s+(\w+)\(", re.S)
_TEXT = re.compile(r"'((?:[^']|'')*)'")


def written_conditions(rule: Rule) -> list[list[str]]:
    """Per SELECT over scope_exposures, its conditions as the rule file writes them."""
    text = rule.path.read_text(encoding="utf-8")
    return [conditions for _, _, conditions in selects(text)]


def words(
    rule: Rule, select_index: int, index: int, rendered: str, alias: str, shape: list[int]
) -> str:
    """The failed condition in words: the macro's comment or name, else the rendered SQL
    without its alias. ``shape`` is the rendered SELECTs' condition counts: the written
    conditions name the rendered ones only when they line up one to one."""
    written = written_conditions(rule)
    plain = _without_alias(" ".join(rendered.split()), alias)
    if [len(conditions) for conditions in written] != shape:
        return plain
    call = _MACRO_CALL.match(written[select_index][index].strip())
    if call is None:
        return plain
    namespace, macro = call.groups()
    return _macro_doc(rule, namespace, macro) or macro.replace("_", " ")


def needed(rendered: str, alias: str) -> str | None:
    """What a simple one-column test needs (``exp_type one of a, b``); None otherwise."""
    text = " ".join(rendered.split()).strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    column = rf"{re.escape(alias)}\.(\w+)"
    if m := re.fullmatch(rf"{column} = '((?:[^']|'')*)'", text):
        return f"{m.group(1)} = {m.group(2)}"
    if m := re.fullmatch(rf"{column} in \((.*)\)", text):
        values = _TEXT.findall(m.group(2))
        if values:
            return f"{m.group(1)} one of {', '.join(values)}"
    if m := re.fullmatch(rf"{column} is null", text):
        return f"{m.group(1)} unset"
    if m := re.fullmatch(rf"{column} is not null", text):
        return f"{m.group(1)} set"
    if m := re.fullmatch(rf"not {column}", text):
        return f"{m.group(1)} false"
    if m := re.fullmatch(column, text):
        return f"{m.group(1)} true"
    return None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _without_alias(text: str, alias: str) -> str:
    return re.sub(rf"\b{re.escape(alias)}\.", "", text)


def _macro_doc(rule: Rule, namespace: str, macro: str) -> str | None:
    imports = dict(
        (name, file) for file, name in _IMPORT.findall(rule.path.read_text(encoding="utf-8"))
    )
    if namespace not in imports:
        return None
    return _docs(imports[namespace]).get(macro)


@cache
def _docs(template: str) -> dict[str, str]:
    """Each macro's opening comment in one macro file, on one line."""
    path = sql_dir() / template
    if not path.is_file():
        return {}
    found = {}
    for comment, name in _DOC.findall(path.read_text(encoding="utf-8")):
        found[name] = " ".join(comment.split()).rstrip(".")
    return found
