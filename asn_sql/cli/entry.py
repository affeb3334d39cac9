"""The console entry point, kept apart from the typer app so that a Ctrl-C while the
app's modules load (typer, rich, click: a good part of a second on a busy machine) is
the one line every interrupted command prints, not a traceback."""

from __future__ import annotations

import sys

from asn_sql import interrupt


def run() -> None:
    """Load the command line and run it; exit 130 with one line if interrupted while
    loading."""
    try:
        from asn_sql.cli.main import run as run_app
    except KeyboardInterrupt:
        sys.stderr.write(interrupt.MESSAGE + "\n")
        sys.exit(interrupt.EXIT_CODE)
    run_app()
