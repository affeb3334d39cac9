"""The DMS grammar of every name built from data, and the checks that keep anything else
out of file names.

jwst 3.0.0 names association files ``jw{program}-{acid}[_{version_id}]_{asn_type}_{NNNNN}_asn``
(``jwst/associations/lib/dms_base.py``, ``_ASN_NAME_TEMPLATE``) and checks none of the
parts: a candidate id ``o001/../../x`` in a pool becomes a path. asnsql checks each part
against the grammar the DMS gives it before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path

from asn_sql.errors import AsnSqlError, UsageError

# A candidate id: o001 (observation), c1000 (APT candidate), r0001, a3001 (discovered),
# or the whole numbers of jwst's templated test pools (1000). Pool values are lower-cased.
ACID_PATTERN = r"[a-z]?[0-9]{1,10}"
# --version-id: jwst's timestamp (20261122t014027) or a tag of letters, digits, _ and -.
VERSION_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
# The file name of an association asnsql writes (lower-cased, as jwst writes it). The
# program is padded to 5 characters: digits, or letters where the pool has them (an
# empty cell of a 3-wide column reads 'nul' in jwst, which names it 00nul). The
# sequence number is zero-padded to 5 digits and keeps every digit past 99,999.
ASN_FILE_PATTERN = (
    rf"jw[0-9a-z]{{5,10}}-{ACID_PATTERN}(?:_[a-z0-9][a-z0-9_-]{{0,63}})?"
    r"_[a-z0-9][a-z0-9-]*_[0-9]{5,10}_asn\.json"
)
# What may never be part of a name that becomes a file: a path separator, a parent
# folder, NUL and the other control characters (C0, DEL, C1).
UNSAFE_PATTERN = r"[/\\\x00-\x1f\x7f-\x9f]|\.\."

_ACID = re.compile(ACID_PATTERN)
_VERSION_ID = re.compile(VERSION_ID_PATTERN)
_ASN_FILE = re.compile(ASN_FILE_PATTERN)
_UNSAFE = re.compile(UNSAFE_PATTERN)
# A folder name made from a pool's file name: '..' inside a name is harmless there
# (a.b..csv), only separators and control characters are refused.
_UNSAFE_FOLDER = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")


class NamingError(AsnSqlError):
    """A name that does not follow its DMS grammar; nothing was written."""


def is_acid(value: str) -> bool:
    """Whether ``value`` is a candidate id asnsql puts in file names (o001, c1000, 1000)."""
    return _ACID.fullmatch(value) is not None


def is_safe_part(value: str) -> bool:
    """Whether ``value`` may be part of a file name: no path separator, no '..', no
    control character. Product names and member file names are checked with this."""
    return _UNSAFE.search(value) is None


def check_version_id(value: str | None) -> str | None:
    """``value`` when it is a version id jwst's names can carry; UsageError otherwise."""
    if value is not None and _VERSION_ID.fullmatch(value) is None:
        raise UsageError(
            f"{value!r} is not a version id: use letters, digits, '_' and '-' "
            "(at most 64), starting with a letter or digit",
            settings=("version_id",),
        )
    return value


def check_product_name(value: str) -> str:
    """``value`` when it may become the stem of the pipeline's output files."""
    if not value or not is_safe_part(value):
        raise UsageError(
            f"product name {value!r} cannot name files: no path separator, '..' or control "
            "character, and not empty",
            settings=("product_name",),
        )
    return value


def pool_folder(output_dir: Path, pool: Path) -> Path:
    """``output_dir / STEM``, the folder a batch writes ``pool``'s files into.

    Raises NamingError (naming the pool) when the stem is not one plain folder name: a
    pool ``..csv`` or ``...csv`` has the stem ``.`` or ``..``, which would name
    ``output_dir`` itself or its parent; empty, separators and control characters too.
    """
    stem = pool.stem
    # A name like asnsql's temporary folders' would be taken for one and removed.
    if stem in ("", ".", "..") or _UNSAFE_FOLDER.search(stem) or stem.startswith(".asnsql-"):
        raise NamingError(
            f"cannot name an output folder after this pool ({stem!r} is not a plain folder "
            "name); rename the pool",
            path=pool,
        )
    return output_dir / stem


def check_association_file(name: str) -> None:
    """Raise NamingError unless ``name`` is a plain file name of an association as jwst
    names them; the writer checks every file this way (defence in depth)."""
    if Path(name).name != name or _ASN_FILE.fullmatch(name) is None:
        raise NamingError(
            f"refusing to write {name!r}: not an association file name "
            "(jwPPPPP-ACID[_VERSION]_TYPE_NNNNN_asn.json); nothing was written"
        )
