"""Pools from FITS headers, as jwst's asn_make_pool makes them: one row per file.

The behaviour follows jwst 3.0.0's ``jwst/associations/mkpool.py``: every keyword of
every file's primary header becomes a lower-cased column (commentary and blank cards
skipped), the columns sorted by name; a file without a keyword another file has gets
``null``; seven columns that headers do not carry get jwst's values (see
``NON_HEADER_DEFAULTS``, ``targetid`` and ``asn_candidate``). Reading the headers needs
astropy (``pip install 'asnsql[fits]'``).
"""

from __future__ import annotations

import ast
import gzip
import os
import re
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn_sql.db import same_file
from asn_sql.errors import AsnSqlError, UsageError
from asn_sql.io.staged_files import write_atomic

# Columns of an archive pool that no header holds, with the value jwst gives every
# row; a header keyword of the same name wins, an option wins over both.
NON_HEADER_DEFAULTS = {
    "dms_note": "",
    "is_imprt": "f",
    "pntgtype": "science",
    "mostilno": "1",
    "dithptin": "1",
}
# The options that set a non-header column, for the warnings' hints.
_OPTION_OF = {"dms_note": "--dms-note", "is_imprt": "--is-imprt", "pntgtype": "--pntgtype"}
_SKIPPED_KEYWORDS = ("", "COMMENT", "HISTORY")
MISSING = "null"
DELIMITER = "|"


class HeaderError(AsnSqlError):
    """FITS files whose primary header cannot be read, or a pool that cannot be written."""


@dataclass
class PoolOptions:
    """The values of asn_make_pool's options; None means "not given"."""

    asn_candidate: str | None = None
    dms_note: str | None = None
    is_imprt: str | None = None
    pntgtype: str | None = None


@dataclass
class MadePool:
    """A pool in memory: column names (sorted), one dict per file, the warnings."""

    columns: list[str]
    rows: list[dict[str, str]]
    warnings: list[str] = field(default_factory=list)


def make_pool(files: Sequence[str], options: PoolOptions | None = None) -> MadePool:
    """One pool row per file, from its primary header; FILENAME is the path as given.

    Raises HeaderError naming every file that is missing or not FITS, or that has no
    OBSERVTN keyword (the observation candidate is made from it); UsageError for a
    malformed ``--asn-candidate``.
    """
    options = options or PoolOptions()
    extra_candidates = parse_candidates(options.asn_candidate)
    headers = read_headers(files)
    header_columns = sorted({key for header in headers for key in header})
    # The non-header columns are filled below, each with its own warning.
    filled = {*NON_HEADER_DEFAULTS, "targetid", "asn_candidate"}
    columns = sorted(set(header_columns) | filled)
    rows = [{column: header.get(column, MISSING) for column in columns} for header in headers]
    notes = _missing_keyword_warnings(
        headers, [c for c in header_columns if c not in filled], files
    )
    notes += _fill_non_header(rows, headers, options)
    notes += _number_targets(rows, headers)
    notes += _folder_warnings(files)
    for row, header in zip(rows, headers, strict=True):
        row["asn_candidate"] = candidates_text(header["observtn"], extra_candidates)
    return MadePool(columns, rows, notes)


def read_headers(files: Sequence[str]) -> list[dict[str, str]]:
    """Each file's primary header as {lower-cased keyword: value as text}, in file order.

    Raises HeaderError listing every file that cannot be read, in one message.
    """
    try:
        from astropy.io import fits
    except ImportError:
        raise UsageError(
            "make-pool reads FITS headers with astropy, which is not installed: "
            "pip install 'asnsql[fits]'"
        ) from None
    headers, problems = [], []
    for name in files:
        try:
            header = _read_header(fits, name)
        except HeaderError as exc:
            problems.append(f"{name} ({exc.message})")
            continue
        if header.get("observtn", MISSING).strip() in ("", MISSING):
            problems.append(f"{name} (no OBSERVTN value for the observation candidate)")
        headers.append(header)
    if problems:
        raise HeaderError(
            f"{len(problems)} of {len(files)} files cannot make pool rows, nothing written: "
            + ", ".join(problems)
        )
    return headers


# The most of a file read to find the end of its primary header: a header of 2,880-byte
# blocks of 36 cards; real ones are a few hundred cards, so this bound is generous.
MAX_HEADER_BYTES = 16 << 20
_BLOCK = 2880
_END_CARD = b"END" + b" " * 77


