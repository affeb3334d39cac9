"""Association documents: rows of a run -> dicts -> schema check -> files, and load_asn."""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn_sql import __version__
from asn_sql.bounded import read_bounded
from asn_sql.errors import AsnSqlError, MissingFileError
from asn_sql.io.jsontext import dumps_indented
from asn_sql.io.staged_files import StagedFolder
from asn_sql.names import check_association_file
from asn_sql.resources import schemas_dir
from asn_sql.templates import recalled, remember

if TYPE_CHECKING:
    # load_asn reads JSON and checks it with jsonschema: importing it loads no DuckDB,
    # which only the functions over a run's rows use (they are given a connection).
    import duckdb
    import jsonschema

CODE_VERSION = f"asnsql {__version__}"
_SCHEMAS = {2: "asn_schema_jw_level2b.json", 3: "asn_schema_jw_level3.json"}


class DocumentError(AsnSqlError):
    """A document that does not validate, or a file that is not an association."""


@dataclass(frozen=True)
class Document:
    """One association as jwst writes it: a file name and its JSON content."""

    name: str  # without .json
    level: int
    data: dict[str, Any]

    @property
    def file_name(self) -> str:
        """The file name: <name>.json."""
        return f"{self.name}.json"

    def dumps(self) -> str:
        """The JSON text, laid out as jwst writes it (4-space indent, no final newline)."""
        return dumps_indented(self.data)


def run_documents(
    con: duckdb.DuckDBPyConnection, run_id: int, first: int = 1, last: int | None = None
) -> list[Document]:
    """The associations of a run numbered ``first``..``last`` (default: all) as
    documents, in the run's output order."""
    bounds = {"run": run_id, "first": first, "last": last}
    asns = con.execute(
        _ASSOCIATIONS.format(
            where="a.run_id = $run and a.asn_no >= $first and ($last is null or a.asn_no <= $last)"
        ),
        bounds,
    ).fetchall()
    products = _products(
        con,
        "p.run_id = $run and p.asn_no >= $first and ($last is null or p.asn_no <= $last)",
        bounds,
    )
    return [_document(row[1:], products.get(row[:2], [])) for row in asns]


def runs_documents(
    con: duckdb.DuckDBPyConnection, run_ids: Sequence[int]
) -> dict[int, list[Document]]:
    """The documents of several runs, by run, each run's in its output order: what
    :func:`run_documents` gives for each, in two queries for them all (a batch's chunk)."""
    bounds = {"runs": list(run_ids)}
    asns = con.execute(
        _ASSOCIATIONS.format(where="list_contains($runs, a.run_id)"), bounds
    ).fetchall()
    products = _products(con, "list_contains($runs, p.run_id)", bounds)
    documents: dict[int, list[Document]] = {run_id: [] for run_id in run_ids}
    for row in asns:
        documents[row[0]].append(_document(row[1:], products.get(row[:2], [])))
    return documents


# A run's associations with what their documents say; {where} picks the runs (static
# text of this module: every value is a bound parameter).
_ASSOCIATIONS = """
    select a.run_id, a.asn_no, a.name, a.level, a.asn_type, a.asn_rule, a.version_id,
           a.degraded_status, a.program, a.constraints, a.asn_id, a.target,
           p.name as pool_name
    from associations as a
    join pools as p using (pool_id)
    where {where}
    order by a.run_id, a.asn_no
"""


def iter_run_documents(
    con: duckdb.DuckDBPyConnection, run_id: int, batch_size: int = 10_000
) -> Iterator[list[Document]]:
    """A run's documents in output order, ``batch_size`` associations at a time, so
    that memory holds one batch however big the run."""
    row = con.execute(
        "select coalesce(max(asn_no), 0) from associations where run_id = $run", {"run": run_id}
    ).fetchone()
    count = int(row[0]) if row else 0
    for first in range(1, count + 1, batch_size):
        yield run_documents(con, run_id, first, first + batch_size - 1)


