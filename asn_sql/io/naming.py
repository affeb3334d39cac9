"""DMS names in Python: the root of an exposure file name, as jwst computes it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path


def file_root(expname: str) -> str:
    """The base name without its last extension and one known calibration suffix after
    '_' or '-' (jw_00001_rate.fits -> jw_00001; x_rate.fits.gz -> x_rate.fits), as jwst
    names Level 2 products and matches members while ignoring suffixes."""
    stem = Path(expname).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    match = _root_pattern().match(stem)
    return match.group(1) if match else stem


@cache
def _root_pattern() -> re.Pattern[str]:
    # One list for SQL and Python: the jinja macro file the rules use.
    from asn_sql.templates import environment

    suffixes = environment().get_template("macros/exposures.sql").module.known_suffixes
    return re.compile(rf"^(.+?)(?:[_-](?:{'|'.join(map(re.escape, suffixes))}))?$")
