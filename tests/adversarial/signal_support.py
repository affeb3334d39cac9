"""Running asnsql in a real process and signalling it at a moment told by a condition
(CPU time burnt, files that appeared), never after a fixed sleep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

POOLS = Path(__file__).resolve().parents[2] / "fixtures" / "pools"
DEADLINE = 240.0


def start(args: list[str], cwd: Path, *, group: bool = False) -> subprocess.Popen[str]:
    """asnsql ARGS in ``cwd``, with SIGINT at its default (a background job of a shell
    would start ignoring it); with ``group``, in a process group of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "asn_sql", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
        preexec_fn=None if group else lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> bool:
    """Poll ``condition`` until it holds (True) or the process ended (False)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    raise AssertionError("the moment to signal never came")


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    """Wait for the process and collect what it printed."""
    try:
        out, err = process.communicate(timeout=DEADLINE)
    finally:
        process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    """Poll until none of ``pids`` runs, at most ``seconds``; those still running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        running = [pid for pid in pids if alive(pid)]
        if not running:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def staging_folders(*folders: Path) -> list[Path]:
    """asnsql's temporary folders (``.asnsql-*``) in ``folders``."""
    return [p for f in folders if f.is_dir() for p in f.iterdir() if p.name.startswith(".asnsql-")]
