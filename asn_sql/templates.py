"""The jinja environment over ``sql/``: templates shape SQL, never carry data.

Rendering depends only on the files under sql/ and on the shape arguments
(column lists, rule settings), so rendered SQL is cached: in memory for the
process, and on disk keyed by a digest of every file under sql/, so a fresh
`asnsql` process does not pay jinja's compile time on every run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jinja2

from asn_sql.resources import sql_dir


@cache
def environment() -> jinja2.Environment:
    """One strict environment for every SQL template (rules, macros, loader, finalize)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(sql_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def render_sql(name: str, **shape: object) -> str:
    """Render ``sql/<name>``; ``shape`` holds column lists and flags, never pool values."""
    return cached(("render", name, shape), lambda: environment().get_template(name).render(**shape))


_memory: dict[str, str] = {}


def cached(key: object, make: Callable[[], str]) -> str:
    """``make()``, remembered under ``key`` for this version of the sql/ files."""
    digest = hashlib.sha256(
        (_files_digest() + json.dumps(key, sort_keys=True, default=repr)).encode()
    ).hexdigest()
    if digest in _memory:
        return _memory[digest]
    path = _cache_dir() / f"{digest}.sql" if _cache_dir() else None
    try:
        text = path.read_text(encoding="utf-8") if path and path.exists() else None
    except OSError:
        text = None
    if text is None:
        text = make()
        _store(path, text)
    _memory[digest] = text
    return text


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


def _forget_other_versions(current: Path) -> None:
    """Remove the cached SQL of other versions of sql/: it is never read again."""
    if not current.parent.is_dir():
        return
    for entry in current.parent.iterdir():
        if entry == current:
            continue
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
