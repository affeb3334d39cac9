"""Ctrl-C during a read-only command: exit 130, the one line ``Error: interrupted``, the
database and the folder as they were (reliability kind 4, the query half)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .readonly_support import make_database, snapshot

# Runs for hours unless interrupted: a cross join of a million rows with itself.
ENDLESS = "select sum(a.range * b.range) as s from range(1000000) as a, range(1000000) as b"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _interrupt_when_busy(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Start asnsql, wait until it has burnt CPU well past its start-up (about 0.8 s;
    then the statement is running), send SIGINT, and collect what it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "asn_sql", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background job ignores SIGINT; give the child the default handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while _cpu_seconds(process.pid) < 2.0 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
@pytest.mark.parametrize(
    "args",
    [
        ["query", ENDLESS],
        ["export", "-o", "rows.parquet", ENDLESS],
        ["export", "-o", "rows.csv", ENDLESS],
        ["from-query", "-o", "asn.json", "-t", "image2", ENDLESS],
    ],
)
def test_ctrl_c_stops_the_statement_with_one_line_and_exit_130(
    args: list[str], tmp_path: Path
) -> None:
    make_database(tmp_path)
    before = snapshot(tmp_path)
    done = _interrupt_when_busy([*args, "--db", "asn.duckdb"], tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (130, "Error: interrupted\n", "")
    assert snapshot(tmp_path) == before


def test_ctrl_c_while_the_command_line_loads_is_one_line(tmp_path: Path) -> None:
    # A Ctrl-C lands while typer, rich and click are imported (the import of the app
    # raises KeyboardInterrupt here, as Python's handler would).
    script = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def loading(name, *args, **kwargs):\n"
        "    if name == 'asn_sql.cli.main':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = loading\n"
        "from asn_sql.cli.entry import run\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert (done.returncode, done.stderr, done.stdout) == (130, "Error: interrupted\n", "")
    assert list(tmp_path.iterdir()) == []