def _products(
    con: duckdb.DuckDBPyConnection, where: str, bounds: dict[str, Any]
) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """The products of the associations ``where`` picks, by (run_id, asn_no)."""
    # One flat row per member, grouped here: DuckDB hands over plain tuples several
    # times faster than a list of structs per product.
    rows = con.execute(
        f"""
        select p.run_id, p.asn_no, p.product_no, p.name, a.level,
               m.expname, m.exptype, m.exposerr, m.asn_candidate, m.has_exposerr
        from products as p
        join associations as a using (run_id, asn_no)
        join members as m using (run_id, asn_no, product_no)
        where {where}
        order by p.run_id, p.asn_no, p.product_no, m.position
        """,
        bounds,
    ).fetchall()
    products: dict[tuple[int, int], list[dict[str, Any]]] = {}
    current = None
    members: list[dict[str, Any]] = []
    for (
        run_id,
        asn_no,
        product_no,
        name,
        level,
        expname,
        exptype,
        exposerr,
        candidate,
        has_err,
    ) in rows:
        if (run_id, asn_no, product_no) != current:
            current, members = (run_id, asn_no, product_no), []
            products.setdefault((run_id, asn_no), []).append({"name": name, "members": members})
        member = {"expname": expname, "exptype": exptype}
        if has_err:
            member["exposerr"] = exposerr
        if level == 3:
            member["asn_candidate"] = candidate
        members.append(member)
    return products


def _document(row: tuple[Any, ...], products: list[dict[str, Any]]) -> Document:
    # the association's columns of _ASSOCIATIONS after run_id
    (
        _,
        name,
        level,
        asn_type,
        asn_rule,
        version_id,
        degraded,
        program,
        constraints,
        asn_id,
        target,
        pool_name,
    ) = row
    data: dict[str, Any] = {
        "asn_type": asn_type,
        "asn_rule": asn_rule,
        "version_id": version_id,
        "code_version": CODE_VERSION,
        "degraded_status": degraded,
        "program": program,
        "constraints": constraints,
        "asn_id": asn_id,
    }
    # jwst writes the two keys in a different order at each level.
    if level == 2:
        data |= {"asn_pool": pool_name, "target": target}
    else:
        data |= {"target": target, "asn_pool": pool_name}
    data["products"] = products
    return Document(name=name, level=level, data=data)


@cache
def _schema_text(level: int) -> str:
    return (schemas_dir() / _SCHEMAS[level]).read_text(encoding="utf-8")


@cache
def _validator(level: int) -> jsonschema.protocols.Validator:
    # Imported here: a run whose document shapes are all remembered valid never needs it.
    import jsonschema

    schema = json.loads(_schema_text(level))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def schema_errors(data: Any, level: int) -> list[str]:
    """Every way ``data`` breaks jwst's schema of that level, as 'path: message' lines."""
    validator = _validator(level)
    # jwst's schemas only test keys and types, so a document whose lists keep
    # one element of each shape is valid exactly when the document is; checking
    # that first saves most of the time on associations with many members.
    if _checks_only_shapes(level) and validator.is_valid(_shapes(data)):
        return []
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{_json_path(error.absolute_path)}: {error.message}" for error in errors]


_SHAPE_KEYWORDS = {
    "$schema",
    "id",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "items",
    "anyOf",
    "definitions",
    "$ref",
    "default",
}


@cache
def _checks_only_shapes(level: int) -> bool:
    def keywords(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = set(node) - {"properties", "definitions"}
            for key, value in node.items():
                children = value.values() if key in ("properties", "definitions") else [value]
                for child in children:
                    found |= keywords(child)
            return found
        if isinstance(node, list):
            return set().union(*(keywords(item) for item in node)) if node else set()
        return set()

    return keywords(json.loads(_schema_text(level))) <= _SHAPE_KEYWORDS


def _shapes(value: Any) -> Any:
    """``value`` with every list cut to one element per distinct shape (keys and types)."""
    if isinstance(value, dict):
        return {key: _shapes(item) for key, item in value.items()}
    if isinstance(value, list):
        unique: dict[str, Any] = {}
        for item in value:
            reduced = _shapes(item)
            unique.setdefault(_signature(reduced), reduced)
        return list(unique.values())
    return value


def _shape_signature(value: Any) -> str:
    """``_signature(_shapes(value))``, without building the reduced value."""
    # Leaves are named in place rather than through a call each: a run computes this
    # for every document, and the calls were most of its cost.
    if isinstance(value, dict):
        parts = [
            f"{k}:{_shape_signature(v) if isinstance(v, _NESTED) else type(v).__name__}"
            for k, v in value.items()
        ]
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list):
        shapes = [
            _shape_signature(v) if isinstance(v, _NESTED) else type(v).__name__ for v in value
        ]
        return "[" + ",".join(dict.fromkeys(shapes)) + "]"
    return type(value).__name__