def check_header_file(name: str) -> None:
    """Raise HeaderError unless ``name`` is a regular file whose primary header ends (an
    END card) within MAX_HEADER_BYTES: a device (/dev/zero), a pipe or a folder would be
    read without end, or not at all. A gzip file's header is looked for in its data."""
    try:
        mode = os.stat(name).st_mode
    except OSError as exc:
        raise HeaderError(_reason(exc)) from None
    if stat.S_ISDIR(mode):
        raise HeaderError("is a directory")
    if not stat.S_ISREG(mode):
        raise HeaderError("is not a regular file (a device, a pipe or a socket)")
    try:
        with open(name, "rb") as raw:
            handle: Any = gzip.GzipFile(fileobj=raw) if raw.read(2) == b"\x1f\x8b" else raw
            handle.seek(0)
            read = 0
            while read < MAX_HEADER_BYTES:
                block = handle.read(_BLOCK)
                if len(block) < _BLOCK:
                    return  # the file ends first: astropy says what is wrong with it
                read += _BLOCK
                if any(block[i : i + 80] == _END_CARD for i in range(0, _BLOCK, 80)):
                    return
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise HeaderError(f"not a readable FITS header: {_reason(exc)}") from None
    raise HeaderError(
        f"no END card in the first {MAX_HEADER_BYTES:,} bytes: not a FITS primary header"
    )


def _read_header(fits: Any, name: str) -> dict[str, str]:
    check_header_file(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            header = fits.getheader(name)
            values = {
                key.lower(): header_text(value)
                for key, value in header.items()
                if key not in _SKIPPED_KEYWORDS
            }
        except OSError as exc:
            if exc.errno is None and "SIMPLE" in str(exc):
                raise HeaderError("not a FITS file: no SIMPLE card") from None
            raise HeaderError(_reason(exc)) from None
        except Exception as exc:  # astropy's parsers raise many kinds on a damaged file
            raise HeaderError(f"not a readable FITS header: {_reason(exc)}") from None
    # A header astropy had to repair (a truncated file, a damaged card) is not trusted.
    damage = [w for w in caught if not issubclass(w.category, ResourceWarning)]
    if damage:
        raise HeaderError(f"damaged FITS header: {_reason(damage[0].message)}")
    values["filename"] = name
    return values


def _reason(exc: BaseException | Warning | str) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    # astropy's messages run on with advice for its API (", fix it first with .verify").
    reason = text.splitlines()[0].split(". ")[0].split(", fix it")[0].rstrip(".")
    return reason[:1].lower() + reason[1:]


def header_text(value: Any) -> str:
    """A header value as the pool cell jwst writes: ``str()`` of it (True, 1.5, NIRCAM),
    but a keyword without a value is ``null`` (jwst writes ``None``, which reads as set)."""
    return MISSING if value is None else str(value)


def parse_candidates(text: str | None) -> list[tuple[str, str]]:
    """``--asn-candidate``: a Python list of (id, type) pairs, as jwst's option takes it.

    Raises UsageError for anything else, rather than writing a cell jwst cannot read.
    """
    if text is None:
        return []
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(v, str) for v in pair)
        for pair in value
    ):
        raise UsageError(
            "the extra candidates must be a list of (id, type) pairs, "
            f"like \"[('c1000', 'background')]\"; got {text!r}",
            settings=("asn_candidate",),
        )
    return [(str(pair[0]), str(pair[1])) for pair in value]


def candidates_text(observation: str, extra: list[tuple[str, str]]) -> str:
    """The ASN_CANDIDATE cell: the observation candidate ``o`` + OBSERVTN (padded to three
    digits when numeric, as archive pools have it), then the extra candidates."""
    number = observation.zfill(3) if observation.isdigit() else observation
    return str([(f"o{number}", "observation"), *extra])


def _missing_keyword_warnings(
    headers: list[dict[str, str]], columns: list[str], files: Sequence[str]
) -> list[str]:
    notes = []
    for column in columns:
        pairs = zip(files, headers, strict=True)
        lacking = [name for name, header in pairs if column not in header]
        if lacking:
            shown = ", ".join(lacking[:3]) + (", ..." if len(lacking) > 3 else "")
            notes.append(
                f"{column}: not in the header of {len(lacking)} of {len(files)} files "
                f"({shown}); set to {MISSING}"
            )
    return notes


def _fill_non_header(
    rows: list[dict[str, str]], headers: list[dict[str, str]], options: PoolOptions
) -> list[str]:
    notes = []
    for column, default in NON_HEADER_DEFAULTS.items():
        given = getattr(options, column, None)
        defaulted = 0
        for row, header in zip(rows, headers, strict=True):
            if given is not None:
                row[column] = given
            elif column in header:
                row[column] = header[column]
            else:
                row[column] = default
                defaulted += 1
        if defaulted:
            hint = f"; see {_OPTION_OF[column]}" if column in _OPTION_OF else ""
            notes.append(
                f"{column}: {default!r} for {_how_many(defaulted, len(rows))} "
                f"(no {column.upper()} keyword; jwst's default{hint})"
            )
    return notes


