"""Reading a small input file (an association, a SQL file) with a bound: only a regular
file or a pipe, and at most MAX_INPUT_BYTES, so that ``/dev/zero`` or a huge file named
by mistake is refused instead of filling memory."""

from __future__ import annotations

import stat
from pathlib import Path

from asn_sql.errors import AsnSqlError

# The most an association or SQL file may hold. jwst's largest associations are a few
# megabytes; parsing 256 MiB of JSON already takes some gigabytes of memory.
MAX_INPUT_BYTES = 256 << 20


def read_bounded(path: Path, error: type[AsnSqlError], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``; ``error`` (naming the file) when it is missing, unreadable,
    a folder, a device or a socket, or holds more than ``limit`` bytes."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise error("is a directory, not a file", path=path)
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise error("is not a regular file (a device or a socket); give a file", path=path)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if len(data) > limit:
        raise error(
            f"holds more than {limit:,} bytes, the most asnsql reads from such a file",
            path=path,
        )
    return data
