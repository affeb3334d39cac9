"""Sphinx configuration: the pages are Markdown (MyST), built with warnings as errors in CI."""

from __future__ import annotations

import re
from pathlib import Path

project = "asnsql"
author = "the asnsql authors"
# Read from the package's source, not imported: building the pages needs no asnsql install.
_init = (Path(__file__).resolve().parent.parent / "asn_sql" / "__init__.py").read_text()
release = re.search(r'^__version__ = "([^"]+)"', _init, re.M).group(1)
version = release

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
# Links such as commands.md#asnsql-generate-pool work here as they do on GitHub.
myst_heading_anchors = 4

html_theme = "alabaster"
html_title = f"asnsql {release}"
html_theme_options = {"description": "JWST associations with SQL", "fixed_sidebar": True}
html_show_copyright = False
