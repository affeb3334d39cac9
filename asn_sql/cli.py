"""The asnsql command line: parses options, calls one function, prints a summary."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from asn_sql import __version__
from asn_sql.api import generate_documents
from asn_sql.db import DB_ENV, DEFAULT_DB
from asn_sql.errors import AsnSqlError, UsageError
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
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        help=f"The database file. Defaults to ${DB_ENV}, else {DEFAULT_DB} in this directory.",
        show_default=False,
    ),
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show the full traceback of an error.", hidden=True)
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Print rows as a table, CSV or JSON.")
]


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an AsnSqlError into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except AsnSqlError as exc:
            if kwargs.get("debug"):
                raise
            err.print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper


def warn(messages: list[str]) -> None:
    """Print each warning on stderr."""
    for message in messages:
        err.print(f"Warning: {message}", markup=False, highlight=False)


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
def diff(
    old: Annotated[
        str, typer.Argument(help="A run id or a folder of association files.", show_default=False)
    ],
    new: Annotated[
        str, typer.Argument(help="A run id or a folder of association files.", show_default=False)
    ],
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Compare two sets of associations; exit 0 when they are equal, 1 when they differ."""
    from asn_sql.api import read_diff_side
    from asn_sql.diff import diff_documents, report_lines, summary_line

    (old_docs, old_notes), (new_docs, new_notes) = read_diff_side(old, db), read_diff_side(new, db)
    warn(old_notes + new_notes)
    report = diff_documents(old_docs, new_docs)
    for line in report_lines(report):
        out.print(line, markup=False, highlight=False)
    err.print(summary_line(report), markup=False, highlight=False)
    if not report.equal:
        raise typer.Exit(code=1)


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


AsnOutputOption = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="The association file to write; it must end in .json.",
        show_default=False,
    ),
]
AsnTypeOption = Annotated[
    str,
    typer.Option(
        "--type",
        "-t",
        help="The association type: image2, spec2, tso-image2, tso-spec2, nrslamp-spec2, "
        "image3, spec3, coron3, ami3, tso3 or wfs-image3. Its digit sets the level.",
        show_default=False,
    ),
]
ProductNameOption = Annotated[
    str | None,
    typer.Option(
        "--product-name",
        help="The product's name. Level 3 needs one unless a query's pool rows give it; "
        "Level 2 products are named for their science files.",
        show_default=False,
    ),
]
ProgramOption = Annotated[
    str | None,
    typer.Option(
        "--program",
        help="The program number, written zero-padded to 5 digits.",
        show_default=False,
    ),
]
AsnIdOption = Annotated[
    str | None,
    typer.Option(
        "--asn-id",
        help="The candidate id: o999 for Level 2 and a3001 for Level 3 unless given.",
        show_default=False,
    ),
]


@app.command("from-list")
@handle_errors
def from_list(
    files: Annotated[
        list[str], typer.Argument(help="The science files, names as given.", show_default=False)
    ],
    output: AsnOutputOption,
    asn_type: AsnTypeOption,
    product_name: ProductNameOption = None,
    program: ProgramOption = None,
    asn_id: AsnIdOption = None,
    background: Annotated[
        list[str] | None,
        typer.Option(
            "--background", help="Background files, joined to every product.", show_default=False
        ),
    ] = None,
    imprint: Annotated[
        list[str] | None,
        typer.Option(
            "--imprint", help="Imprint files, joined to every product.", show_default=False
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Write an association of the files given, as asn_from_list does, with its type, rule,
    program and ids filled in and checked against jwst's schema."""
    from asn_sql import from_list as fl

    members = fl.members_from_files(files, background or [], imprint or [])
    options = fl.Options(asn_type, product_name, program, asn_id)
    written = fl.write_association(fl.build_association(members, options), output)
    out.print(str(written), markup=False, highlight=False)


@app.command("from-query")
@handle_errors
def from_query(
    sql: Annotated[
        str,
        typer.Argument(
            help="A query returning a filename column, and optionally exptype (the role, "
            "science by default), pool_id and row_no (to name things from the pool).",
            show_default=False,
        ),
    ],
    output: AsnOutputOption,
    asn_type: AsnTypeOption,
    product_name: ProductNameOption = None,
    program: ProgramOption = None,
    asn_id: AsnIdOption = None,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Write an association of the exposures a query returns, from a read-only database."""
    from asn_sql import from_list as fl

    data = fl.from_query(db, sql, fl.Options(asn_type, product_name, program, asn_id))
    out.print(str(fl.write_association(data, output)), markup=False, highlight=False)


@app.command()
@handle_errors
def edit(
    association: Annotated[
        Path, typer.Argument(help="The association file (.json) to edit.", show_default=False)
    ],
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add", help="Files to add, by base name, to every product.", show_default=False
        ),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option(
            "--remove",
            help="Files whose members to remove, matched by base name.",
            show_default=False,
        ),
    ] = None,
    exptype: Annotated[
        str, typer.Option("--type", "-t", help="The role (exptype) of the files added.")
    ] = "science",
    ignore_suffix: Annotated[
        bool,
        typer.Option(
            "--ignore-suffix",
            help="Match removals by root, ignoring the extension and a known suffix "
            "(_rate, _cal, ...).",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write here (.json) instead of in place.", show_default=False
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Add or remove members of an association, as asn_edit does; products left empty go."""
    from asn_sql.edit import edit_file

    result = edit_file(
        association,
        add=add or [],
        remove=remove or [],
        exptype=exptype,
        ignore_suffix=ignore_suffix,
        output=output,
    )
    if result.not_found:
        warn([f"not in {association}: {', '.join(result.not_found)}"])
    out.print(str(result.written), markup=False, highlight=False)
    err.print(f"{result.removed} members removed, {result.added} added", highlight=False)


@app.command()
@handle_errors
def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Association files (.json) to check.", show_default=False)
    ],
    debug: DebugOption = False,
) -> None:
    """Check association files against jwst's schemas, printing every error with its path."""
    from asn_sql.documents import file_errors

    invalid = 0
    for path in files:
        errors = file_errors(path)
        invalid += bool(errors)
        for line in errors:
            out.print(line, markup=False, highlight=False)
    if invalid:
        raise UsageError(f"{invalid} of {len(files)} files invalid")
    err.print(f"{len(files)} files valid", highlight=False)


@app.command()
@handle_errors
def export(
    source: Annotated[
        str, typer.Argument(help="A table or view name, or a query.", show_default=False)
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The file to write: .csv, .parquet, .json (an array) or .ndjson.",
            show_default=False,
        ),
    ],
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, parquet, json or ndjson, when the file name does not say.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Write a table or a query's rows to a file, from a read-only database."""
    from asn_sql.export import export as export_rows
    from asn_sql.export import parse_format

    count = export_rows(db, source, output, parse_format(file_format))
    out.print(str(output), markup=False, highlight=False)
    err.print(f"{count} rows written", highlight=False)


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
