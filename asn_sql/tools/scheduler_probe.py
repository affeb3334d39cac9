"""Is a Dask scheduler listening at an address? Asked before Dask's client connects: the
client waits without end on a peer that never answers (an HTTP server) and reads as
many bytes as a foreign peer's first eight claim (a memory error naming nothing)."""

from __future__ import annotations

import socket
import struct
import time

from asn_sql.errors import UsageError

# How long the scheduler has to connect and to send its greeting.
PROBE_SECONDS = 5.0
# A Dask comm's greeting (its handshake: compression, python, pickle-protocol) is a few
# hundred bytes; a first frame claimed larger is not a scheduler's.
_MOST_GREETING_BYTES = 1 << 16
_GREETING_WORD = b"pickle-protocol"


def probe_scheduler(address: str, seconds: float = PROBE_SECONDS) -> None:
    """Raise UsageError, naming ``address``, unless a Dask scheduler greets a connection
    there within ``seconds``. Only plain TCP addresses (``tcp://HOST:PORT`` or
    ``HOST:PORT``) are probed; other schemes (tls://, inproc://) are left to Dask."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise UsageError(
            f"{address}: not a scheduler address (tcp://HOST:PORT)", settings=("scheduler",)
        )
    deadline = time.monotonic() + seconds
    try:
        connection = socket.create_connection((host, int(port)), timeout=seconds)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
    with connection:
        head = _read(connection, 8, deadline, address)
        (size,) = struct.unpack("<Q", head)
        if not 0 < size <= _MOST_GREETING_BYTES:
            raise _not_dask(address)
        if _GREETING_WORD not in _read(connection, size, deadline, address):
            raise _not_dask(address)


def _read(connection: socket.socket, size: int, deadline: float, address: str) -> bytes:
    data = b""
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        connection.settimeout(left)
        try:
            chunk = connection.recv(size - len(data))
        except TimeoutError:
            break
        except OSError as exc:
            raise UsageError(
                f"the Dask scheduler at {address} closed the connection: {exc.strerror or exc}"
            ) from None
        if not chunk:
            raise _not_dask(address, "it closed the connection without a word")
        data += chunk
    if len(data) < size:
        raise UsageError(
            f"no Dask scheduler answered at {address} within {PROBE_SECONDS:g} s "
            "(something listens there, but says nothing: is it a Dask scheduler's address?)"
        )
    return data


def _not_dask(address: str, how: str = "it answers with other bytes") -> UsageError:
    return UsageError(f"{address} is not a Dask scheduler: {how}", settings=("scheduler",))
