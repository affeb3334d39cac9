"""Reading pool files as jwst does, into staging tables, with clear errors for bad input."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from asn_sql.db import execute_script
from asn_sql.defaults import DEFAULT_DELIMITER
from asn_sql.errors import MissingFileError, PoolError, UsageError
from asn_sql.templates import render_sql

# jwst cannot work without these columns (../shared/spec/pool.md §2.2).
REQUIRED_COLUMNS = ("filename", "exp_type")
_BOM = "\ufeff"
_GLOB_CHARACTERS = frozenset("*?[")
# The longest value a pool may hold (characters); real pools' longest are ~200.
MAX_FIELD_CHARS = 65_536
# The most a pool read through a pipe may hold (bytes); a file is read whole.
MAX_PIPE_BYTES = 1 << 30


@dataclass
class StagedPool:
    """One pool file, split into fields in the staging tables and checked."""

    index: int
    path: Path
    name: str
    sha256: str
    delimiter: str
    header_line: int
    columns: list[str]
    comments: list[str]
    row_count: int
    null_tokens: list[str] = field(repr=False)


def check_delimiter(delimiter: str) -> str:
    """The delimiter as one character; ``\\t`` spelled out means a tab."""
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise UsageError(
            f"the delimiter must be one character other than a quote, not {delimiter!r}",
            settings=("delimiter",),
        )
    return delimiter


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp tables that hold pool files while they are checked."""
    execute_script(con, render_sql("load/staging.sql"))


def stage_pool(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    index: int,
    delimiter: str = DEFAULT_DELIMITER,
    *,
    contents: bytes | None = None,
) -> StagedPool:
    """Split ``path`` into the staging tables and check it. With ``contents``, those are
    the file's bytes (read elsewhere, as a batch's coordinator sends them to a worker)
    and ``path`` only names the pool.

    Raises PoolError, naming the line and column, where jwst could not read the file.
    """
    data = read_pool_bytes(path) if contents is None else _check_not_empty(contents, path)
    sha256 = hashlib.sha256(data).hexdigest()
    text: str | None = _decode(data, path)
    # DuckDB reads the file itself far faster than it takes a long string from
    # Python, but it would read a name holding glob characters as a pattern, and
    # a pipe (`asnsql load <(...)`) cannot be read twice.
    from_file = contents is None and path.is_file() and not _GLOB_CHARACTERS.intersection(str(path))
    if from_file:
        text = None  # checked; let go of it before DuckDB needs the memory
    del data
    execute_script(
        con,
        render_sql("load/split_lines.sql", from_file=from_file, many=False),
        {
            "pool_index": index,
            "path": str(path.absolute()),
            "text": text,
            "delimiter": delimiter,
            "quoted_field": _quoted_field_pattern(delimiter),
            "padded_field": _padded_field_pattern(delimiter),
        },
    )
    del text
    pool = _check_staged(con, path, index, sha256, delimiter)
    # Only the fields are needed from here on; a big pool's lines are as big again.
    con.execute("create or replace temp table pool_lines as from pool_lines limit 0")
    return pool


def _check_staged(
    con: duckdb.DuckDBPyConnection, path: Path, index: int, sha256: str, delimiter: str
) -> StagedPool:
    """Check a pool split into the staging tables, a query a check, in the order the
    errors are told; PoolError as :func:`stage_pool` raises it."""
    header_line, header = _header(con, index, path)
    columns = _column_names(header, path, header_line)
    _check_required(
        columns, path, header_line, delimiter, lambda: _line_text(con, index, header_line)
    )
    row_count = _check_field_counts(con, index, path, len(columns), header_line, delimiter)
    widths = _column_widths(con, index, header_line, len(columns))
    _check_field_sizes(con, index, path, columns, widths, header_line, delimiter)
    return _staged(
        path,
        index,
        sha256,
        delimiter,
        header_line,
        columns,
        widths,
        row_count,
        _comments(con, index),
    )


def _staged(
    path: Path,
    index: int,
    sha256: str,
    delimiter: str,
    header_line: int,
    columns: list[str],
    widths: list[int | None],
    row_count: int,
    comments: list[str],
) -> StagedPool:
    return StagedPool(
        index=index,
        path=path,
        name=path.name,
        sha256=sha256,
        delimiter=delimiter,
        header_line=header_line,
        columns=columns,
        comments=comments,
        row_count=row_count,
        null_tokens=["null"[: max(1, width or 0)] for width in widths],
    )