_NESTED = (dict, list)


def _signature(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_signature(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_signature(v) for v in value) + "]"
    return type(value).__name__


def _json_path(path: Iterable[Any]) -> str:
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def validate_documents(documents: list[Document]) -> None:
    """Raise DocumentError listing every schema error of every document."""
    # Documents of one shape (keys and types, lists cut to one element per
    # shape) are valid or not together: the schema is checked once per shape,
    # and a shape found valid is remembered on disk with the rendered SQL
    # (asn_sql/templates.py), keyed by the schema's text, so that later runs
    # need not load jsonschema at all. An invalid shape is never remembered.
    valid_by_shape: dict[tuple[int, str], bool] = {}
    problems = []
    for doc in documents:
        shape = (doc.level, _shape_signature(doc.data))
        if _checks_only_shapes(doc.level):
            if shape not in valid_by_shape:
                valid_by_shape[shape] = recalled(_shape_key(*shape)) is not None
            if valid_by_shape[shape]:
                continue
        errors = schema_errors(doc.data, doc.level)
        valid_by_shape[shape] = not errors
        if not errors and _checks_only_shapes(doc.level):
            remember(_shape_key(*shape), "valid")
        problems += [f"{doc.file_name}: {error}" for error in errors]
    if problems:
        raise DocumentError(
            f"{len(problems)} schema error(s), nothing written: " + "; ".join(problems)
        )


def _shape_key(level: int, signature: str) -> tuple[str, str, str]:
    """Where a shape's validity is remembered: the schema's own text and the shape."""
    return ("valid document shape", _schema_digest(level), signature)


@cache
def _schema_digest(level: int) -> str:
    return hashlib.sha256(_schema_text(level).encode()).hexdigest()


def write_documents(
    documents: list[Document], directory: Path, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write every document into ``directory``, all or nothing (asn_sql/io/staged_files.py);
    ``progress`` hears "writing files N/M".

    Each file name is checked against the DMS pattern of association files first."""
    for doc in documents:
        check_association_file(doc.file_name)
    with StagedFolder(directory) as staged:
        for first in range(0, len(documents), _WRITE_BATCH):
            chunk = documents[first : first + _WRITE_BATCH]
            staged.write_many([(doc.file_name, doc.dumps()) for doc in chunk])
            if progress:
                progress(f"writing files {first + len(chunk)}/{len(documents)}")
        staged.check_targets()
        return staged.publish()


# Files handed to the writing thread at a time by write_documents: small enough that
# the progress line moves, large enough that the hand-over costs nothing.
_WRITE_BATCH = 1_000


def stage_run_documents(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    staged: StagedFolder | None,
    *,
    keep: bool = True,
    batch_size: int = 10_000,
    on_batch: Callable[[list[Document]], None] | None = None,
) -> list[Document]:
    """Build a run's documents a batch at a time, check each against jwst's schema and
    its file name against the DMS pattern, and write it into ``staged`` (when given).
    Returns the documents when ``keep``, else nothing, so that memory holds one batch
    however big the run. Raises DocumentError as :func:`validate_documents` does."""
    kept: list[Document] = []
    for batch in iter_run_documents(con, run_id, batch_size):
        validate_documents(batch)
        for doc in batch:
            check_association_file(doc.file_name)
        if staged is not None:
            # Written on the folder's own thread while the next batch is built.
            staged.write_many([(doc.file_name, doc.dumps()) for doc in batch])
        if on_batch is not None:
            on_batch(batch)
        if keep:
            kept += batch
    return kept


def write_run_documents(
    con: duckdb.DuckDBPyConnection, run_id: int, directory: Path, batch_size: int = 10_000
) -> list[Path]:
    """Build, check and write a run's documents a batch at a time (memory holds one
    batch), all or nothing: every file is complete in a temporary folder before any is
    moved into ``directory`` (asn_sql/io/staged_files.py)."""
    with StagedFolder(directory) as staged:
        stage_run_documents(con, run_id, staged, keep=False, batch_size=batch_size)
        staged.check_targets()
        return staged.publish()


def load_asn(path: str | Path, *, resolve: bool = True) -> dict[str, Any]:
    """Read an association file and check it against jwst's schema of its level.

    Returns the document as a plain dict. With ``resolve`` (the default), each member's
    ``expname`` and ``tweakreg_catalog`` that is a relative name becomes the absolute path
    of that name in the association's folder, where jwst looks when given the file: given
    a dict, its Level 3 pipelines (ModelLibrary, ModelContainer) look in the current
    folder instead. ``resolve=False`` keeps the names as written.

    Raises MissingFileError (a FileNotFoundError) when there is no such file, and
    DocumentError listing every schema error; gives a UserWarning when member names as
    written hold a directory, as jwst's ``Association.validate`` does.
    """
    path = Path(path)
    data = read_json(path)
    errors = schema_errors(data, document_level(data))
    if errors:
        raise DocumentError(f"not a valid association: {'; '.join(errors)}", path=path)
    _warn_of_directories(path, data)
    if resolve:
        _resolve_members(data, path.absolute().parent)
    return data


# The member fields jwst reads as file names relative to the association's folder.
_MEMBER_PATHS = ("expname", "tweakreg_catalog")


def _resolve_members(data: dict[str, Any], folder: Path) -> None:
    for product in data["products"]:
        for member in product["members"]:
            for key in _MEMBER_PATHS:
                name = member.get(key)
                # An empty catalog means none; a URL (s3://...) is not a file name.
                if isinstance(name, str) and name.strip() and "://" not in name:
                    member[key] = str(folder / name)


def _warn_of_directories(path: Path, data: dict[str, Any]) -> None:
    """A UserWarning when member names hold a directory, as jwst's Association.validate
    gives: such a file only works from one place."""
    with_folder = [
        member["expname"]
        for product in data.get("products", [])
        for member in product.get("members", [])
        if Path(member["expname"]).parent != Path()
    ]
    if with_folder:
        warnings.warn(
            f"{path}: {len(with_folder)} member name(s) hold a directory "
            f"({with_folder[0]}{', ...' if len(with_folder) > 1 else ''}); "
            "such a file is hard to use elsewhere or to share",
            UserWarning,
            stacklevel=2,
        )


def file_errors(path: Path) -> list[str]:
    """Every problem of one association file, one line each, naming the file: unreadable,
    not JSON, or each schema error with its JSON path. Empty when the file is valid."""
    try:
        data = read_json(path)
    except (DocumentError, MissingFileError) as exc:
        return [str(exc)]
    return [f"{path}: {error}" for error in schema_errors(data, document_level(data))]


def read_json(path: Path) -> Any:
    """The parsed content of an association file, not yet checked against a schema."""
    if path.suffix != ".json":
        raise DocumentError("not recognized as JSON: the name does not end in .json", path=path)
    raw = read_bounded(path, DocumentError)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DocumentError("not JSON: the file is not UTF-8 text", path=path) from None
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"not JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno
        ) from None
    except ValueError:
        # Python refuses integers of more digits than int_max_str_digits (4,300)
        raise DocumentError(
            f"not JSON asnsql reads: a number has more than {_MAX_DIGITS:,} digits", path=path
        ) from None
    except RecursionError:
        raise _too_deep_error(path) from None
    if _too_deep(data):
        raise _too_deep_error(path)
    return data


def _too_deep_error(path: Path) -> DocumentError:
    return DocumentError(
        f"nested more than {MAX_DEPTH} levels deep; an association never is", path=path
    )


# jwst's associations nest 4 levels (document, products, members, member); the
# schema check and the edits walk a document recursively, so depth is bounded.
MAX_DEPTH = 64
# The most digits Python parses in one JSON number; an association's numbers have few.
_MAX_DIGITS = sys.get_int_max_str_digits() or 4300


def _too_deep(data: Any) -> bool:
    """Whether ``data`` nests lists and objects more than MAX_DEPTH levels (no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


def document_level(data: Any) -> int:
    """2 or 3: the level of an association document, by its asn_type's last digit."""
    asn_type = str(data.get("asn_type", "")) if isinstance(data, dict) else ""
    return 2 if asn_type.endswith("2") else 3
