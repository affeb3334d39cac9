"""The asnsql command line: parses options, calls one function, prints a summary."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from asn_sql import __version__, cli_batch, cli_files
from asn_sql.api import generate_documents
from asn_sql.cli_common import DbOption, DebugOption, FormatOption, err, handle_errors, out, warn
from asn_sql.db import DEFAULT_DB
from asn_sql.errors import UsageError
from asn_sql.explain import explain as explain_exposure
from asn_sql.formats import OutputFormat, print_rows
from asn_sql.generate import GenerateOptions, timestamp_version_id
from asn_sql.load import load_pools
from asn_sql.pool import DEFAULT_DELIMITER, check_delimiter
from asn_sql.progress import DelayedProgress
from asn_sql.query import QueryResult, run_query
from asn_sql.rules import all_rules, find_rule, render_rule

app = typer.Typer(
    name="asnsql",
    help="Build JWST associations with SQL rules over a DuckDB database.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"asnsql {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Build JWST associations with SQL rules over a DuckDB database."""


@app.command()
@handle_errors
def load(
    pools: Annotated[list[Path], typer.Argument(help="Pool files to load.", show_default=False)],
    delimiter: Annotated[
        str, typer.Option("--delimiter", "-d", help="The column delimiter of the pool files.")
    ] = DEFAULT_DELIMITER,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Reload a pool whose name is loaded already, with its runs."
        ),
    ] = False,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Load association pools into the database, each in one transaction."""
    results = load_pools(db, pools, delimiter=check_delimiter(delimiter), replace=replace)
    for result in results:
        warn(result.warnings)
        if result.status == "unchanged":
            err.print(f"{result.name}: already loaded, unchanged (pool {result.pool_id})")
        else:
            err.print(
                f"{result.name}: {result.status} {result.row_count} exposures "
                f"as pool {result.pool_id}"
            )


@app.command()
@handle_errors
def pools(
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """List the loaded pools."""
    result = run_query(
        db,
        "select pool_id, name, row_count as exposures, len(columns) as columns, "
        "loaded_at, left(sha256, 12) as sha256, source from pools order by pool_id",
    )
    print_rows(result, output, out)


@app.command()
@handle_errors
def query(
    sql: Annotated[str, typer.Argument(help="The SQL to run.", show_default=False)],
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Run SQL on the database, opened read-only."""
    print_rows(run_query(db, sql), output, out)


LEVEL_CHOICES = {"2": (2,), "3": (3,), "all": (2, 3)}


@app.command()
@handle_errors
def generate(
    pool: Annotated[
        str | None,
        typer.Argument(
            help="A pool file (loaded now if new) or a loaded pool's name; "
            "optional when one pool is loaded.",
            show_default=False,
        ),
    ] = None,
    level: Annotated[str, typer.Option("--level", help="Which associations: 2, 3 or all.")] = "all",
    path: Annotated[
        Path, typer.Option("--path", "-p", help="The folder to write the association files to.")
    ] = Path("."),
    ids: Annotated[
        list[str] | None,
        typer.Option(
            "--ids", "-i", help="Only these candidate ids (o001 c1000 ...).", show_default=False
        ),
    ] = None,
    all_candidates: Annotated[
        bool, typer.Option("--all-candidates", help="Candidate associations only, no discovery.")
    ] = False,
    discover: Annotated[
        bool, typer.Option("--discover", help="Discovered associations only (asn_id a3001).")
    ] = False,
    version_id: Annotated[
        str | None,
        typer.Option(
            "--version-id",
            help="Put a version in file names; alone, the UTC time (YYYYMMDDtHHMMSS).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Run and record everything but write no file.")
    ] = False,
    no_finalize: Annotated[
        bool,
        typer.Option(
            "--no-finalize",
            help="Keep every association the rules found: no validity "
            "check, no pruning (a debugging aid).",
        ),
    ] = False,
    delimiter: Annotated[
        str, typer.Option("--delimiter", "-d", help="The column delimiter of a pool file.")
    ] = DEFAULT_DELIMITER,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print each phase's time and every warning.")
    ] = False,
    db: DbOption = Path(DEFAULT_DB),
    debug: Annotated[
        bool, typer.Option("--debug", "-D", help="Show the full traceback of an error.")
    ] = False,
) -> None:
    """Generate associations from a pool, as asn_generate does, and write them as JSON."""
    if level not in LEVEL_CHOICES:
        raise UsageError(f"--level must be 2, 3 or all, not {level!r}")
    if sum([bool(ids), all_candidates, discover]) > 1:
        raise UsageError("use only one of --ids, --all-candidates and --discover")
    options = GenerateOptions(
        levels=LEVEL_CHOICES[level],
        ids=tuple(ids) if ids else None,
        all_candidates=all_candidates,
        discover=discover,
        version_id=version_id,
        finalize=not no_finalize,
    )
    with DelayedProgress(err) as progress:
        result = generate_documents(
            db,
            pool,
            options,
            output_dir=None if dry_run else path,
            delimiter=check_delimiter(delimiter),
            progress=progress.advance,
        )
    warn(result.warnings)
    for written in result.written:
        out.print(str(written), markup=False, highlight=False)
    summary = result.summary
    kinds = ", ".join(f"{kind} {count}" for kind, count in summary.by_type.items())
    verb = "would write" if dry_run else "wrote"
    err.print(
        f"run {summary.run_id}: {verb} {summary.n_associations} associations"
        + (f" ({kinds})" if kinds else "")
        + f"; {summary.n_orphans} exposures in none "
        f"(asnsql query 'from orphans where run_id = {summary.run_id}')",
        markup=False,
        highlight=False,
    )
    if verbose:
        timings = ", ".join(
            f"{phase} {seconds:.3f} s" for phase, seconds in summary.timings.items()
        )
        err.print(f"timings: {timings}", markup=False, highlight=False)