def stage_pool_set(
    con: duckdb.DuckDBPyConnection,
    pools: Sequence[tuple[Path, bytes]],
    delimiter: str = DEFAULT_DELIMITER,
) -> list[StagedPool | PoolError]:
    """Split several pools (path, bytes read elsewhere), pool i as staging index i, into
    the staging tables by the same few statements for them all, and check each: what
    :func:`stage_pool` gives for each, or the PoolError it raises, in place of the pool
    (the other pools are staged). A batch's worker stages its chunk so: a statement
    costs about as much for one small pool as for dozens."""
    found: list[StagedPool | PoolError | None] = [None] * len(pools)
    texts: dict[int, str] = {}
    digests: dict[int, str] = {}
    for index, (path, data) in enumerate(pools):
        try:
            texts[index] = _decode(_check_not_empty(data, path), path)
        except PoolError as exc:
            found[index] = exc
        digests[index] = hashlib.sha256(data).hexdigest()
    if texts:
        execute_script(
            con,
            render_sql("load/split_lines.sql", from_file=False, many=True),
            {
                "pool_indexes": list(texts),
                "texts": list(texts.values()),
                "delimiter": delimiter,
                "quoted_field": _quoted_field_pattern(delimiter),
                "padded_field": _padded_field_pattern(delimiter),
            },
        )
        facts = _facts(con, list(texts))
        for index in texts:
            path = pools[index][0]
            try:
                found[index] = _checked_set(con, path, index, digests[index], delimiter, facts)
            except PoolError as exc:
                found[index] = exc
        con.execute("create or replace temp table pool_lines as from pool_lines limit 0")
    return [pool for pool in found if pool is not None]


def _checked_set(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    index: int,
    sha256: str,
    delimiter: str,
    facts: dict[int, tuple[int, list[str], int, bool, list[int | None], list[str]]],
) -> StagedPool:
    """A pool of a set checked from what :func:`_facts` found for it; a pool that would
    fail a check of the staging tables is checked alone (:func:`_check_staged`), so that
    its error is the one :func:`stage_pool` raises."""
    fact = facts.get(index)
    if fact is None:
        return _check_staged(con, path, index, sha256, delimiter)  # no header row
    header_line, header, row_count, bad_counts, widths, comments = fact
    columns = _column_names(header, path, header_line)
    _check_required(
        columns, path, header_line, delimiter, lambda: _line_text(con, index, header_line)
    )
    widths = widths[: len(columns)]
    if bad_counts or any((width or 0) > MAX_FIELD_CHARS for width in widths):
        return _check_staged(con, path, index, sha256, delimiter)
    return _staged(
        path, index, sha256, delimiter, header_line, columns, widths, row_count, comments
    )


def _facts(
    con: duckdb.DuckDBPyConnection, indexes: list[int]
) -> dict[int, tuple[int, list[str], int, bool, list[int | None], list[str]]]:
    """For each staged pool of ``indexes`` with a header row: its header's line and
    fields, its rows, whether a row has another count of fields than the header, the
    length of each column's longest value (as far as the widest header) and its
    comments; three queries for the set."""
    headers = con.execute(
        "select pool_index, min(line_no), arg_min(fields, line_no) from pool_fields "
        "where list_contains($indexes, pool_index) group by pool_index",
        {"indexes": indexes},
    ).fetchall()
    if not headers:
        return {}
    widest = max(len(header) for _, _, header in headers)
    widths_sql = ", ".join(f"max(length(f.fields[{i}]))" for i in range(1, widest + 1))
    rows = con.execute(
        f"""
        with header as (
            select unnest($indexes) as pool_index, unnest($lines) as header_line,
                   unnest($counts) as n
        )
        select h.pool_index, count(f.line_no), coalesce(bool_or(len(f.fields) <> h.n), false),
               [{widths_sql}]
        from header as h
        left join pool_fields as f on f.pool_index = h.pool_index and f.line_no > h.header_line
        group by h.pool_index
        """,
        {
            "indexes": [index for index, _, _ in headers],
            "lines": [line for _, line, _ in headers],
            "counts": [len(header) for _, _, header in headers],
        },
    ).fetchall()
    comments = dict(
        con.execute(
            "select pool_index, "
            "list(regexp_replace(rtrim(line, chr(13)), '^[ \\t]*# ?', '') order by line_no) "
            "from pool_lines where list_contains($indexes, pool_index) "
            "and pool_line_kind(line) = 'comment' group by pool_index",
            {"indexes": indexes},
        ).fetchall()
    )
    counted = {index: (count, bad, widths) for index, count, bad, widths in rows}
    return {
        index: (line, header, *counted[index], comments.get(index, []))
        for index, line, header in headers
    }


