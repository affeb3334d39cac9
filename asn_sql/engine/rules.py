"""Finding rule files, reading their headers, and rendering them with jinja."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from asn_sql.errors import RuleError
from asn_sql.resources import sql_dir
from asn_sql.templates import USER_PREFIX, cached, environment, render_sql, render_user

LEVELS = (2, 3)
_HEADER_LINE = re.compile(r"^--\s*([a-z_]+):\s*(.*)$")
_LIST_ITEM = re.compile(r"^--\s+-\s+(.*)$")
# A header key in any case, with spaces before its colon: only to refuse a key twice.
_LOOSE_KEY = re.compile(r"^--\s*([A-Za-z_]+)\s*:")
_REQUIRED = ("rule", "asn_type", "constraints")


@dataclass(frozen=True)
class Rule:
    """One association rule: a SQL file under sql/rules/level<N>/ and its header."""

    level: int
    name: str  # jwst's class name, e.g. Asn_Lv3Image
    asn_type: str
    path: Path
    constraints: tuple[str, ...]
    header: tuple[tuple[str, str], ...]
    rank: int = 0  # position in its level's registry order; later rules win ties
    user: bool = False  # a file of `generate -r DIR`, not of sql/rules/

    @property
    def file_stem(self) -> str:
        """The file name without .sql, e.g. lv3_image."""
        return self.path.stem

    def setting(self, key: str, default: str) -> str:
        """A header value, or ``default`` when the header does not set it."""
        return dict(self.header).get(key, default)

    @property
    def template(self) -> str:
        """The template name: relative to sql/, or ``user:<path>`` for a user rule."""
        if self.user:
            return f"{USER_PREFIX}{self.path}"
        return f"rules/level{self.level}/{self.path.name}"

    @property
    def shown_path(self) -> str:
        """The file as people read it: sql/rules/... for a built-in rule, else its path."""
        return str(self.path) if self.user else f"sql/{self.template}"

    def line_of(self, key: str) -> int | None:
        """The line of the header's ``-- key:`` (1-based), None if absent."""
        return header_line(self.path, key)

    def cache_key(self) -> tuple[str, ...]:
        """What rendered text depends on beyond sql/: a user file's own content."""
        if not self.user:
            return (self.template,)
        return (self.template, hashlib.sha256(self.path.read_bytes()).hexdigest())


def header_line(path: Path, key: str) -> int | None:
    """The line (1-based) of ``-- key:`` in a rule file's header, None if absent."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("--"):
            return None
        match = _HEADER_LINE.match(line)
        if match and match.group(1) == key:
            return number
    return None


def line_mentioning(path: Path, words: list[str]) -> int | None:
    """The first line below the header that holds one of ``words`` (whole word, any case):
    where an error about a column or a name most likely points. None if none does."""
    lines = path.read_text(encoding="utf-8").splitlines()
    body = next((n for n, line in enumerate(lines) if not line.startswith("--")), len(lines))
    for word in sorted(words, key=len, reverse=True):  # the most telling name first
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.I)
        for number in range(body, len(lines)):
            if pattern.search(lines[number]):
                return number + 1
    return None


def parse_header(path: Path, level: int, *, user: bool = False) -> Rule:
    """Read the `-- key: value` header at the top of a rule file.

    Raises RuleError naming the file and line when a required key is missing."""
    fields: dict[str, str] = {}
    seen: dict[str, int] = {}  # each key as spelled in any case, and its line
    constraints: list[str] = []
    in_constraints = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("--"):
            break
        item = _LIST_ITEM.match(line)
        if in_constraints and item:
            constraints.append(item.group(1).strip())
            continue
        loose = _LOOSE_KEY.match(line)
        if loose and not _LIST_ITEM.match(line):
            # Which one counts would be a guess (the level, the type, the rule); and
            # `-- Level: 2` or `-- level : 2` beside `-- level: 3` is the key twice too.
            spelled = loose.group(1).lower()
            if spelled in seen:
                raise RuleError(
                    f"the header names {spelled} twice (first on line {seen[spelled]}); keep one",
                    path=path,
                    line=number,
                )
            seen[spelled] = number
        match = _HEADER_LINE.match(line)
        if match:
            key, value = match.group(1), match.group(2).strip()
            fields[key] = value
            in_constraints = key == "constraints"
    missing = [key for key in _REQUIRED if key not in fields]
    if missing or not constraints:
        what = ", ".join(missing) if missing else "constraints (a list of '--   - ...' lines)"
        line = header_line(path, "constraints") if not missing else 1
        raise RuleError(f"the header lacks {what}", path=path, line=line)
    return Rule(
        level=level,
        name=fields["rule"],
        asn_type=fields["asn_type"],
        path=path,
        constraints=tuple(constraints),
        header=tuple(fields.items()),
        user=user,
    )


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, Level 2 then Level 3, each level in jwst's registry order (class name)."""
    found: list[Rule] = []
    for level in LEVELS:
        folder = sql_dir() / "rules" / f"level{level}"
        rules = [parse_header(path, level) for path in folder.glob("*.sql")]
        found += registry_order(rules)
    return tuple(found)


def registry_order(rules: list[Rule]) -> list[Rule]:
    """One level's rules sorted by class name, as jwst registers them, each with its rank."""
    ordered = sorted(rules, key=lambda rule: rule.name)
    return [replace(rule, rank=n) for n, rule in enumerate(ordered)]


def rules_for(levels: tuple[int, ...]) -> list[Rule]:
    """The rules of the given levels, in registry order."""
    return [rule for rule in all_rules() if rule.level in levels]


def rank(rule: Rule) -> int:
    """Position of the rule in its level's registry order; later rules win ties."""
    return rule.rank


def find_rule(name: str, rules: tuple[Rule, ...] | list[Rule] | None = None) -> Rule:
    """A rule by file stem (lv3_image) or class name (Asn_Lv3Image), any case, among
    ``rules`` (default: the built-in ones)."""
    wanted = name.lower().removesuffix(".sql")
    candidates = all_rules() if rules is None else rules
    for rule in candidates:
        if wanted in (rule.file_stem.lower(), rule.name.lower()):
            return rule
    known = ", ".join(rule.file_stem for rule in candidates)
    raise RuleError(f"no rule named {name!r}; the rules are: {known}")


def render_rule(rule: Rule) -> str:
    """The rule's SQL, rendered but not run.

    Raises RuleError naming the file and line when a user rule does not render."""
    if not rule.user:
        return render_sql(rule.template)
    return cached(("render",) + rule.cache_key(), lambda: render_user(rule.template, rule.path))


def rule_macro(rule: Rule, name: str, *args: str) -> str | None:
    """Call a macro the rule file defines (e.g. ``product_name('g')``); None if it has none."""

    def call() -> str:
        macro = getattr(environment().get_template(rule.template).module, name, None)
        return str(macro(*args)).strip() if macro is not None else ""

    if rule.user:
        text = cached(
            ("macro", *rule.cache_key(), name, args),
            lambda: render_user(rule.template, rule.path, call),
        )
        if text:
            # Spliced into the engine's statements: one expression, nothing more.
            from asn_sql.engine.user_sql import check_expression

            check_expression(text, rule.path, f"its {name} macro")
        return text or None
    return cached(("macro", *rule.cache_key(), name, args), call) or None


def rules_hash(rules: list[Rule]) -> str:
    """sha256 over the rule files and every macro and finalize file they may use."""
    digest = hashlib.sha256()
    shared = sorted((sql_dir() / "macros").glob("*.sql")) + sorted(
        (sql_dir() / "finalize").glob("*.sql")
    )
    for path in [rule.path for rule in rules] + shared:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