@app.command()
@handle_errors
def rules(
    output: FormatOption = OutputFormat.table,
    debug: DebugOption = False,
) -> None:
    """List the association rules: level, jwst's name, asn_type and file."""
    rows = [(r.level, r.name, r.asn_type, f"sql/{r.template}") for r in all_rules()]
    print_rows(QueryResult(["level", "rule", "asn_type", "file"], rows), output, out)


@app.command()
@handle_errors
def render(
    rule: Annotated[str, typer.Argument(help="A rule's file name (lv3_image) or jwst name.")],
    debug: DebugOption = False,
) -> None:
    """Print a rule's SQL as the engine runs it, without running it."""
    out.print(render_rule(find_rule(rule)), markup=False, highlight=False)


@app.command()
@handle_errors
def explain(
    exposure: Annotated[
        str,
        typer.Argument(
            help="An exposure's file name or root, any suffix (jw_00001, jw_00001_cal.fits).",
            show_default=False,
        ),
    ],
    run: Annotated[
        int | None,
        typer.Option("--run", help="The run to explain (default: the latest).", show_default=False),
    ] = None,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Say which associations hold an exposure and, for every other rule, why it did not."""
    for found in explain_exposure(db, exposure, run):
        out.print(f"{found.filename} (row {found.row_no}), run {found.run_id}", markup=False)
        if not found.memberships:
            out.print("  in no association", markup=False)
        for member in found.memberships:
            out.print(
                f"  in {member.association}: {member.exptype} of {member.product} ({member.rule})",
                markup=False,
                highlight=False,
            )
        for verdict in found.verdicts:
            out.print(f"  not {verdict.rule}: {verdict.reason}", markup=False, highlight=False)


# Commands over association files (asn_sql/cli_files.py).
app.command()(cli_files.diff)
app.command("from-list")(cli_files.from_list)
app.command("from-query")(cli_files.from_query)
app.command()(cli_files.edit)
app.command()(cli_files.validate)
app.command()(cli_files.export)
# Many pools in parallel (asn_sql/cli_batch.py).
app.command()(cli_batch.batch)


def _expand_argv(argv: list[str]) -> list[str]:
    """Accept asn_generate's spellings that typer cannot parse: a bare --version-id
    (meaning "now"), several ids after one -i/--ids, and several files after one
    --add, --remove, --background or --imprint."""
    expanded: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if token == "--version-id" and (nxt is None or nxt.startswith("-")):
            expanded.append(f"--version-id={timestamp_version_id()}")
        elif token in _FILE_LISTS:
            # Like argparse's nargs="+": every name up to the next option.
            names = []
            while i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                names.append(argv[i + 1])
                i += 1
            expanded += [part for name in names for part in (token, name)] or [token]
        elif token in ("-i", "--ids"):
            i += 1
            while i < len(argv) and _CANDIDATE_ID.match(argv[i]):
                expanded += [token, argv[i]]
                i += 1
            continue
        else:
            expanded.append(token)
        i += 1
    return expanded


_CANDIDATE_ID = re.compile(r"^[a-z]?\d+$", re.IGNORECASE)
# Options of from-list and edit that take several file names after one flag.
_FILE_LISTS = ("--add", "--remove", "--background", "--imprint")


def run() -> None:
    """The console entry point."""
    sys.exit(app(args=_expand_argv(sys.argv[1:]), prog_name="asnsql"))