def read_pool_bytes(path: Path) -> bytes:
    """The bytes of a pool file; MissingFileError when it is missing, PoolError when it is
    not a regular file (or a pipe), unreadable or empty."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise MissingFileError(path=path) from None
    except OSError as exc:
        raise PoolError(f"cannot read the file: {exc.strerror}", path=path) from None
    if stat.S_ISDIR(mode):
        raise PoolError("is a directory, not a pool file", path=path)
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        # a device such as /dev/zero would be read until memory runs out
        raise PoolError(f"is {_kind(mode)}, not a pool file: a pool is a regular file", path=path)
    try:
        data = path.read_bytes() if stat.S_ISREG(mode) else _read_pipe(path)
    except OSError as exc:
        raise PoolError(f"cannot read the file: {exc.strerror}", path=path) from None
    return _check_not_empty(data, path)


def _check_not_empty(data: bytes, path: Path) -> bytes:
    # isspace() stops at the first other byte; strip() would copy the whole file
    if not data or data.isspace():
        raise PoolError("the file is empty: a pool needs a header row", path=path)
    return data


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _read_pipe(path: Path) -> bytes:
    """A pipe's bytes (``asnsql load <(zcat pool.csv.gz)``), at most MAX_PIPE_BYTES."""
    with path.open("rb") as pipe:
        data = pipe.read(MAX_PIPE_BYTES + 1)
    if len(data) > MAX_PIPE_BYTES:
        raise PoolError(
            f"the pipe gave more than {MAX_PIPE_BYTES:,} bytes; save the pool to a file", path=path
        )
    return data


def _decode(data: bytes, path: Path) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data[8:12] == b"DUCK":  # DuckDB's header (db.is_duckdb_file): --db given as a pool
            raise PoolError(
                "is a DuckDB database, not a pool", path=path, settings=("db",)
            ) from None
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise PoolError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the pool as UTF-8",
            path=path,
            line=line,
            column=column,
        ) from None
    return text.removeprefix(_BOM)


def _escaped(delimiter: str) -> str:
    return delimiter if delimiter.isalnum() or delimiter.isspace() else "\\" + delimiter


def _quoted_field_pattern(delimiter: str) -> str:
    # A quoted field may hold the delimiter and doubled quotes ("a ""b"" | c").
    d = _escaped(delimiter)
    return rf'[ \t]*("(?:[^"]|"")*"|[^{d}]*?)[ \t]*{d}'


def _padded_field_pattern(delimiter: str) -> str:
    d = _escaped(delimiter)
    return rf"^[ \t]|[ \t]$|[ \t]{d}|{d}[ \t]"


def _header(con: duckdb.DuckDBPyConnection, index: int, path: Path) -> tuple[int, list[str]]:
    row = con.execute(
        "select line_no, fields from pool_fields where pool_index = $i order by line_no limit 1",
        {"i": index},
    ).fetchone()
    if row is None:
        raise PoolError("no header row: the file holds only comments and blank lines", path=path)
    return row[0], row[1]


def _column_names(header: list[str], path: Path, line: int) -> list[str]:
    # astropy renames exact repeats (x, x_1, x_2...) before jwst lower-cases the names.
    renamed: list[str] = []
    seen: dict[str, int] = {}
    for name in header:
        count = seen.get(name, 0)
        seen[name] = count + 1
        renamed.append(name if count == 0 else f"{name}_{count}")
    lowered: dict[str, str] = {}
    for position, name in enumerate(renamed, start=1):
        if not name:
            raise PoolError(f"header field {position} is empty", path=path, line=line)
        other = lowered.get(name.lower())
        if other is not None:
            raise PoolError(
                f"columns {other!r} and {name!r} have the same name once lower-cased",
                path=path,
                line=line,
            )
        lowered[name.lower()] = name
    return list(lowered)


# The delimiters a pool is likely written with, for the hint when the one given splits
# nothing.
_LIKELY_DELIMITERS = ("|", ",", "\t", ";")


def _likely_delimiter(text: str, given: str) -> str | None:
    """The likely delimiter other than ``given`` that ``text`` holds most often, if any."""
    counts = {c: text.count(c) for c in _LIKELY_DELIMITERS if c != given}
    found = max(counts, key=lambda c: counts[c])
    return found if counts[found] else None


def _check_required(
    columns: list[str], path: Path, line: int, delimiter: str, header_text: Callable[[], str]
) -> None:
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            one_field = len(columns) == 1
            found = _likely_delimiter(header_text(), delimiter) if one_field else None
            hint = (
                f"; the header is one field split on {delimiter!r}: is the delimiter {found!r}?"
                if found
                else f"; the header is one field: is the delimiter {delimiter!r}?"
            )
            hint = hint if one_field else ""
            raise PoolError(
                f"no {required.upper()} column, which jwst needs{hint}",
                path=path,
                line=line,
                settings=("delimiter",) if one_field else (),
            )