def _number_targets(rows: list[dict[str, str]], headers: list[dict[str, str]]) -> list[str]:
    """targetid, as jwst numbers it: 1, 2, ... by TARGNAME in order of first appearance."""
    numbers: dict[str, str] = {}
    computed = 0
    for row, header in zip(rows, headers, strict=True):
        if "targetid" in header:
            continue
        name = header.get("targname", MISSING)
        row["targetid"] = numbers.setdefault(name, str(len(numbers) + 1))
        computed += 1
    if not computed:
        return []
    return [
        f"targetid: numbered by TARGNAME in file order for {_how_many(computed, len(rows))} "
        "(no TARGETID keyword; jwst's default)"
    ]


def _folder_warnings(files: Sequence[str]) -> list[str]:
    """A file named with its folder is a `filename` that takes part in no association
    (asn_sql/names.py): say so now, while the remedy is to run make-pool there."""
    named = [name for name in files if "/" in name or "\\" in name]
    if not named:
        return []
    shown = ", ".join(named[:3]) + (", ..." if len(named) > 3 else "")
    return [
        f"filename: {_how_many(len(named), len(files))} named with a folder ({shown}); "
        "generate leaves such rows out: run make-pool in the files' folder"
    ]


def _how_many(count: int, total: int) -> str:
    return "every file" if count == total else f"{count} of {total} files"


def pool_text(pool: MadePool) -> str:
    """The pool as jwst writes one: a header row of column names, ``|``-delimited rows;
    a cell holding the delimiter or a quote is quoted, as astropy's writer does."""
    lines = [_line(pool.columns)]
    lines += [_line([row[column] for column in pool.columns]) for row in pool.rows]
    return "\n".join(lines) + "\n"


def _line(cells: list[str]) -> str:
    return DELIMITER.join(_quoted(cell, first=i == 0) for i, cell in enumerate(cells))


def _quoted(cell: str, *, first: bool) -> str:
    # A first cell starting with '#' would turn the row into a comment line.
    if any(c in cell for c in (DELIMITER, '"', "\n", "\r")) or (first and cell.startswith("#")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def write_pool(path: Path, pool: MadePool, inputs: Sequence[str] = ()) -> None:
    """Write the pool atomically: the file appears only when complete.

    Raises HeaderError when ``path`` is one of the inputs or looks like a FITS file (a
    forgotten POOL argument would otherwise overwrite the first FITS file).
    """
    if path.name.lower().endswith((".fits", ".fits.gz", ".fit", ".fts")) or any(
        Path(name).resolve() == path.resolve() or same_file(Path(name), path) for name in inputs
    ):
        raise HeaderError(
            "the pool to write is a FITS file; the pool comes first "
            "(asnsql make-pool POOL.csv FILE...)",
            path=path,
        )
    if not path.parent.is_dir():
        raise HeaderError("the folder to write the pool into does not exist", path=path)
    text = pool_text(pool)
    check_loadable(pool, text)
    write_atomic(path, text)


# What a file name in a pool cannot hold: the delimiter, a quote, a line break or any
# other control character (a name jwst could not read back as one field of one row).
_BAD_NAME = re.compile(r'[|"\x00-\x1f\x7f-\x9f]')


def check_loadable(pool: MadePool, text: str) -> None:
    """Raise HeaderError, naming the files, unless ``text`` loads back as ``pool``: one row
    per file, each FILENAME as given. A name with a line break or the delimiter would
    write a pool that `asnsql load` and jwst refuse or read otherwise."""
    bad = [row["filename"] for row in pool.rows if _BAD_NAME.search(row["filename"])]
    if bad:
        shown = ", ".join(repr(name) for name in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise HeaderError(
            f"{len(bad)} file names cannot be written into a pool (a line break, a control "
            f"character, '|' or '\"'; rename the files): {shown}; nothing written"
        )
    _check_reads_back(pool, text)


def _check_reads_back(pool: MadePool, text: str) -> None:
    # The loader itself, on a private in-memory database: what load will say of the file.
    from asn_sql import db
    from asn_sql.errors import PoolError
    from asn_sql.io.pool import create_staging, stage_pool

    con = db.connect_memory()
    try:
        create_staging(con)
        staged = stage_pool(con, Path("pool.csv"), 0, DELIMITER, contents=text.encode("utf-8"))
    except PoolError as exc:
        raise HeaderError(f"the pool made would not load ({exc}); nothing written") from None
    finally:
        con.close()
    if staged.row_count != len(pool.rows):
        raise HeaderError(
            f"the pool made would load as {staged.row_count} rows, not {len(pool.rows)}; "
            "nothing written"
        )
