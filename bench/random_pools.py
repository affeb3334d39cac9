"""Small association pools drawn from a seed, for differential testing against jwst.

    python bench/random_pools.py SEED            # print the pool of that seed

``make_pool(seed)`` returns the same pool for the same seed on every machine. Half the
pools are built from observation templates (bench/pool_modes.py) in one to three
programs, with cross-observation candidates of every type (background, mosaic, group,
coronagraphy, ami, direct_image) and discovery-only rows; the other half are slices of
the conformance pools (../shared/conformance/pools/, else fixtures/pools/). Both are then
mutated: rows shuffled, dropped and duplicated, optional cells blanked, optional columns
removed, candidates and values changed, exposure errors set. Pools have at most 80 rows
(median about 18; slices of the smallest conformance pools have fewer than 10) so that
jwst runs them in a second or two.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pool_modes
from pool_modes import Obs, Row

ROOT = Path(__file__).resolve().parent.parent
REAL_POOLS = [ROOT.parent / "shared" / "conformance" / "pools", ROOT / "fixtures" / "pools"]

COLUMNS = (
    "filename obs_id program obs_num visit visit_id visitgrp visitype seq_id act_id exposure "
    "exp_type nexposur expcount instrume detector channel targetid targprop targname targtype "
    "template pntgtype pntg_seq targordn expspcin dithptin mostilno module filter pupil ditherid "
    "patttype pattstrt numdthpt pattsize subpxpts patt_num subpixel apername sdp_ver subarray "
    "grating fxd_slit band asn_candidate exposerr is_psf is_imprt bkgdtarg tsovisit msastate "
    "msametfl opmode lamp dms_note nints"
).split()
# Columns jwst cannot run without (pool.md §2.2), or that name a coronagraph exposure.
KEPT_COLUMNS = {
    "filename",
    "exp_type",
    "pntgtype",
    "targetid",
    "asn_candidate",
    "subarray",
    "pupil",
    "detector",
}
# Cells never blanked: jwst stops on an unset exp_type of a science row.
KEPT_CELLS = {"filename", "exp_type"}
BLANKS = ["", "", "NULL", "NULL", "N/A", "--"]
MAX_ROWS = 80


@dataclass
class Pool:
    """A pool as text cells: ``columns`` (lower case) and ``rows`` (one list per row)."""

    columns: list[str]
    rows: list[list[str]]
    origin: str = ""
    notes: list[str] = field(default_factory=list)

    def to_csv(self) -> str:
        lines = ["|".join(c.upper() for c in self.columns)]
        lines += ["|".join(row) for row in self.rows]
        return "\n".join(lines) + "\n"

    def copy(self) -> Pool:
        return Pool(list(self.columns), [list(r) for r in self.rows], self.origin, list(self.notes))


# ---------------------------------------------------------------------- synthetic pools


def _clone(rows: list[Row], obs: Obs, **values: str) -> list[Row]:
    """The rows of an observation again, as another observation (program, number, target)."""
    prefix = f"jw{obs.program:05d}{obs.obs_num:03d}"
    out = []
    for row in rows:
        new = dict(row)
        new["filename"] = prefix + row["filename"][10:]
        new.update(program=str(obs.program), obs_num=str(obs.obs_num), targetid=str(obs.target))
        new["obs_id"] = f"V{obs.program:05d}{obs.obs_num:03d}" + row["obs_id"][9:]
        new["visit_id"] = f"{obs.program:05d}{obs.obs_num:03d}001"
        new.update(values)
        out.append(new)
    return out


class _Builder:
    """Observations and candidates of one synthetic pool."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.programs = rng.sample(range(1000, 99999), rng.choice([1, 1, 1, 2, 2, 3]))
        self.obs_count = 0
        self.cand_count = 999
        self.observations: list[tuple[list[Row], list[tuple[str, str]]]] = []

    def new_obs(self, program: int | None = None, target: int | None = None) -> Obs:
        self.obs_count += 1
        return Obs(
            program=program or self.rng.choice(self.programs),
            obs_num=self.obs_count,
            target=target or self.rng.randint(1, 3),
        )

    def add(self, rows: list[Row], obs: Obs, extra: list[tuple[str, str]] | None = None) -> None:
        cands = [(f"o{obs.obs_num:03d}", "observation"), *(extra or [])]
        self.observations.append((rows, cands))

    def candidate(self, ctype: str) -> tuple[str, str]:
        self.cand_count += 1
        return (f"c{self.cand_count}", ctype)

    def scenario(self) -> None:
        rng = self.rng
        names = list(pool_modes.TEMPLATES)
        weights = [pool_modes.TEMPLATES[n][1] for n in names]
        name = rng.choices(names, weights)[0]
        template = pool_modes.TEMPLATES[name][0]
        obs = self.new_obs()
        rows = template(rng, obs)
        pair = self._partner(name, rows, obs)
        if pair is None:
            extra = [self.candidate(rng.choice(["group", "mosaic"]))] if rng.random() < 0.1 else []
            self.add(rows, obs, extra)
            return
        ctype, partner_rows, partner_obs = pair
        cand = self.candidate(ctype)
        order = [(rows, obs), (partner_rows, partner_obs)]
        if rng.random() < 0.3:
            order.reverse()
        for r, o in order:
            self.add(r, o, [cand] if rng.random() < 0.9 else [])

    def _partner(self, name: str, rows: list[Row], obs: Obs):
        """A second observation sharing a cross-observation candidate with the first."""
        rng = self.rng
        science = [r for r in rows if r["pntgtype"] == "SCIENCE"] or rows
        if (
            name in ("nrs_fixedslit", "nrs_ifu", "mir_mrs", "mir_lrs", "imaging", "nis_soss")
            and rng.random() < 0.5
        ):
            other = self.new_obs(obs.program, obs.target + 10)
            flag = rng.choice(["T", "T", "TRUE", "Y"])
            return "background", _clone(science, other, bkgdtarg=flag), other
        if name in ("nrc_coron", "mir_coron", "ami") and rng.random() < 0.7:
            other = self.new_obs(obs.program, obs.target + rng.choice([0, 1]))
            ctype = {"ami": "ami"}.get(name, rng.choice(["coronagraphy", "coronographic"]))
            return ctype, _clone(science, other, is_psf=rng.choice(["T", "TRUE"])), other
        if name == "imaging" and rng.random() < 0.5:
            other = self.new_obs(obs.program, rng.choice([obs.target, obs.target + 1]))
            return "mosaic", _clone(science, other), other
        if name == "wfss" and rng.random() < 0.6:
            other = self.new_obs(rng.choice(self.programs), obs.target)
            det = rng.choice(["NRCALONG", "NRCBLONG", "NRCA1"])
            direct = [
                pool_modes.exposure(
                    other,
                    "NRC_IMAGE",
                    "NIRCAM",
                    det,
                    i,
                    filter="F356W",
                    pupil="CLEAR",
                    channel="LONG",
                )
                for i in range(1, rng.randint(1, 2) + 1)
            ]
            return "direct_image", direct, other
        return None

    def pool(self) -> Pool:
        rows = []
        names: set[str] = set()
        for obs_rows, cands in self.observations:
            text = "[" + ", ".join(f"('{i}', '{t}')" for i, t in cands) + "]"
            for row in obs_rows:
                # File names are unique until a mutation duplicates rows on purpose.
                while row["filename"] in names:
                    head, number, detector, tail = row["filename"].rsplit("_", 3)
                    row["filename"] = f"{head}_{int(number) + 1:05d}_{detector}_{tail}"
                names.add(row["filename"])
                rows.append([row.get(c, "NULL") if c != "asn_candidate" else text for c in COLUMNS])
        return Pool(list(COLUMNS), rows[:MAX_ROWS], "synthetic")


