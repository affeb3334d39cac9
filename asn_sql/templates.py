"""The jinja environment over ``sql/``: templates shape SQL, never carry data."""

from __future__ import annotations

from functools import cache

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
    return environment().get_template(name).render(**shape)
