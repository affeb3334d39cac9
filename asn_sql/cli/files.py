"""Commands over association files: diff, changes, from-list, from-query, edit, validate, export.

asn_sql/cli/main.py registers them on the app; the work is in diff.py, from_list.py,
edit.py, documents.py and export.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from asn_sql.cli.common import (
    DbOption,
    DebugOption,
    ReportFormatOption,
    echo,
    err,
    handle_errors,
    out,
    output_file,
    warn,
)
from asn_sql.cli.formats import ReportFormat, print_document
from asn_sql.defaults import DEFAULT_DB
from asn_sql.errors import UsageError
from asn_sql.values import counted

DiffSideArgument = Annotated[
    str,
    typer.Argument(
        help="A run id, a folder of association files, or a loaded pool's name or program "
        "(its latest run).",
        show_default=False,
    ),
]


@handle_errors
def diff(
    old: DiffSideArgument,
    new: DiffSideArgument,
    output: ReportFormatOption = ReportFormat.text,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """Compare two sets of associations; exit 0 when they are equal, 1 when they differ."""
    from asn_sql.api import diff_side
    from asn_sql.tools.diff import diff_documents, report_lines, summary_line

    a, b = diff_side(old, db), diff_side(new, db)
    warn(a.notes + b.notes)
    for side in (a, b):
        if side.pool is not None:
            echo(err, f"{side.pool}: run {side.run_id}")
    report = diff_documents(a.documents, b.documents, a.exposures, b.exposures)
    if output is ReportFormat.json:
        from asn_sql.cli.reports import diff_document

        print_document(diff_document(report, a.notes + b.notes), out)
    else:
        for line in report_lines(report):
            echo(out, line)
    echo(err, summary_line(report))
    if not report.equal:
        raise typer.Exit(code=1)


@handle_errors
def changes(
    pool: Annotated[
        str,
        typer.Argument(
            help="A loaded pool's name, or a program (jw01234: its newest version).",
            show_default=False,
        ),
    ],
    output: ReportFormatOption = ReportFormat.text,
    db: DbOption = Path(DEFAULT_DB),
    debug: DebugOption = False,
) -> None:
    """What changed since a pool's version before: associations added, changed, removed, orphans.

    Exit 0 when nothing changed, 1 when something did."""
    from asn_sql.tools.diff import report_lines, summary_line
    from asn_sql.tools.versions import pool_changes

    found = pool_changes(db, pool)
    warn(found.warnings)
    if output is ReportFormat.json:
        from asn_sql.cli.reports import changes_document

        print_document(changes_document(found), out)
    else:
        for line in report_lines(found.report):
            echo(out, line)
    echo(
        err,
        f"{found.pool} (run {found.run_id}) against {found.previous} (run {found.previous_run_id})",
    )
    echo(err, summary_line(found.report))
    if not found.report.equal:
        raise typer.Exit(code=1)


AsnOutputOption = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        "--output-file",
        metavar="OUTPUT",
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
        "-i",
        "--id",
        help="The candidate id: o999 for Level 2 and a3001 for Level 3 unless given.",
        show_default=False,
    ),
]


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
    from asn_sql.tools import from_list as fl

    members = fl.members_from_files(files, background or [], imprint or [])
    options = fl.Options(asn_type, product_name, program, asn_id)
    target = output_file(output, "-o")
    written = fl.write_association(fl.build_association(members, options), target)
    echo(out, str(written))


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
    from asn_sql.tools import from_list as fl

    target = output_file(output, "-o")
    data = fl.from_query(db, sql, fl.Options(asn_type, product_name, program, asn_id))
    echo(out, str(fl.write_association(data, target)))


@handle_errors
def edit(
    association: Annotated[
        str | None,
        typer.Argument(
            help="The association file (.json) to edit.", metavar="ASN", show_default=False
        ),
    ] = None,
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add",
            "-a",
            help="Files to add, by base name, to every product.",
            show_default=False,
        ),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option(
            "--remove",
            "-r",
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
            "--ignore",
            help="Match removals by root, ignoring the extension and a known suffix "
            "(_rate, _cal, ...).",
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="OUTPUT",
            help="Write here (.json) instead of in place.",
            show_default=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Add or remove members of an association, as asn_edit does; products left empty go."""
    from asn_sql.tools.edit import edit_file

    if association is None:
        raise UsageError(_no_association(add or [], remove or []))
    result = edit_file(
        output_file(association, "ASN", "edit"),
        add=add or [],
        remove=remove or [],
        exptype=exptype,
        ignore_suffix=ignore_suffix,
        output=output_file(output, "-o") if output is not None else None,
    )
    if result.not_found:
        warn([f"not in {association}: {', '.join(result.not_found)}"])
    echo(out, str(result.written))
    err.print(f"{counted(result.removed, 'member')} removed, {result.added} added", highlight=False)


def _no_association(add: list[str], remove: list[str]) -> str:
    """What ``edit`` without its ASN argument is missing. asn_edit's order with no file
    after the association (``edit -a m2.json``) reads as an add of that file to no
    association: say that no files were given."""
    files = [*add, *remove]
    if len(files) == 1 and files[0].lower().endswith(".json"):
        doing = "add" if add else "remove"
        return f"no files given to {doing}: {files[0]} is the association (edit ASN -a|-r FILE…)"
    return "no association file given (edit ASN -a|-r FILE…)"


@handle_errors
def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Association files (.json) to check.", show_default=False)
    ],
    output: ReportFormatOption = ReportFormat.text,
    debug: DebugOption = False,
) -> None:
    """Check association files against jwst's schemas, printing every error with its path."""
    from asn_sql.io.documents import file_errors

    checked = []
    for path in files:
        errors = file_errors(path)
        checked.append((path, errors))
        if output is ReportFormat.text:
            for line in errors:
                echo(out, line)
    invalid = sum(bool(errors) for _, errors in checked)
    if output is ReportFormat.json:
        from asn_sql.cli.reports import validate_document

        print_document(validate_document(checked), out)
    if invalid:
        raise UsageError(f"{invalid} of {len(files)} files invalid")
    err.print(f"{counted(len(files), 'file')} valid", highlight=False)


@handle_errors
def export(
    source: Annotated[
        str, typer.Argument(help="A table or view name, or a query.", show_default=False)
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="OUTPUT",
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
    from asn_sql.io.export import export as export_rows
    from asn_sql.io.export import parse_format

    target = output_file(output, "-o")
    count = export_rows(db, source, target, parse_format(file_format))
    echo(out, str(target))
    err.print(f"{counted(count, 'row')} written", highlight=False)