def synthetic_pool(rng: random.Random) -> Pool:
    builder = _Builder(rng)
    target = rng.randint(8, 36)
    while sum(len(r) for r, _ in builder.observations) < target:
        builder.scenario()
    return builder.pool()


# ---------------------------------------------------------------------- slices of real pools


def read_pool(path: Path) -> Pool:
    """A '|' pool file as cells (comment and blank lines left out)."""
    lines = [
        x for x in path.read_text().splitlines() if x.strip() and not x.lstrip().startswith("#")
    ]
    columns = [c.strip().lower() for c in lines[0].split("|")]
    rows = [[v.strip() for v in line.split("|")] for line in lines[1:]]
    return Pool(columns, [r for r in rows if len(r) == len(columns)], path.name)


def _real_pool_paths() -> list[Path]:
    for folder in REAL_POOLS:
        if folder.is_dir():
            return sorted(folder.glob("*.csv"))
    return []


def sliced_pool(rng: random.Random) -> Pool:
    """One to three observations of a conformance pool, in file order."""
    source = read_pool(rng.choice(_real_pool_paths()))
    cand = source.columns.index("asn_candidate") if "asn_candidate" in source.columns else None
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(source.rows):
        found = re.search(r"o\d{3}", row[cand].lower()) if cand is not None else None
        groups.setdefault(found.group(0) if found else "-", []).append(i)
    names = sorted(groups)
    rng.shuffle(names)
    keep: list[int] = []
    for count, name in enumerate(names):
        if len(keep) >= 10 and count >= rng.randint(1, 3):
            break
        keep = sorted(keep + groups[name])
    if len(keep) > 40:
        keep = sorted(rng.sample(keep, rng.randint(10, 40)))
    return Pool(source.columns, [source.rows[i] for i in keep], f"slice of {source.origin}")


