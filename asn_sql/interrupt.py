"""What a command interrupted by Ctrl-C (SIGINT) says and the exit code it ends with."""

from __future__ import annotations

# 128 + SIGINT, as shells report a process ended by Ctrl-C.
EXIT_CODE = 130
MESSAGE = "Error: interrupted"


class Interrupted(Exception):
    """Raised in place of KeyboardInterrupt once a command has rolled back its work, so
    the entry point prints one line and exits with EXIT_CODE."""
