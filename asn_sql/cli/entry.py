"""The console entry point, kept apart from the typer app so that a Ctrl-C (or SIGTERM)
while the app's modules load (typer, rich, click: a good part of a second on a busy
machine) is the one line every interrupted command prints, not a traceback."""

from __future__ import annotations

import sys


def run() -> None:
    """Take SIGINT and SIGTERM, load the command line and run it; exit 130 with one line
    if interrupted while loading."""
    try:
        from asn_sql import interrupt

        interrupt.install()
    except KeyboardInterrupt:
        _interrupted()
    try:
        from asn_sql.cli.main import run as run_app
    except KeyboardInterrupt:
        _interrupted()
    run_app()


def _interrupted() -> None:
    sys.stderr.write("Error: interrupted\n")
    sys.stderr.flush()
    from asn_sql import interrupt

    interrupt.ending(interrupt.EXIT_CODE)
    sys.exit(interrupt.EXIT_CODE)
