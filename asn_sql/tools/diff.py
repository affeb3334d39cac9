"""Comparing two sets of association documents: which were added, removed, renamed or changed,
and, between two runs, which exposures became or stopped being orphans."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn_sql.bounded import read_bounded
from asn_sql.errors import AsnSqlError, first_line
from asn_sql.values import counted

# The fields compared besides the products; constraints, code_version and the
# other bookkeeping keys differ between tools by design.
FIELDS = ("asn_type", "asn_rule", "asn_id", "file", "program", "target")
MIN_SIMILARITY = 0.5

Member = tuple[str | None, str | None]  # (expname, exptype)
Product = tuple[str | None, tuple[Member, ...]]


class DiffError(AsnSqlError):
    """A side of a diff that cannot be read."""


@dataclass(frozen=True)
class Canonical:
    """One association reduced to what is compared; members are multisets."""

    file: str
    fields: dict[str, str | None]
    products: tuple[Product, ...]
    members: Counter[Member]

    @classmethod
    def of(cls, file: str, data: Mapping[str, Any]) -> Canonical:
        """The canonical form of document ``data`` stored as ``file``."""
        fields = {key: _text(data.get(key)) for key in FIELDS if key != "file"}
        fields["file"] = file
        products = []
        for product in data.get("products") or []:
            members = [
                (_text(m.get("expname")), _text(m.get("exptype")))
                for m in product.get("members") or []
            ]
            products.append((_text(product.get("name")), tuple(sorted(members, key=_order))))
        ordered = tuple(sorted(products, key=lambda p: (_order(p[0]), [_order(m) for m in p[1]])))
        counts = Counter(m for _, ms in ordered for m in ms)
        return cls(file, fields, ordered, counts)

    def key(self) -> tuple[Any, ...]:
        """Everything compared: equal keys mean equal associations."""
        return (tuple(self.fields[f] for f in FIELDS), self.products)

    def content_key(self) -> tuple[Any, ...]:
        """The members product by product, names left out: equal for renamed copies."""
        groups = (members for _, members in self.products)
        return tuple(sorted(groups, key=lambda members: [_order(m) for m in members]))

    @property
    def level(self) -> str | None:
        """'2' or '3' from the asn_type's last character, None when it is not a digit."""
        asn_type = self.fields["asn_type"] or ""
        return asn_type[-1] if asn_type[-1:].isdigit() else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _order(value: Any) -> Any:
    # None sorts before any text, so members with a missing key still order.
    if isinstance(value, tuple):
        return tuple(_order(v) for v in value)
    return (value is not None, value or "")


@dataclass
class Change:
    """How the association ``new`` differs from its counterpart ``old``."""

    old: str
    new: str
    similarity: float
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)
    roles: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)
    removed: list[Member] = field(default_factory=list)
    added: list[Member] = field(default_factory=list)
    moved_out: list[tuple[Member, str]] = field(default_factory=list)
    moved_in: list[tuple[Member, str]] = field(default_factory=list)

    @property
    def is_rename(self) -> bool:
        """Only the file name differs: same fields, products and members otherwise."""
        members = self.roles or self.removed or self.added or self.moved_out or self.moved_in
        return set(self.fields) == {"file"} and not self.products and not members


@dataclass(frozen=True)
class RunExposures:
    """A run's pool as diff compares orphans, by exposure file name: each exposure's
    type, the association files holding it (none for an orphan), and each orphan's reason."""

    exp_types: dict[str, str | None]
    holders: dict[str, tuple[str, ...]]
    reasons: dict[str, str]


@dataclass
class OrphanChange:
    """An exposure that became an orphan (``reason`` says why) or stopped being one.

    ``associations``: for a new orphan, the files it was in before (none: it is new in
    the pool); for a former orphan, the files it is in now (none: it left the pool)."""

    filename: str
    exp_type: str | None
    associations: list[str]
    reason: str | None = None


@dataclass
class DiffReport:
    """The outcome of comparing side A (old) with side B (new); orphans are compared
    (``orphans_compared``) only when both sides are runs."""

    same: list[tuple[str, str]]
    changes: list[Change]
    removed: list[Canonical]
    added: list[Canonical]
    orphaned: list[OrphanChange] = field(default_factory=list)
    adopted: list[OrphanChange] = field(default_factory=list)
    orphans_compared: bool = False

    @property
    def renamed(self) -> list[Change]:
        """Pairs that differ only in file name."""
        return [c for c in self.changes if c.is_rename]

    @property
    def changed(self) -> list[Change]:
        """Pairs that differ in more than the file name."""
        return [c for c in self.changes if not c.is_rename]

    @property
    def equal(self) -> bool:
        """Whether both sides hold the same associations under the same names (and, for
        two runs, the same orphans)."""
        return not (self.changes or self.removed or self.added or self.orphaned or self.adopted)

    def counts(self) -> dict[str, int]:
        """exact, differ, missing, extra: the conformance checker's four numbers."""
        return {
            "exact": len(self.same),
            "differ": len(self.changes),
            "missing": len(self.removed),
            "extra": len(self.added),
        }


