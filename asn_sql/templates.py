"""The jinja environment over ``sql/``: templates shape SQL, never carry data.

Rendering depends only on the files under sql/ and on the shape arguments
(column lists, rule settings), so rendered SQL is cached: in memory for the
process, and on disk keyed by a digest of every file under sql/, so a fresh
`asnsql` process does not pay jinja's compile time on every run. The same
store keeps other facts that follow from fixed files alone (asn_sql/io/documents.py
remembers which document shapes jwst's schemas accept).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import traceback
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from asn_sql.errors import RuleError
from asn_sql.resources import sql_dir

if TYPE_CHECKING:
    import jinja2

# Template names of user rule files (`generate -r DIR`): the prefix and the file's path.
USER_PREFIX = "user:"


def _same_mtime(path: Path, mtime: float) -> bool:
    try:
        return path.stat().st_mtime == mtime
    except OSError:
        return False


def _user_rule_loader() -> jinja2.BaseLoader:
    """A loader of ``user:<path>`` templates: the rule files of ``-r DIR`` and nothing else.
    (A class made on first use: jinja is imported only when a template is rendered.)"""
    import jinja2

    class _UserRuleLoader(jinja2.BaseLoader):
        """Loads ``user:<path>`` templates: the rule files of ``-r DIR`` and nothing else.

        They import sql/'s macros like any rule; the same strict environment renders them."""

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Callable[[], bool]]:
            if not template.startswith(USER_PREFIX):
                raise jinja2.TemplateNotFound(template)
            path = Path(template.removeprefix(USER_PREFIX))
            if path.suffix != ".sql" or not path.is_file():
                raise jinja2.TemplateNotFound(template)
            mtime = path.stat().st_mtime
            return path.read_text(encoding="utf-8"), str(path), lambda: _same_mtime(path, mtime)

    return _UserRuleLoader()


@cache
def environment() -> jinja2.Environment:
    """One strict, sandboxed environment for every SQL template (rules, macros, loader,
    finalize)."""
    # Imported here: with the rendered SQL cached on disk, most runs never need jinja.
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    # Sandboxed: a user rule file (-r DIR) is someone else's text, and jinja's plain
    # environment lets a template reach Python's internals (cycler.__init__.__globals__)
    # and run anything. The sandbox refuses such attributes; SQL rendering needs none.
    return SandboxedEnvironment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(sql_dir())), _user_rule_loader()]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def render_user(template: str, path: Path, call: Callable[[], str] | None = None) -> str:
    """Render a user rule file (or run ``call``, which renders one of its macros); any
    jinja error becomes a RuleError naming its line."""
    import jinja2

    try:
        return call() if call is not None else environment().get_template(template).render()
    except jinja2.TemplateSyntaxError as exc:
        raise RuleError(f"does not render: {exc.message}", path=path, line=exc.lineno) from None
    except jinja2.TemplateError as exc:
        line = _named_line(str(exc), path) or _template_line(exc, path)
        raise RuleError(f"does not render: {exc}", path=path, line=line) from None


_UNDEFINED = re.compile(r"(?:has no attribute|^)\s*'(\w+)'(?: is undefined)?")


def _named_line(message: str, path: Path) -> int | None:
    """The first line of the file that uses the undefined name a jinja message quotes."""
    match = _UNDEFINED.search(message)
    if match is None:
        return None
    pattern = re.compile(rf"\b{re.escape(match.group(1))}\b")
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((n for n, line in enumerate(lines, 1) if pattern.search(line)), None)


def _template_line(exc: BaseException, path: Path) -> int | None:
    """jinja rewrites tracebacks to template lines: the last frame in the file says where."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)]
    lines = [frame.lineno for frame in frames if frame.filename == str(path)]
    return lines[-1] if lines else None


def render_sql(name: str, **shape: object) -> str:
    """Render ``sql/<name>``; ``shape`` holds column lists and flags, never pool values."""
    return cached(("render", name, shape), lambda: environment().get_template(name).render(**shape))


_memory: dict[str, str] = {}


def cached(key: object, make: Callable[[], str]) -> str:
    """``make()``, remembered under ``key`` for this version of the sql/ files."""
    text = recalled(key)
    if text is None:
        text = make()
        remember(key, text)
    return text


def recalled(key: object) -> str | None:
    """The text remembered under ``key`` (this process, else the disk cache), or None."""
    digest = _key_digest(key)
    if digest in _memory:
        return _memory[digest]
    path = _cache_dir() / f"{digest}.sql" if _cache_dir() else None
    try:
        text = path.read_text(encoding="utf-8") if path and path.exists() else None
    except OSError:
        text = None
    if text is not None:
        _memory[digest] = text
    return text


def remember(key: object, text: str) -> None:
    """Keep ``text`` under ``key`` for this process and, where the cache is writable, later ones."""
    digest = _key_digest(key)
    _store(_cache_dir() / f"{digest}.sql" if _cache_dir() else None, text)
    _memory[digest] = text


def _key_digest(key: object) -> str:
    return hashlib.sha256(
        (_files_digest() + json.dumps(key, sort_keys=True, default=repr)).encode()
    ).hexdigest()


def _store(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        if not path.parent.exists():
            _forget_other_versions(path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home only costs speed


def sql_digest() -> str:
    """sha256 over every file under sql/ (rules, macros, engine, finalize): two runs with
    the same digest ran the same SQL."""
    return _files_digest()


@cache
def _files_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(sql_dir().rglob("*.sql")):
        digest.update(str(path.relative_to(sql_dir())).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# Versions of sql/ whose cached SQL is kept: two installations of asnsql under one
# user (two virtualenvs, a checkout and a release) would otherwise remove each other's
# on every run and pay for rendering again.
_KEPT_VERSIONS = 4


def _forget_other_versions(current: Path) -> None:
    """Remove the cached SQL of versions of sql/ not used lately: all but the
    ``_KEPT_VERSIONS - 1`` most recently written, besides ``current``."""
    if not current.parent.is_dir():
        return
    others = []
    for entry in current.parent.iterdir():
        if entry == current:
            continue
        try:
            others.append((entry.stat().st_mtime, entry))
        except OSError:
            continue
    others.sort(reverse=True)
    for _, entry in others[_KEPT_VERSIONS - 1 :]:
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@cache
def _cache_dir() -> Path | None:
    """One folder per version of the sql/ files (a digest of them all)."""
    if os.environ.get("ASNSQL_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "asnsql" / "sql" / _files_digest()[:16]
