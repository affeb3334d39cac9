"""Finding rule files, reading their headers, and rendering them with jinja."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from asn_sql.errors import RuleError
from asn_sql.resources import sql_dir
from asn_sql.templates import cached, environment, render_sql

LEVELS = (2, 3)
_HEADER_LINE = re.compile(r"^--\s*([a-z_]+):\s*(.*)$")
_LIST_ITEM = re.compile(r"^--\s+-\s+(.*)$")
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

    @property
    def file_stem(self) -> str:
        """The file name without .sql, e.g. lv3_image."""
        return self.path.stem

    def setting(self, key: str, default: str) -> str:
        """A header value, or ``default`` when the header does not set it."""
        return dict(self.header).get(key, default)

    @property
    def template(self) -> str:
        """The template name relative to sql/."""
        return f"rules/level{self.level}/{self.path.name}"


def parse_header(path: Path, level: int) -> Rule:
    """Read the `-- key: value` header at the top of a rule file."""
    fields: dict[str, str] = {}
    constraints: list[str] = []
    in_constraints = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        item = _LIST_ITEM.match(line)
        if in_constraints and item:
            constraints.append(item.group(1).strip())
            continue
        match = _HEADER_LINE.match(line)
        if match:
            key, value = match.group(1), match.group(2).strip()
            fields[key] = value
            in_constraints = key == "constraints"
    missing = [key for key in _REQUIRED if key not in fields]
    if missing or not constraints:
        what = ", ".join(missing) if missing else "constraints (a list of '--   - ...' lines)"
        raise RuleError(f"the header lacks {what}", path=path)
    return Rule(
        level=level,
        name=fields["rule"],
        asn_type=fields["asn_type"],
        path=path,
        constraints=tuple(constraints),
        header=tuple(fields.items()),
    )


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, Level 2 then Level 3, each level in jwst's registry order (class name)."""
    found: list[Rule] = []
    for level in LEVELS:
        folder = sql_dir() / "rules" / f"level{level}"
        rules = [parse_header(path, level) for path in folder.glob("*.sql")]
        found += sorted(rules, key=lambda rule: rule.name)
    return tuple(found)


def rules_for(levels: tuple[int, ...]) -> list[Rule]:
    """The rules of the given levels, in registry order."""
    return [rule for rule in all_rules() if rule.level in levels]


def rank(rule: Rule) -> int:
    """Position of the rule in its level's registry order; later rules win ties."""
    return [r.name for r in all_rules() if r.level == rule.level].index(rule.name)


def find_rule(name: str) -> Rule:
    """A rule by file stem (lv3_image) or class name (Asn_Lv3Image), any case."""
    wanted = name.lower().removesuffix(".sql")
    for rule in all_rules():
        if wanted in (rule.file_stem.lower(), rule.name.lower()):
            return rule
    known = ", ".join(rule.file_stem for rule in all_rules())
    raise RuleError(f"no rule named {name!r}; the rules are: {known}")


def render_rule(rule: Rule) -> str:
    """The rule's SQL, rendered but not run."""
    return render_sql(rule.template)


def rule_macro(rule: Rule, name: str, *args: str) -> str | None:
    """Call a macro the rule file defines (e.g. ``product_name('g')``); None if it has none."""

    def call() -> str:
        macro = getattr(environment().get_template(rule.template).module, name, None)
        return str(macro(*args)).strip() if macro is not None else ""

    return cached(("macro", rule.template, name, args), call) or None


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