# ---------------------------------------------------------------------- mutations


def _mutate(rng: random.Random, pool: Pool) -> None:
    rows, cols = pool.rows, pool.columns
    if rng.random() < 0.25 and len(rows) > 3:
        for _ in range(rng.randint(1, 3)):
            rows.pop(rng.randrange(len(rows)))
        pool.notes.append("rows dropped")
    if rng.random() < 0.15:
        for _ in range(rng.randint(1, 2)):
            copy = list(rng.choice(rows))
            if rng.random() < 0.3:  # the same file name with other values
                j = rng.randrange(len(cols))
                if cols[j] not in KEPT_CELLS:
                    copy[j] = rng.choice(BLANKS)
            rows.insert(rng.randrange(len(rows) + 1), copy)
        pool.notes.append("rows duplicated")
    if rng.random() < 0.15:
        rng.shuffle(rows)
        pool.notes.append("rows shuffled")
    elif rng.random() < 0.3:
        for _ in range(rng.randint(1, 4)):
            i, j = rng.randrange(len(rows)), rng.randrange(len(rows))
            rows[i], rows[j] = rows[j], rows[i]
        pool.notes.append("rows swapped")
    if rng.random() < 0.5:
        blankable = [j for j, c in enumerate(cols) if c not in KEPT_CELLS]
        for _ in range(rng.randint(1, 5)):
            rows[rng.randrange(len(rows))][rng.choice(blankable)] = rng.choice(BLANKS)
        pool.notes.append("cells blanked")
    if rng.random() < 0.2:
        _set_cells(rng, pool, "exposerr", ["GS_FAIL_PARTIAL", "UNSUCCESSFUL", "SHUTTER_STUCK"])
    if rng.random() < 0.15:
        _change_candidates(rng, pool)
    if rng.random() < 0.15:
        _set_cells(
            rng,
            pool,
            rng.choice(["filter", "pupil", "subarray", "targetid", "patttype", "detector"]),
            None,
        )
    if rng.random() < 0.15:
        droppable = [c for c in cols if c not in KEPT_COLUMNS]
        for name in rng.sample(droppable, min(len(droppable), rng.randint(1, 3))):
            j = pool.columns.index(name)
            pool.columns.pop(j)
            for row in rows:
                row.pop(j)
        pool.notes.append("columns dropped")
    if rng.random() < 0.2:
        for row in rows:
            row[:] = [v.lower() for v in row]


def _set_cells(rng: random.Random, pool: Pool, column: str, values: list[str] | None) -> None:
    """A few rows get another value in ``column`` (one of ``values``, else one from the pool)."""
    if column not in pool.columns:
        return
    j = pool.columns.index(column)
    choices = values or sorted({row[j] for row in pool.rows})
    for _ in range(rng.randint(1, 3)):
        rng.choice(pool.rows)[j] = rng.choice(choices)
    pool.notes.append(f"{column} changed")


def _change_candidates(rng: random.Random, pool: Pool) -> None:
    """Move a row into another observation's candidate, or out of a candidate."""
    if "asn_candidate" not in pool.columns:
        return
    j = pool.columns.index("asn_candidate")
    cells = sorted({row[j] for row in pool.rows})
    for _ in range(rng.randint(1, 3)):
        row = rng.choice(pool.rows)
        action = rng.random()
        if action < 0.4:
            row[j] = rng.choice(cells)
        elif action < 0.7:
            pairs = re.findall(r"\([^)]*\)", row[j])
            if len(pairs) > 1:
                pairs.pop(rng.randrange(len(pairs)))
                row[j] = "[" + ", ".join(pairs) + "]"
        else:
            row[j] = rng.choice(["NULL", "[]"])
    pool.notes.append("candidates changed")


def make_pool(seed: int) -> Pool:
    """The pool of ``seed``: at most 80 rows, the same on every machine."""
    rng = random.Random(seed)
    pool = synthetic_pool(rng) if rng.random() < 0.6 or not _real_pool_paths() else sliced_pool(rng)
    _mutate(rng, pool)
    pool.rows = pool.rows[:MAX_ROWS]
    return pool


if __name__ == "__main__":
    print(make_pool(int(sys.argv[1])).to_csv(), end="")
