"""Commands around pools and association files on disk: make-pool, gather.

asn_sql/cli/main.py registers them on the app; the work is in make_pool.py and gather.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from asn_sql.cli.common import DebugOption, echo, err, handle_errors, out, output_file, warn
from asn_sql.errors import UsageError
from asn_sql.values import counted


@handle_errors
def make_pool(
    pool: Annotated[
        str,
        typer.Argument(
            help="The pool file to write (overwritten).", metavar="POOL", show_default=False
        ),
    ],
    files: Annotated[
        list[str],
        typer.Argument(
            help="FITS files, one pool row each, names as given.",
            metavar="FILE",
            show_default=False,
        ),
    ],
    asn_candidate: Annotated[
        str | None,
        typer.Option(
            "--asn-candidate",
            help="Candidates every row gets after its observation candidate, as a list of "
            "(id, type) pairs: \"[('c1000', 'background')]\".",
            show_default=False,
        ),
    ] = None,
    dms_note: Annotated[
        str | None,
        typer.Option(
            "--dms-note",
            help="The dms_note of every row (default: the header's DMS_NOTE, else empty).",
            show_default=False,
        ),
    ] = None,
    is_imprt: Annotated[
        str | None,
        typer.Option(
            "--is-imprt",
            help="The is_imprt of every row, t for imprint exposures "
            "(default: the header's IS_IMPRT, else f).",
            show_default=False,
        ),
    ] = None,
    pntgtype: Annotated[
        str | None,
        typer.Option(
            "--pntgtype",
            help="The pntgtype of every row: science or target_acquisition "
            "(default: the header's PNTGTYPE, else science).",
            show_default=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Write an association pool from FITS primary headers, as asn_make_pool does."""
    from asn_sql.tools import make_pool as mp

    target = output_file(pool, "POOL")
    options = mp.PoolOptions(asn_candidate, dms_note, is_imprt, pntgtype)
    made = mp.make_pool(files, options)
    mp.write_pool(target, made, files)
    warn(made.warnings)
    echo(out, str(pool))
    err.print(
        f"{counted(len(made.rows), 'row')}, {counted(len(made.columns), 'column')}",
        highlight=False,
    )


def _types(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma-separated lists alike: -t science -t background,imprint."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@handle_errors
def gather(
    association: Annotated[
        Path,
        typer.Argument(
            help="The association file (.json) to gather.", metavar="ASN", show_default=False
        ),
    ],
    destination: Annotated[
        Path,
        typer.Argument(
            help="The folder for the members and the association (made if missing).",
            metavar="DEST",
            show_default=False,
        ),
    ],
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            "-s",
            help="The folder holding the members (default: the association's folder).",
            show_default=False,
        ),
    ] = None,
    exp_types: Annotated[
        list[str] | None,
        typer.Option(
            "--exp-types",
            "-t",
            help="Gather only members of these exptypes (repeat, or separate by commas).",
            show_default=False,
        ),
    ] = None,
    exclude_types: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-types",
            "-x",
            help="Leave out members of these exptypes (repeat, or separate by commas).",
            show_default=False,
        ),
    ] = None,
    link: Annotated[
        bool, typer.Option("--link", help="Hard-link the member files instead of copying.")
    ] = False,
    symlink: Annotated[
        bool, typer.Option("--symlink", help="Symlink the member files instead of copying.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be written; write nothing.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Copy an association's members into a folder with the association, as asn_gather does."""
    from asn_sql.tools.gather import Mode, carry_out, plan_gather

    if link and symlink:
        raise UsageError("--link and --symlink exclude each other")
    mode = Mode.link if link else Mode.symlink if symlink else Mode.copy
    plan = plan_gather(
        association,
        destination,
        source=source,
        exp_types=_types(exp_types),
        exclude_types=_types(exclude_types) or [],
    )
    counts = f"{counted(plan.members, 'member')} of {counted(plan.products, 'product')}"
    if dry_run:
        for transfer in plan.transfers:
            echo(out, f"{mode} {transfer.source} -> {transfer.target}")
        echo(out, f"write {plan.target}")
        err.print(f"dry run: {counts}, nothing written", highlight=False)
        return
    written = carry_out(plan, mode)
    echo(out, str(plan.target))
    verb = {Mode.copy: "copied", Mode.link: "linked", Mode.symlink: "symlinked"}[mode]
    err.print(
        f"{counts}: {counted(len(written) - 1, 'file')} {verb}, "
        f"{len(plan.transfers) - len(written) + 1} already there",
        highlight=False,
    )
