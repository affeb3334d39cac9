"""The asnsql command line: parses options, calls one function, prints a summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from asn_sql import __version__
from asn_sql.bounded import is_pool_file
from asn_sql.cli import batch as cli_batch
from asn_sql.cli import explain as cli_explain
from asn_sql.cli import files as cli_files
from asn_sql.cli import impact as cli_impact
from asn_sql.cli import report as cli_report
from asn_sql.cli import tools as cli_tools
from asn_sql.cli.boundary import AsnSqlGroup
from asn_sql.cli.common import (
    AllCandidatesOption,
    DbOption,
    DebugOption,
    DelimiterOption,
    DiscoverOption,
    DryRunOption,
    FormatOption,
    IdsOption,
    IgnoreDefaultOption,
    LevelOption,
    NoFinalizeOption,
    PlainHelpGroup,
    ReportFormatOption,
    RulesOption,
    ShownDebugOption,
    VersionIdOption,
    echo,
    echo_lines,
    err,
    generate_options,
    handle_errors,
    out,
    output_file,
    warn,
)
from asn_sql.cli.formats import OutputFormat, ReportFormat, RowPrinter, print_document, print_rows
from asn_sql.cli.habits import edit_in_asnsql_order, explain_jwst_options, move_global_options
from asn_sql.defaults import DEFAULT_DB, DEFAULT_DELIMITER, ORPHANS_FILE
from asn_sql.errors import UsageError
from asn_sql.interrupt import Interrupted, InterruptedAfterCommit
from asn_sql.values import counted

if TYPE_CHECKING:
    from asn_sql.api import GenerateResult

# Commands import what they run inside their bodies: `asnsql --help` loads no DuckDB,
# jsonschema or jinja (tests/test_imports.py).


class _AsnSqlApp(AsnSqlGroup, PlainHelpGroup):
    """One line per error and exit codes (cli/boundary.py), plain help (cli/common.py),
    and a line saying what asnsql does instead of an option only jwst has (cli/habits.py)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return explain_jwst_options(super().get_command(ctx, cmd_name), cmd_name)