def read_directory(folder: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The association documents (*.json) of a folder by file name, and a note for each
    JSON file skipped because it is not an association.

    Raises DiffError naming every *.json file that cannot be read (not a regular file or
    a pipe, too large, not UTF-8, not JSON): what it holds is unknown, so the folder
    cannot be said to be the same as another."""
    if not folder.is_dir():
        raise DiffError("not a folder of association files", path=folder)
    documents, skipped, unreadable = {}, [], []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(read_bounded(path, DiffError).decode("utf-8"))
        except DiffError as exc:
            unreadable.append(f"{path}: {exc.message.split(';')[0]}")
            continue
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            # ValueError: JSONDecodeError, or an integer of more than 4,300 digits
            reason = first_line(exc).split(";")[0]
            unreadable.append(f"{path}: not readable JSON ({reason})")
            continue
        if not _is_association(data):
            skipped.append(f"{path}: skipped, not an association")
            continue
        documents[path.name] = data
    if unreadable:
        count = f"{len(unreadable)} files" if len(unreadable) > 1 else "a file"
        raise DiffError(f"cannot compare, {count} cannot be read: {'; '.join(unreadable)}")
    return documents, skipped


def _is_association(data: Any) -> bool:
    """Whether ``data`` has an association's shape where diff reads it: an object whose
    products are a list of objects, each with a list of member objects (or none)."""
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        return False
    for product in data["products"]:
        if not isinstance(product, dict):
            return False
        members = product.get("members") or []
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            return False
    return True


def diff_documents(
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    old_exposures: RunExposures | None = None,
    new_exposures: RunExposures | None = None,
) -> DiffReport:
    """Compare two sets of documents keyed by file name, pairing them by content; with
    both sides' exposures (two runs), also which exposures became or stopped being orphans."""
    a = [Canonical.of(name, data) for name, data in sorted(old.items())]
    b = [Canonical.of(name, data) for name, data in sorted(new.items())]
    same, pairs, free_a, free_b = pair_associations(a, b)
    changes = [_change(a[i], b[j], score) for i, j, score in pairs]
    _find_moves(changes, [b[j] for j in free_b])
    report = DiffReport(
        same=[(a[i].file, b[j].file) for i, j in same],
        changes=changes,
        removed=[a[i] for i in free_a],
        added=[b[j] for j in free_b],
    )
    if old_exposures is not None and new_exposures is not None:
        report.orphaned, report.adopted = orphan_changes(old_exposures, new_exposures)
        report.orphans_compared = True
    return report


def orphan_changes(
    old: RunExposures, new: RunExposures
) -> tuple[list[OrphanChange], list[OrphanChange]]:
    """The exposures that are orphans in ``new`` but were not in ``old``, and those that
    were orphans in ``old`` but are not in ``new``, each by file name."""
    orphaned = [
        OrphanChange(name, new.exp_types.get(name), list(old.holders.get(name, ())), reason)
        for name, reason in sorted(new.reasons.items())
        if name not in old.reasons
    ]
    adopted = [
        OrphanChange(
            name, new.exp_types.get(name, old.exp_types.get(name)), list(new.holders.get(name, ()))
        )
        for name in sorted(old.reasons)
        if name not in new.reasons
    ]
    return orphaned, adopted


Pairs = list[tuple[int, int, float]]


def pair_associations(
    a: list[Canonical], b: list[Canonical], min_similarity: float = MIN_SIMILARITY
) -> tuple[list[tuple[int, int]], Pairs, list[int], list[int]]:
    """Pair A's associations with B's as the conformance checker does: identical ones
    first, then identical members under other names, then the most similar members
    (Jaccard at least ``min_similarity``), then memberless ones with the same type and id.
    Returns (identical pairs, differing pairs with similarity, unpaired A, unpaired B)."""
    free_a, free_b = set(range(len(a))), set(range(len(b)))
    same = _pair_identical(a, b, free_a, free_b)
    pairs = _pair_same_members(a, b, free_a, free_b)
    pairs += _pair_similar(a, b, free_a, free_b, min_similarity)
    pairs += _pair_memberless(a, b, free_a, free_b)
    return same, pairs, sorted(free_a), sorted(free_b)


def _pair_identical(
    a: list[Canonical], b: list[Canonical], free_a: set[int], free_b: set[int]
) -> list[tuple[int, int]]:
    by_key: dict[Any, list[int]] = defaultdict(list)
    for j in sorted(free_b):
        by_key[b[j].key()].append(j)
    same = []
    for i in sorted(free_a):
        bucket = by_key.get(a[i].key())
        if bucket:
            j = bucket.pop(0)
            same.append((i, j))
            free_a.discard(i)
            free_b.discard(j)
    return same


def _pair_same_members(
    a: list[Canonical], b: list[Canonical], free_a: set[int], free_b: set[int]
) -> Pairs:
    by_content: dict[Any, list[int]] = defaultdict(list)
    for j in sorted(free_b):
        by_content[b[j].content_key()].append(j)
    pairs = []
    for i in sorted(free_a):
        bucket = by_content.get(a[i].content_key(), [])
        fitting = [j for j in bucket if _same_level(a[i], b[j])]
        if fitting:
            # Of several renamed copies, take the one agreeing on most names.
            best = max(fitting, key=lambda j: _agreement(a[i], b[j]))
            bucket.remove(best)
            pairs.append((i, best, 1.0))
            free_a.discard(i)
            free_b.discard(best)
    return pairs


def _pair_similar(
    a: list[Canonical], b: list[Canonical], free_a: set[int], free_b: set[int], least: float
) -> Pairs:
    holders: dict[Member, set[int]] = defaultdict(set)
    for j in free_b:
        for member in b[j].members:
            holders[member].add(j)
    scored = []
    for i in free_a:
        # Only associations sharing a member can reach any similarity.
        for j in set().union(*(holders.get(m, set()) for m in a[i].members)):
            score = jaccard(a[i].members, b[j].members)
            if _same_level(a[i], b[j]) and score >= least:
                scored.append((-score, -_agreement(a[i], b[j]), a[i].file, b[j].file, i, j))
    pairs = []
    for neg_score, _, _, _, i, j in sorted(scored):
        if i in free_a and j in free_b:
            pairs.append((i, j, -neg_score))
            free_a.discard(i)
            free_b.discard(j)
    return pairs


def _pair_memberless(
    a: list[Canonical], b: list[Canonical], free_a: set[int], free_b: set[int]
) -> Pairs:
    by_fields: dict[Any, list[int]] = defaultdict(list)
    for j in sorted(free_b):
        if not b[j].members:
            by_fields[(b[j].fields["asn_type"], b[j].fields["asn_id"])].append(j)
    pairs = []
    for i in sorted(free_a):
        bucket = by_fields.get((a[i].fields["asn_type"], a[i].fields["asn_id"]))
        if not a[i].members and bucket:
            j = bucket.pop(0)
            pairs.append((i, j, 1.0))
            free_a.discard(i)
            free_b.discard(j)
    return pairs


def jaccard(a: Counter[Member], b: Counter[Member]) -> float:
    """Shared members over all members, counting repeats; 1.0 for two empty sets."""
    union = sum((a | b).values())
    return sum((a & b).values()) / union if union else 1.0


def _same_level(a: Canonical, b: Canonical) -> bool:
    return a.level is None or b.level is None or a.level == b.level


def _agreement(a: Canonical, b: Canonical) -> int:
    names = len({p for p, _ in a.products} & {p for p, _ in b.products})
    return names + sum(a.fields[f] == b.fields[f] for f in FIELDS)


def _change(a: Canonical, b: Canonical, similarity: float) -> Change:
    change = Change(old=a.file, new=b.file, similarity=similarity)
    change.fields = {f: (a.fields[f], b.fields[f]) for f in FIELDS if a.fields[f] != b.fields[f]}
    change.products = _product_changes(a, b)
    removed, added = a.members - b.members, b.members - a.members
    change.roles = _role_changes(removed, added)
    change.removed = sorted(removed.elements(), key=_order)
    change.added = sorted(added.elements(), key=_order)
    return change


def _product_changes(a: Canonical, b: Canonical) -> list[str]:
    old = Counter(name for name, _ in a.products)
    new = Counter(name for name, _ in b.products)
    gone, came = sorted(old - new, key=_order), sorted(new - old, key=_order)
    if len(gone) == 1 and len(came) == 1:
        return [f"product name: {gone[0]!r} -> {came[0]!r}"]
    lines = [f"product {name!r} removed" for name in gone]
    lines += [f"product {name!r} added" for name in came]
    if not lines and a.members == b.members and a.content_key() != b.content_key():
        lines.append("the same members are grouped into products differently")
    return lines


def _role_changes(
    removed: Counter[Member], added: Counter[Member]
) -> list[tuple[str | None, str | None, str | None]]:
    """A member that left with one role and came back with another changed role; the
    pairs found are taken out of ``removed`` and ``added``."""
    roles = []
    for expname, old_role in sorted(removed.elements(), key=_order):
        arrived = sorted(added, key=_order)
        new_role = next((r for (e, r) in arrived if e == expname and added[(e, r)] > 0), None)
        if new_role is not None:
            roles.append((expname, old_role, new_role))
            removed[(expname, old_role)] -= 1
            added[(expname, new_role)] -= 1
    return roles


def _find_moves(changes: list[Change], new_only: Iterable[Canonical]) -> None:
    """A member removed from one association and added to another moved there."""
    arrivals: dict[str | None, list[tuple[Change | None, str]]] = defaultdict(list)
    for change in changes:
        for expname, _ in change.added:
            arrivals[expname].append((change, change.new))
    for asn in new_only:
        for expname, _ in asn.members:
            arrivals[expname].append((None, asn.file))
    for change in changes:
        for member in list(change.removed):
            target = next((t for t in arrivals.get(member[0], []) if t[0] is not change), None)
            if target is None:
                continue
            change.removed.remove(member)
            change.moved_out.append((member, target[1]))
            receiver = target[0]
            arrived = [m for m in receiver.added if m[0] == member[0]] if receiver else []
            if receiver and arrived:
                receiver.added.remove(arrived[0])
                receiver.moved_in.append((arrived[0], change.new))
            arrivals[member[0]].remove(target)


def report_lines(report: DiffReport) -> list[str]:
    """The report as text, one line per finding: renamed, removed, added, then changed."""
    lines = [f"renamed  {c.old} -> {c.new}" for c in report.renamed]
    lines += [f"removed  {_brief(asn)}" for asn in report.removed]
    lines += [f"added    {_brief(asn)}" for asn in report.added]
    for change in sorted(report.changed, key=lambda c: c.old):
        names = change.old if change.old == change.new else f"{change.old} -> {change.new}"
        lines.append(f"changed  {names} (similarity {change.similarity:.2f})")
        lines += [f"    {line}" for line in change_lines(change)]
    lines += [_orphan_line(orphan) for orphan in report.orphaned]
    lines += [_adopted_line(orphan) for orphan in report.adopted]
    return lines


def _orphan_line(orphan: OrphanChange) -> str:
    where = f"was in {', '.join(orphan.associations)}" if orphan.associations else "new in the pool"
    return f"orphaned {orphan.filename} ({orphan.exp_type}), {where}: {orphan.reason}"


def _adopted_line(orphan: OrphanChange) -> str:
    if orphan.associations:
        now_in = ", ".join(orphan.associations)
        return f"adopted  {orphan.filename} ({orphan.exp_type}), now in {now_in}"
    return f"gone     {orphan.filename} ({orphan.exp_type}), an orphan no longer in the pool"


def summary_line(report: DiffReport) -> str:
    """One line of counts (orphans' too when they were compared)."""
    line = (
        f"{len(report.same)} same, {len(report.renamed)} renamed, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.added)} added"
    )
    if report.orphans_compared:
        line += f", {len(report.orphaned)} orphaned, {len(report.adopted)} no longer orphans"
    return line


def _brief(asn: Canonical) -> str:
    f = asn.fields
    n = sum(asn.members.values())
    return f"{asn.file} ({f['asn_type']}, {f['asn_rule']}, {f['asn_id']}, {counted(n, 'member')})"


def change_lines(change: Change) -> list[str]:
    """What differs in a changed pair, one line each, as the report lists it under the pair."""
    # The file names head the change already.
    fields = {name: pair for name, pair in change.fields.items() if name != "file"}
    lines = [f"{name}: {old!r} -> {new!r}" for name, (old, new) in fields.items()]
    lines += change.products
    lines += [f"member {e}: role {old} -> {new}" for e, old, new in change.roles]
    lines += [f"member {e} ({r}) moved to {where}" for (e, r), where in change.moved_out]
    lines += [f"member {e} ({r}) moved from {where}" for (e, r), where in change.moved_in]
    lines += [f"- member {e} ({r})" for e, r in change.removed]
    lines += [f"+ member {e} ({r})" for e, r in change.added]
    return lines
