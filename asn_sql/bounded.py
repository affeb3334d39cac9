"""Reading a small input file (an association, a SQL file, a user rule file) with a
bound: only a regular file (or, where the reader allows, a pipe), and at most a number
of bytes, so that ``/dev/zero`` or a huge file named by mistake is refused instead of
filling memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from asn_sql.errors import AsnSqlError, MissingFileError

# The most an association or SQL file may hold. jwst's largest associations are a few
# megabytes; parsing 256 MiB of JSON already takes some gigabytes of memory.
MAX_INPUT_BYTES = 256 << 20


def read_bounded(
    path: Path, error: type[AsnSqlError], limit: int = MAX_INPUT_BYTES, *, pipes: bool = True
) -> bytes:
    """The bytes of ``path``; MissingFileError when there is no such file; ``error``
    (naming the file) when it is unreadable, a folder, a device or a socket (a pipe too
    unless ``pipes``: a file read more than once), or holds more than ``limit`` bytes."""
    if not os.path.lexists(path):
        raise MissingFileError(path=path)
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise error("is a directory, not a file", path=path)
        if not (stat.S_ISREG(mode) or (pipes and stat.S_ISFIFO(mode))):
            kind = "a device, a pipe or a socket" if not pipes else "a device or a socket"
            raise error(f"is not a regular file ({kind}); give a file", path=path)
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


def is_pool_file(path: Path) -> bool:
    """Whether ``path`` (links followed) is something a pool is read from: a regular file or
    a pipe (``/dev/stdin``, ``<(…)``, a fifo), as ``load`` reads them; not a folder or device."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(mode) or stat.S_ISFIFO(mode)