class _OneCommandTyper(typer.Typer):
    """typer's app, but a process that names its command builds only that one: typer would
    make the click command of every one of twenty (their options, their help), a few
    hundredths of a second of each run. Help, completion and an unknown name see them all."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        argv = kwargs.get("args", args[0] if args else None)  # click's main(args, ...)
        argv = list(sys.argv[1:] if argv is None else argv)
        named = [c for c in self.registered_commands if argv and _command_name(c) == argv[0]]
        if len(named) != 1 or any(key.endswith("_COMPLETE") for key in os.environ):
            return super().__call__(*args, **kwargs)
        every = self.registered_commands
        self.registered_commands = named
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.registered_commands = every


def _command_name(info: Any) -> str:
    """The name typer gives a registered command (its function's, with dashes)."""
    return info.name or info.callback.__name__.lower().replace("_", "-")


app = _OneCommandTyper(
    name="asnsql",
    help="Build JWST associations with SQL rules over a DuckDB database.",
    epilog="Before the command, --db FILE, -v/--verbose and -D/--debug are read as if "
    "given after it, by the commands that take them.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # click's plain help, values named for their option: no `<bool>`/`<list[str]>` noise.
    rich_markup_mode=None,
    cls=_AsnSqlApp,
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
    """Load association pools into the database, all in one transaction."""
    from asn_sql.io.load import load_pools
    from asn_sql.io.pool import check_delimiter

    results = load_pools(db, pools, delimiter=check_delimiter(delimiter), replace=replace)
    for result in results:
        warn(result.warnings)
        name = result.name
        if result.status == "unchanged":
            echo(err, f"{name}: already loaded, unchanged (pool {result.pool_id})")
        else:
            version = (
                f" ({result.program}, version {result.version_no} of {result.versions})"
                if result.program
                else ""
            )
            echo(
                err,
                f"{name}: {result.status} {counted(result.row_count, 'exposure')} as pool "
                f"{result.pool_id}" + version,
            )


@app.command()
@handle_errors
def pools(
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """List the loaded pools."""
    from asn_sql.io.query import run_query

    result = run_query(
        db,
        "select pool_id, name, v.program, v.version, row_count as exposures, "
        "len(columns) as columns, loaded_at, left(sha256, 12) as sha256, source "
        "from pools join pool_versions as v using (pool_id, name) order by pool_id",
        for_output=True,
    )
    print_rows(result, output, out)


@app.command()
@handle_errors
def query(
    sql: Annotated[
        str | None,
        typer.Argument(help="The SQL to run; - reads it from stdin.", show_default=False),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            metavar="FILE",
            help="Read the SQL from FILE (- for stdin).",
            show_default=False,
        ),
    ] = None,
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Run SQL on the database, opened read-only."""
    from asn_sql.io.query import read_sql_text, stream_query

    if sql is None and file is None:
        raise UsageError(
            "missing argument 'SQL': give the SQL as an argument or with --file FILE"
            " (- for stdin) (see 'asnsql query --help')"
        )
    if sql is not None and file is not None:
        raise UsageError("give the SQL as an argument or with --file FILE, not both")
    # Rows stream to stdout a batch at a time (a table is laid out once all are in).
    printer = RowPrinter(output, out)
    stream_query(db, read_sql_text(sql, file), printer.write)
    printer.close()


@app.command()
@handle_errors
def generate(
    pools: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[POOL]...",
            help="A pool file (loaded now if new) or a loaded pool's name; "
            "optional when one pool is loaded. Several pools run in one pass, each "
            "with its own run, and write their files into PATH/POOL/.",
            show_default=False,
        ),
    ] = None,
    level: LevelOption = "all",
    path: Annotated[
        Path,
        typer.Option(
            "--path",
            "-p",
            help="The folder to write the association files to (several pools: a folder "
            "per pool in it, named after the pool file).",
        ),
    ] = Path("."),
    ids: IdsOption = None,
    all_candidates: AllCandidatesOption = False,
    discover: DiscoverOption = False,
    version_id: VersionIdOption = None,
    dry_run: DryRunOption = False,
    no_finalize: NoFinalizeOption = False,
    delimiter: DelimiterOption = DEFAULT_DELIMITER,
    rules_dir: RulesOption = None,
    ignore_default: IgnoreDefaultOption = False,
    save_orphans: Annotated[
        str | None,
        typer.Option(
            "--save-orphans",
            metavar="[FILE]",
            help=f"Write the exposures in no association, with why, as a pool table under "
            f"--path (alone: {ORPHANS_FILE}).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print the time each phase took.")
    ] = False,
    output: ReportFormatOption = ReportFormat.text,
    db: DbOption = Path(DEFAULT_DB),
    debug: ShownDebugOption = False,
) -> None:
    """Generate associations from a pool, as asn_generate does, and write them as JSON."""
    from asn_sql.api import generate_many
    from asn_sql.io.pool import check_delimiter
    from asn_sql.progress import DelayedProgress

    options = generate_options(
        level, ids, all_candidates, discover, version_id, no_finalize, rules_dir, ignore_default
    )
    orphans_file = None if save_orphans is None else _orphans_file(save_orphans)
    interrupted = False
    try:
        with DelayedProgress(err) as progress:
            results = generate_many(
                db,
                list(pools or [None]),
                options,
                output_dir=None if dry_run else path,
                delimiter=check_delimiter(delimiter),
                progress=progress.advance,
                save_orphans=orphans_file,
                keep_documents=False,
            )
    except InterruptedAfterCommit as stopped:
        # Ctrl-C held over the commit and the files' move: the runs are complete and kept.
        assert isinstance(stopped.done, list)
        results, interrupted = stopped.done, True
    try:
        _report_runs(results, dry_run, verbose, output, options.levels)
    except KeyboardInterrupt:
        interrupted = True
    if interrupted:
        raise Interrupted(_interrupted_after(results, dry_run, path))


def _interrupted_after(results: list[GenerateResult], dry_run: bool, path: Path) -> str:
    """What an interrupt after the commit kept (not the plain "interrupted", which says
    nothing was done)."""
    kept = []
    for result in results:
        run_id, n = result.summary.run_id, len(result.written)
        folder = path if len(results) == 1 else (result.written[0].parent if n else path)
        kept.append(
            f"run {run_id} was committed; "
            + (
                "no file written (a dry run)"
                if dry_run
                else f"its {counted(n, 'file')} {'is' if n == 1 else 'are'} in {folder}"
            )
        )
    ids = " ".join(str(result.summary.run_id) for result in results)
    return (
        f"Error: interrupted after {'; '.join(kept)} "
        f"(asnsql runs --delete {ids} removes {'the run' if len(results) == 1 else 'them'})"
    )


def _orphans_file(given: str) -> Path:
    # The file goes under -p (each pool's folder with several pools), so it must be a bare
    # name; refused here, before the run, rather than by the writer after it.
    name = output_file(given, "--save-orphans")
    if name.name != given or given in (".", ".."):
        raise UsageError(
            f"--save-orphans {given}: give a file name without a folder; it is written "
            "under -p/--path"
        )
    return name


def _report_runs(
    results: list[GenerateResult],
    dry_run: bool,
    verbose: bool,
    output: ReportFormat,
    levels: tuple[int, ...],
) -> None:
    """What generate did, run by run; with several pools, the JSON report is a list of
    one run's reports, and a warning that does not name its pool is led by its name."""
    if len(results) > 1:
        for result in results:
            result.warnings = [
                w if result.pool and result.pool in w else f"{result.pool}: {w}"
                for w in result.warnings
            ]
    if output is ReportFormat.json and len(results) > 1:
        from asn_sql.cli.reports import generate_document

        for result in results:
            warn(result.warnings)
        print_document([generate_document(r, levels, dry_run) for r in results], out)
        for result in results:
            _summary_line(result, dry_run, verbose)
        return
    for result in results:
        _report_run(result, dry_run, verbose, output, levels)


def _report_run(
    result: GenerateResult,
    dry_run: bool,
    verbose: bool,
    output: ReportFormat,
    levels: tuple[int, ...],
) -> None:
    """What generate did: warnings, the paths written (stdout) or the JSON document, the
    summary line."""
    warn(result.warnings)
    if output is ReportFormat.json:
        from asn_sql.cli.reports import generate_document

        print_document(generate_document(result, levels, dry_run), out)
    elif result.written:
        # One print for every file: a print per line costs more than the run's finalize.
        echo_lines(out, result.written)
    _summary_line(result, dry_run, verbose)


def _summary_line(result: GenerateResult, dry_run: bool, verbose: bool) -> None:
    """The run's one line on stderr (and its timings with --verbose)."""
    summary = result.summary
    kinds = ", ".join(f"{kind} {count}" for kind, count in summary.by_type.items())
    verb = "would write" if dry_run else "wrote"
    err.print(
        f"run {summary.run_id}: {verb} {counted(summary.n_associations, 'association')}"
        + (f" ({kinds})" if kinds else "")
        + f"; {counted(summary.n_orphans, 'exposure')} in no association"
        + (f" (asnsql orphans {summary.run_id})" if summary.n_orphans else ""),
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
    rules_dir: RulesOption = None,
    ignore_default: IgnoreDefaultOption = False,
    check: Annotated[
        Path | None,
        typer.Option(
            "--check",
            metavar="DIR",
            help=(
                "Check the rule files of DIR, each alone on an empty scratch database: "
                "one line a file."
            ),
            show_default=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """List the association rules: level, jwst's name, asn_type and file."""
    from asn_sql.engine.rule_check import check_folder
    from asn_sql.engine.user_rules import rule_set
    from asn_sql.io.query import QueryResult

    if check is not None:
        checked = check_folder(check)
        for item in checked:
            if item.error is None:
                assert item.rule is not None
                what = f"replaces {item.replaces}" if item.replaces else "a new rule"
                echo(out, f"ok  {item.path}: {item.rule.name}, level {item.rule.level}, {what}")
        bad = [item for item in checked if item.error is not None]
        for item in bad:
            echo(err, f"Error: {item.error}")
        if bad:
            raise typer.Exit(code=2)
        return
    found = rule_set((2, 3), rules_dir, ignore_default)
    rows = [(r.level, r.name, r.asn_type, r.shown_path) for r in found]
    print_rows(QueryResult(["level", "rule", "asn_type", "file"], rows), output, out)


@app.command()
@handle_errors
def render(
    rule: Annotated[str, typer.Argument(help="A rule's file name (lv3_image) or jwst name.")],
    rules_dir: RulesOption = None,
    debug: DebugOption = False,
) -> None:
    """Print a rule's SQL as the engine runs it, without running it."""
    from asn_sql.engine.rules import find_rule, render_rule
    from asn_sql.engine.user_rules import rule_set

    found = find_rule(rule, rule_set((2, 3), rules_dir))
    out.print(render_rule(found), markup=False, highlight=False)


@app.command()
@handle_errors
def orphans(
    run: Annotated[
        int | None,
        typer.Argument(help="The run (default: the latest).", show_default=False),
    ] = None,
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """List the exposures a run put in no association: file name, type and why."""
    from asn_sql.tools.runs import list_orphans

    run_id, result = list_orphans(db, run)
    if output is OutputFormat.json:
        from asn_sql.cli.reports import orphans_document

        print_document(orphans_document(run_id, result), out)
    else:
        print_rows(result, output, out)
    err.print(
        f"run {run_id}: {counted(len(result.rows), 'exposure')} in no association"
        + (" (asnsql explain FILE says more)" if result.rows else ""),
        markup=False,
        highlight=False,
    )


@app.command()
@handle_errors
def runs(
    delete: Annotated[
        list[int] | None,
        typer.Option(
            "--delete",
            metavar="N",
            help="Delete run N with its associations and orphans (repeat to delete several), "
            "in one transaction.",
            show_default=False,
        ),
    ] = None,
    output: FormatOption = OutputFormat.table,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """List the kept runs, or delete some."""
    from asn_sql.cli.reports import deleted_runs_document, runs_document
    from asn_sql.tools.runs import delete_runs, list_runs

    if delete:
        deleted = delete_runs(db, delete)
        for run_id, n in deleted:
            err.print(
                f"deleted run {run_id} ({counted(n, 'association')})", markup=False, highlight=False
            )
        if output is OutputFormat.json:
            print_document(deleted_runs_document(deleted), out)
        return
    if output is OutputFormat.json:
        print_document(runs_document(list_runs(db)), out)
    else:
        print_rows(list_runs(db), output, out)


def say(text: str) -> None:
    """One line of a report on stdout; pool values in it are data: control characters
    shown as escapes."""
    echo(out, text)


# Why an exposure is where it is (asn_sql/cli/explain.py).
app.command()(cli_explain.explain)
# Commands over association files (asn_sql/cli/files.py).
app.command()(cli_files.diff)
app.command()(cli_report.report)
app.command()(cli_files.changes)
app.command()(cli_impact.impact)
app.command("from-list")(cli_files.from_list)
app.command("from-query")(cli_files.from_query)
app.command()(cli_files.edit)
app.command()(cli_files.validate)
app.command()(cli_files.export)
# Many pools in parallel (asn_sql/cli/batch.py).
app.command()(cli_batch.batch)

# Commands over pool and member files on disk (asn_sql/cli/tools.py).
app.command("make-pool")(cli_tools.make_pool)
app.command()(cli_tools.gather)


def _expand_argv(argv: list[str]) -> list[str]:
    """Accept asn_generate's spellings that typer cannot parse: a bare --version-id
    (meaning "now"), several ids after one -i/--ids, and several files after one
    --add, --remove, --background or --imprint; and SQL that starts with a comment.
    Also --db and -v before the command, and asn_edit's order (asn_sql/cli/habits.py)."""
    argv = edit_in_asnsql_order(move_global_options(argv))
    command = next((token for token in argv if not token.startswith("-")), None)
    expanded: list[str] = []
    sql_text: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if token == "--version-id" and (nxt is None or nxt.startswith("-")):
            from asn_sql.engine.run import timestamp_version_id

            expanded.append(f"--version-id={timestamp_version_id()}")
        elif token == "--save-orphans" and (nxt is None or nxt.startswith("-")):
            expanded.append(f"--save-orphans={ORPHANS_FILE}")
        elif (
            token in _FILE_LISTS
            or (token in _EDIT_FILE_LISTS and command == "edit")
            or (command == "generate" and token in ("-i", "--ids"))
        ):
            # Like argparse's nargs="+": every word up to the next option.
            words = []
            while i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                words.append(argv[i + 1])
                i += 1
            ids = token in ("-i", "--ids")
            pools = _trailing_pools(words) if ids else []
            # no word at all: an empty id, which generate refuses with one line
            expanded += [part for word in words for part in (token, word)] or [
                "--ids=" if ids else token
            ]
            expanded += pools
        elif command in _SQL_COMMANDS and "--" not in argv and _is_sql_text(token):
            sql_text.append(token)
        else:
            expanded.append(token)
        i += 1
    # After "--", click takes every word as an argument, never as an option.
    return [*expanded, "--", *sql_text] if sql_text else expanded


def _is_sql_text(token: str) -> bool:
    """Whether a word that starts with "-" is SQL (``-- a comment\nselect 1``) rather than
    an option: an option's name, before any "=", never holds whitespace."""
    return token.startswith("-") and any(c.isspace() for c in token.split("=", 1)[0])


# Commands whose one argument is SQL, which may begin with a "--" comment.
_SQL_COMMANDS = ("query", "from-query", "export")


def _trailing_pool(words: list[str]) -> str | None:
    """Take the POOL out of ``generate -i o001 c1000 pool.csv``: any word is an id, as in
    jwst, except a last one that names an existing file."""
    if len(words) > 1 and is_pool_file(Path(words[-1])):
        return words.pop()
    return None


def _trailing_pools(words: list[str]) -> list[str]:
    """Every pool file at the end of ``-i``'s words (``generate -i o001 a.csv b.csv``),
    leaving at least one id."""
    pools: list[str] = []
    while (pool := _trailing_pool(words)) is not None:
        pools.insert(0, pool)
    return pools


# Options of from-list and edit that take several file names after one flag.
_FILE_LISTS = ("--add", "--remove", "--background", "--imprint")
# asn_edit's short spellings of --add and --remove (-r is --rules elsewhere).
_EDIT_FILE_LISTS = ("-a", "-r")


def run() -> None:
    """The console entry point."""
    from asn_sql import interrupt

    try:
        argv = _expand_argv(sys.argv[1:])
        # typer builds the click command here, before the group's own error handling
        code = app(args=argv, prog_name="asnsql")
    except KeyboardInterrupt:
        sys.stderr.write(interrupt.message() + "\n")
        code = interrupt.EXIT_CODE
    interrupt.ending(code)
    sys.exit(code)
