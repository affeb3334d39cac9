"""User rule files (`generate -r DIR`): finding them, their level, and the rules of a run.

A user rule is a `.sql` file with the same header and contract as the files of
sql/rules/ (sql/rules/README.md). Its level comes from the sub-folder it sits
in (DIR/level2/, DIR/level3/, as in sql/rules/) or, for a file at the top of
DIR, from a `-- level: 2|3` header line. A file with the name of a built-in
rule file replaces that rule; any other adds a rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from asn_sql.bounded import read_bounded
from asn_sql.engine.rules import LEVELS, Rule, all_rules, header_line, parse_header, registry_order
from asn_sql.errors import MissingFileError, RuleError, UsageError

_FOLDER_LEVELS = {"level2": 2, "level3": 3}
_LEVEL_LINE = re.compile(r"^--\s*level:\s*(.*)$")


def user_rule_files(folder: Path) -> list[Path]:
    """The .sql files of ``folder`` and of its level2/ and level3/ sub-folders, by name.

    Raises MissingFileError when the folder does not exist, UsageError when it is not a
    folder or holds no rule file."""
    if not folder.exists():
        raise MissingFileError("no such rules folder", path=folder)
    if folder.suffix == ".py" and not folder.is_dir():
        # asn_generate's -r takes Python rule files
        raise UsageError(
            "a Python rule file is jwst's; asnsql's rules are .sql files, given as their folder",
            path=folder,
            settings=("rules_dir",),
        )
    if not folder.is_dir():
        raise UsageError("not a folder of rule files", path=folder, settings=("rules_dir",))
    files = sorted(folder.glob("*.sql"))
    for sub in _FOLDER_LEVELS:
        files += sorted((folder / sub).glob("*.sql"))
    if not files:
        raise UsageError(
            "no .sql rule files in this rules folder or in its level2/ or level3/ sub-folders",
            path=folder,
            settings=("rules_dir",),
        )
    return files


# The most a user rule file may hold: the longest built-in rule file is about 11 KB, and
# every rule is read, rendered and parsed several times a run.
MAX_RULE_BYTES = 1 << 20


def check_rule_file(path: Path) -> None:
    """Raise RuleError naming ``path`` unless it is a regular file of at most
    MAX_RULE_BYTES of UTF-8 text (a link to ``/dev/zero`` named ``x.sql`` would
    otherwise be read until memory runs out)."""
    data = read_bounded(path, RuleError, MAX_RULE_BYTES, pipes=False)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RuleError("is not UTF-8 text", path=path, line=line) from None


def read_user_rule(path: Path, folder: Path) -> Rule:
    """One user rule file: its level and header. Raises RuleError naming the file and line,
    also for a file that is not one asnsql reads (:func:`check_rule_file`)."""
    check_rule_file(path)
    return parse_header(path, _level(path, folder), user=True)


def read_user_rules(folder: Path) -> list[Rule]:
    """Every user rule of ``folder``; the first bad file raises RuleError."""
    return [read_user_rule(path, folder) for path in user_rule_files(folder)]


def _level(path: Path, folder: Path) -> int:
    from_folder = _FOLDER_LEVELS.get(path.parent.name) if path.parent != folder else None
    line = header_line(path, "level")
    if line is None:
        if from_folder is None:
            raise RuleError(
                "which level? add a '-- level: 2' or '-- level: 3' header line, "
                "or put the file in a level2/ or level3/ sub-folder",
                path=path,
                line=1,
            )
        return from_folder
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    match = _LEVEL_LINE.match(text)
    value = match.group(1).strip() if match else ""
    if value not in ("2", "3"):
        raise RuleError(f"level must be 2 or 3, not {value!r}", path=path, line=line)
    if from_folder is not None and int(value) != from_folder:
        raise RuleError(f"level: {value} in a file of {path.parent.name}/", path=path, line=line)
    return int(value)


def merge_rules(built_in: list[Rule], user: list[Rule]) -> list[Rule]:
    """The built-in rules with the user's: a user file named like a built-in file replaces
    it; a user rule may not reuse the class name of another rule.

    Raises RuleError naming the user file and the line of its `rule:` key."""
    by_file = {rule.path.name: rule for rule in built_in}
    for rule in user:
        by_file.pop(rule.path.name, None)
    merged = list(by_file.values())
    for rule in user:
        clash = next((other for other in merged if other.name == rule.name), None)
        if clash is not None:
            hint = f"; name the file {clash.path.name} to replace it" if not clash.user else ""
            raise RuleError(
                f"rule {rule.name} is defined already by {clash.shown_path}{hint}",
                path=rule.path,
                line=rule.line_of("rule"),
            )
        merged.append(rule)
    return merged


def rule_set(
    levels: tuple[int, ...], rules_dir: Path | None = None, ignore_default: bool = False
) -> list[Rule]:
    """The rules of a run: Level 2 then Level 3, each in registry order (class name).

    Args:
        levels: which levels run.
        rules_dir: a folder of user rule files (``-r``), or None.
        ignore_default: only the user's rules (``--ignore-default``).
    Raises:
        UsageError: ``ignore_default`` without ``rules_dir``; RuleError: a bad user file.
    """
    if ignore_default and rules_dir is None:
        raise UsageError(
            "ignoring the default rules leaves only those of a rules folder: give one",
            settings=("ignore_default", "rules_dir"),
        )
    built_in = [] if ignore_default else list(all_rules())
    user = read_user_rules(rules_dir) if rules_dir is not None else []
    merged = merge_rules(built_in, user)
    ordered: list[Rule] = []
    for level in LEVELS:
        if level in levels:
            ordered += registry_order([rule for rule in merged if rule.level == level])
    return ordered
