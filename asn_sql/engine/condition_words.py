"""A rule's conditions in words, for `asnsql explain` and the orphans' reasons.

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
    rule: Rule,
    select_index: int,
    index: int,
    rendered: str,
    alias: str,
    shape: list[int],
    written: list[list[str]] | None = None,
) -> str:
    """The failed condition in words: the macro's comment or name, else the rendered SQL
    without its alias. ``shape`` is the rendered SELECTs' condition counts: the written
    conditions name the rendered ones only when they line up one to one. ``written``:
    :func:`written_conditions` of the rule, when the caller has them already."""
    written = written if written is not None else written_conditions(rule)
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


def condition_words(
    rule: Rule,
    select_index: int,
    index: int,
    rendered: str,
    alias: str,
    shape: list[int],
    written: list[list[str]] | None = None,
) -> str:
    """The condition as a person reads it, never as SQL: ``fails <the macro's comment>``
    or ``needs <what it tests>`` (``needs exp_type one of a, b``)."""
    said = words(rule, select_index, index, rendered, alias, shape, written)
    plain = _without_alias(" ".join(rendered.split()), alias)
    need = needed(rendered, alias)
    if said != plain:
        return f"{said}: needs {need}" if need else f"fails {said}"
    return f"needs {need or sql_in_words(plain)}"


def condition_columns(rendered: str, alias: str) -> list[str]:
    """The columns of ``alias`` a condition reads, sorted, each once."""
    return sorted(set(re.findall(rf"\b{re.escape(alias)}\.(\w+)", rendered)))


# Whole expressions the default rules share, in words; matched before the generic
# rewrites below, so that their CASE and tuple lists never reach a reader.
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\(case when dms_role = 'psf' then 'science' else dms_role end\) = 'science'"),
        "a science (or PSF) role",
    ),
    (
        re.compile(
            r"\(fxd_slit is not null and grating is not null and filter is not null and "
            r"detector is not null and \( case when fxd_slit = .*? end\)\)"
        ),
        "a valid NIRSpec fixed-slit light path",
    ),
    (
        re.compile(
            r"\(grating is not null and filter is not null and detector is not null and "
            r"\( \(grating, filter\) in .*?detector in \('nrs1', 'nrs2'\)\)\)"
        ),
        "a valid NIRSpec IFU light path",
    ),
    (
        re.compile(r"exp_type in \((?:'[^']*', ){4,}'[^']*'\)"),
        "",  # filled by _list_words: long lists are shortened
    ),
    (re.compile(r"regexp_full_match\((\w+), '\.\+wfsc\.\+'\)"), r"\1 a WFS&C visit"),
    (re.compile(r"\bin_direct_image\b"), "in a direct-image candidate"),
    (re.compile(r"\bl2_mode_ok\b"), "a usable Level 2 instrument mode"),
    (re.compile(r"\bctype\b"), "candidate type"),
    (re.compile(r"^false$"), "nothing (this part of the rule takes no exposure)"),
]

_REWRITES: list[tuple[str, str]] = [
    (r"(\w+) is not distinct from '((?:[^']|'')*)'", r"\1 = \2"),
    (r"(\w+) is distinct from '((?:[^']|'')*)'", r"\1 not \2"),
    (r"(\w+) is not null", r"\1 set"),
    (r"(\w+) is null", r"\1 unset"),
    (r"(\w+) <> '((?:[^']|'')*)'", r"\1 not \2"),
    (r"(\w+) = '((?:[^']|'')*)'", r"\1 = \2"),
]


def sql_in_words(plain: str) -> str:
    """A condition's SQL (its alias removed) rewritten in words: operators and lists read
    as words, the shared expressions as phrases, no quotes and no SQL keywords."""
    text = _strip_coalesce(plain)
    for pattern, phrase in _PHRASES:
        if phrase:
            text = pattern.sub(phrase, text)
        else:
            text = pattern.sub(lambda m: _list_words("exp_type", m.group(0)), text)
    text = re.sub(
        r"(\w+) (not )?in \(((?:'[^']*'(?:, )?)+)\)",
        lambda m: (
            f"{m.group(1)} {'none' if m.group(2) else 'one'} of "
            + ", ".join(_TEXT.findall(m.group(3)))
        ),
        text,
    )
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text.replace("''", "'")


def _list_words(column: str, text: str) -> str:
    values = _TEXT.findall(text)
    return f"{column} one of {', '.join(values[:3])} or {len(values) - 3} other types"


def _strip_coalesce(text: str) -> str:
    """``coalesce(X, false)`` read as X: an unset value fails the test either way."""
    while (start := text.find("coalesce(")) >= 0:
        depth, end = 0, -1
        for i in range(start + len("coalesce"), len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                end = i
                break
        inner = text[start + len("coalesce(") : end]
        if end < 0 or not inner.endswith(", false"):
            break
        text = text[:start] + "(" + inner[: -len(", false")] + ")" + text[end + 1 :]
    return text
