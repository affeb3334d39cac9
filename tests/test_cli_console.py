"""The consoles of asn_sql/cli/common.py write a plain line as rich's console writes it,
without importing rich, and hand everything else to rich."""

from __future__ import annotations

import io
import sys

import pytest

from asn_sql.cli.common import LazyConsole, _rich_console

LINES = [
    "run 1: wrote 10 associations (spec2 1, tso3 5)",
    "",
    " leading and trailing spaces ",
    "x" * 300,
    "two\nlines",
    "ends with a newline\n",
    "wide: 日本語 and é, ü",
    "an escape \\x1b[31m written by printable, and a raw \x1b[0m one",
    "[bold]not markup[/bold] :smile: http://example.org 1.5 None True",
    "a\ttab",
    "a\rcarriage return",
    "bell\x07 and form feed\x0c",
]


@pytest.mark.parametrize("stderr", [False, True])
@pytest.mark.parametrize("line", LINES)
def test_a_line_reads_as_rich_writes_it(monkeypatch, line: str, stderr: bool) -> None:
    written = {}
    for name, console in (("lazy", LazyConsole(stderr=stderr)), ("rich", None)):
        stream = io.StringIO()
        monkeypatch.setattr(sys, "stderr" if stderr else "stdout", stream)
        console = console or _rich_console(stderr, quiet=False)
        console.print(line, markup=False, highlight=False)
        console.print(line)
        written[name] = stream.getvalue()
    assert written["lazy"] == written["rich"]


def test_rich_is_made_only_for_what_is_not_a_plain_line(monkeypatch) -> None:
    for setting in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS"):
        monkeypatch.delenv(setting, raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    console = LazyConsole(stderr=False)
    console.print("plain", markup=False, highlight=False)
    assert console._rich is None
    assert console.is_terminal is False and console._rich is None
    console.print("[b]x[/b]", markup=True)
    assert console._rich is not None
    assert sys.stdout.getvalue() == "plain\nx\n"