def _check_field_counts(
    con: duckdb.DuckDBPyConnection,
    index: int,
    path: Path,
    expected: int,
    header_line: int,
    delimiter: str,
) -> int:
    count, bad_line, bad_count = con.execute(
        """
        select
            count(*),
            min(line_no) filter (where len(fields) <> $n),
            arg_min(len(fields), line_no) filter (where len(fields) <> $n)
        from pool_fields
        where pool_index = $i and line_no > $header_line
        """,
        {"i": index, "n": expected, "header_line": header_line},
    ).fetchone()
    if bad_line is None:
        return count
    text = _line_text(con, index, bad_line)
    column = _field_column(text, expected, delimiter) if bad_count > expected else len(text) + 1
    fields = "field" if bad_count == 1 else "fields"
    counted = f"{bad_count} {fields}, expected {expected} as in the header on line {header_line}"
    other = _likely_delimiter(text, delimiter)
    if bad_count < expected and (other is None or text.count(other) + 1 < expected):
        # The header split into its columns on this delimiter, and this line holds no other
        # one often enough to be split by it: the line is short, not the delimiter wrong.
        raise PoolError(
            f"{counted}: the line is short (cut off?)", path=path, line=bad_line, column=column
        )
    guess = other if bad_count < expected else delimiter
    raise PoolError(
        f"{counted}: is the delimiter {guess!r}?",
        path=path,
        line=bad_line,
        column=column,
        settings=("delimiter",),
    )


def _line_text(con: duckdb.DuckDBPyConnection, index: int, line_no: int) -> str:
    row = con.execute(
        "select rtrim(line, chr(13)) from pool_lines where pool_index = $i and line_no = $line",
        {"i": index, "line": line_no},
    ).fetchone()
    return row[0] if row else ""


def _field_column(line: str, expected: int, delimiter: str) -> int:
    """1-based column where the first field beyond the header's count starts."""
    position = -1
    for _ in range(expected):
        position = line.find(delimiter, position + 1)
        if position < 0:
            return len(line) + 1
    return position + 2


def _comments(con: duckdb.DuckDBPyConnection, index: int) -> list[str]:
    rows = con.execute(
        "select regexp_replace(rtrim(line, chr(13)), '^[ \\t]*# ?', '') from pool_lines "
        "where pool_index = $i and pool_line_kind(line) = 'comment' order by line_no",
        {"i": index},
    ).fetchall()
    return [text for (text,) in rows]


def _column_widths(
    con: duckdb.DuckDBPyConnection, index: int, header_line: int, n_columns: int
) -> list[int | None]:
    """Per column, the length of its longest value (None for a pool with no rows).

    jwst stores an empty cell as 'null' cut to this width."""
    # One aggregate per column reads each list once; unnesting every field is slower.
    widths_sql = ", ".join(f"max(length(fields[{i}]))" for i in range(1, n_columns + 1))
    row = con.execute(
        f"select [{widths_sql}] from pool_fields where pool_index = $i and line_no > $header_line",
        {"i": index, "header_line": header_line},
    ).fetchone()
    return list(row[0]) if row else [None] * n_columns


def _check_field_sizes(
    con: duckdb.DuckDBPyConnection,
    index: int,
    path: Path,
    columns: list[str],
    widths: list[int | None],
    header_line: int,
    delimiter: str,
) -> None:
    """Refuse a value longer than MAX_FIELD_CHARS, naming its line and column: no real pool
    comes near, and the rules' work on one row grows with the length of its values."""
    too_long = [i for i, width in enumerate(widths, start=1) if (width or 0) > MAX_FIELD_CHARS]
    if not too_long:
        return
    position = too_long[0]
    line, length = con.execute(
        f"select line_no, length(fields[{position}]) from pool_fields "
        f"where pool_index = $i and line_no > $header_line "
        f"and length(fields[{position}]) > $limit order by line_no limit 1",
        {"i": index, "header_line": header_line, "limit": MAX_FIELD_CHARS},
    ).fetchone()
    text = _line_text(con, index, line)
    column = 1 if position == 1 else _field_column(text, position - 1, delimiter)
    raise PoolError(
        f"the {columns[position - 1].upper()} value is {length:,} characters long; "
        f"asnsql reads values of at most {MAX_FIELD_CHARS:,} characters",
        path=path,
        line=line,
        column=column,
    )
