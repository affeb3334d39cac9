"""`asnsql explain`: an exposure's associations and each rule's reason, or every orphan of
a run, printed as tables no wider than a terminal (the reasons come from tools/explain.py
as data; this module only lays them out)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asn_sql.cli.common import (
    DbOption,
    DebugOption,
    IgnoreDefaultOption,
    ReportFormatOption,
    RulesOption,
    err,
    handle_errors,
    out,
    warn,
)
from asn_sql.cli.formats import ReportFormat, print_document
from asn_sql.defaults import DEFAULT_DB
from asn_sql.errors import UsageError
from asn_sql.values import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from asn_sql.tools.explain import Explanation, OrphanReason

# No line of explain's output is wider than this, whatever the terminal.
WIDTH = 100


@handle_errors
def explain(
    exposure: Annotated[
        str | None,
        typer.Argument(
            help="An exposure's file name or root, any suffix (jw_00001, jw_00001_cal.fits); "
            "with --orphans, the run (default: the latest).",
            show_default=False,
        ),
    ] = None,
    run: Annotated[
        int | None,
        typer.Option("--run", help="The run to explain (default: the latest).", show_default=False),
    ] = None,
    all_rules: Annotated[
        bool, typer.Option("--all", help="Also say why each rule of other exposure types did not.")
    ] = False,
    orphans: Annotated[
        bool,
        typer.Option(
            "--orphans",
            help="Explain every orphan of the run: the rule that came closest and the first "
            "condition it failed.",
        ),
    ] = False,
    rules_dir: RulesOption = None,
    ignore_default: IgnoreDefaultOption = False,
    output: ReportFormatOption = ReportFormat.text,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Say which associations hold an exposure and why the rules of its type did not;
    with --orphans, why each exposure of a run is in none."""
    if orphans:
        _refuse_with_orphans(all_rules, rules_dir, ignore_default)
        _explain_orphans(db, _run_argument(exposure, run), output)
        return
    if exposure is None:
        raise UsageError("give an exposure to explain, or --orphans")
    from asn_sql.tools.explain import explain as explain_exposure

    found_all = explain_exposure(
        db, exposure, run, rules_dir=rules_dir, ignore_default=ignore_default
    )
    if output is ReportFormat.json:
        from asn_sql.cli.reports import explain_document

        for found in found_all:
            warn(found.warnings)
        print_document(explain_document(found_all), out)
        return
    width = _width()
    for found in found_all:
        warn(found.warnings)
        _print_explanation(width, found, all_rules)


def _width() -> int:
    # A terminal narrower than WIDTH gets its own width; a pipe or file gets WIDTH.
    return min(out.width, WIDTH) if out.is_terminal else WIDTH


def _console() -> Console:
    from rich.console import Console

    return Console(width=_width(), soft_wrap=False, markup=False, emoji=False, highlight=False)


def _refuse_with_orphans(all_rules: bool, rules_dir: Path | None, ignore_default: bool) -> None:
    # --orphans reads the reasons the run kept; these options only shape the explanation of
    # one exposure, so taking them silently would let a user believe they had applied.
    given = [
        name
        for name, on in (
            ("--all", all_rules),
            ("-r/--rules", rules_dir is not None),
            ("--ignore-default", ignore_default),
        )
        if on
    ]
    if given:
        raise UsageError(
            f"{given[0]} applies to one exposure's explanation, not to --orphans (the reasons "
            "the run kept)"
        )


def _run_argument(text: str | None, run: int | None) -> int | None:
    if text is None:
        return run
    if not text.isdigit():
        raise UsageError(f"--orphans takes a run number, not {text!r}")
    if run is not None and run != int(text):
        # Two different runs: picking either would explain a run the user did not mean.
        raise UsageError(f"two runs given, {text} and --run {run}: give one")
    return int(text)


def _print_explanation(width: int, found: Explanation, all_rules: bool) -> None:
    kind = found.exp_type or "unset"
    lines = [f"{found.filename} (row {found.row_no}, {kind}), run {found.run_id}"]
    if found.left_out:
        lines.append(f"  {found.left_out}")
    elif not found.memberships:
        lines.append("  in no association")
    for member in found.memberships:
        lines.append(
            f"  in {member.association}: {member.exptype} of {member.product} ({member.rule})"
        )
    typed = [v for v in found.verdicts if v.uses_type]
    others = [v for v in found.verdicts if not v.uses_type]
    if typed:
        lines.append(f"  rules that take {kind} exposures:")
    lines += [f"    not {v.rule}: {v.reason}" for v in typed]
    if others and all_rules:
        lines.append(f"  rules that take no {kind} exposure in this run:")
        lines += [f"    not {v.rule}: {v.reason}" for v in others]
    elif others:
        n = len(others)
        lines.append(f"  {n} other rules take no {kind} exposure in this run (--all: why)")
    for line in lines:
        _wrapped(width, line)


def _wrapped(width: int, line: str) -> None:
    """One line of the report, folded at ``width`` under its own indent."""
    text = printable(line)
    indent = len(text) - len(text.lstrip(" "))
    folded = textwrap.wrap(
        text,
        width=width,
        subsequent_indent=" " * (indent + 4),
        break_on_hyphens=False,
        break_long_words=True,
    )
    sys.stdout.write("".join(part + "\n" for part in folded or [text]))


def _show(console: Console, renderable: Table) -> None:
    """Print on stdout as the console lays it out, without the spaces rich pads lines to."""
    with console.capture() as captured:
        console.print(renderable, overflow="fold")
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def _explain_orphans(db: Path, run: int | None, output: ReportFormat) -> None:
    from asn_sql.tools.explain import explain_orphans

    run_id, found = explain_orphans(db, run)
    if output is ReportFormat.json:
        from asn_sql.cli.reports import explain_orphans_document

        print_document(explain_orphans_document(run_id, found), out)
        return
    console = _console()
    if found:
        _show(console, _orphan_table(found))
    err.print(
        f"run {run_id}: {len(found)} exposures in no association", markup=False, highlight=False
    )


def _orphan_table(found: list[OrphanReason]) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("exposure", max_width=32, overflow="fold")
    table.add_column("exp_type", max_width=18, overflow="fold")
    table.add_column("why: the rule that came closest, and what it needs", ratio=1)
    for orphan in found:
        why = f"{orphan.rule} {orphan.why}" if orphan.rule else orphan.why
        table.add_row(
            Text(printable(orphan.filename)),
            Text(printable(orphan.exp_type or "unset")),
            Text(printable(why)),
        )
    return table
