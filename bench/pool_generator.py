"""Realistic association pools of any size, built from the conformance pools.

    python bench/pool_generator.py --rows N [--seed S] [-o pool.csv]

A generated pool is many programs. Each program holds a few *units* drawn at
random (seeded) from the fixture pools, a unit being the rows of one program of
one fixture pool (so every mode the fixtures cover: imaging, spectroscopy,
coronagraphy, TSO, WFS&C, NIRSpec nods and imprints, backgrounds, exposures with
no candidate that only discovery finds). Inside a program the units are
renumbered one after the other: observation numbers (``OBS_NUM``, the ``oNNN``
candidates, the observation digits of ``OBS_ID``, ``VISIT_ID`` and file names)
and the ``cNNNN`` candidates continue where the previous unit stopped, as in a
real program; file names take the new program and observation numbers. The
last unit is cut so that the pool has exactly the rows asked for.

Importable: ``make_pool(n_rows, seed)`` returns the pool's text and
``iter_programs(n_rows, seed)`` the program numbers with their rows.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "fixtures" / "pools"
# The fixtures with a jwst reference output; mega_pool repeats most of the others.
_SKIPPED = frozenset({"mega_pool.csv", "pool_001_candidates_lower.csv"})
DELIMITER = "|"
# DMS numbering widths: 5-digit programs, 3-digit observations, cNNNN candidates.
MAX_PROGRAM = 99_999
MAX_OBSERVATION = 999
FIRST_CANDIDATE, MAX_CANDIDATE = 1000, 9999
# How many units a program holds at most (fewer when its numbers run out).
MAX_UNITS_PER_PROGRAM = 6

_CANDIDATE = re.compile(r"""(['"])([oOcC])(\d+)(['"])""")
_DMS_NAME = re.compile(r"^(jw)(\d{5})(\d{3})(\d{3})(_.+)$", re.IGNORECASE)
_OBS_ID = re.compile(r"^(\d{5})(\d{3})(\d{3})$")
_VISIT_ID = re.compile(r"^([vV])(\d{5})(\d{3})(\d{3})(.*)$")


@dataclass(frozen=True)
class Unit:
    """The rows of one program of one fixture pool, aligned to the shared header."""

    source: str
    rows: tuple[tuple[str, ...], ...]
    first_obs: int  # smallest observation number anywhere in the unit
    obs_span: int  # observation numbers it uses, first to last
    first_candidate: int  # smallest cNNNN, or FIRST_CANDIDATE when it has none
    candidate_span: int  # cNNNN numbers it uses, first to last (0 when none)


@cache
def _templates() -> tuple[tuple[str, ...], tuple[Unit, ...]]:
    """The shared header (every fixture column, lower-case) and the units."""
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    for path in sorted(TEMPLATES.glob("*.csv")):
        if path.name in _SKIPPED:
            continue
        lines = [
            line
            for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        header = [name.strip().lower() for name in lines[0].split(DELIMITER)]
        rows = [[cell.strip() for cell in line.split(DELIMITER)] for line in lines[1:]]
        tables.append((path.name, header, rows))
    columns: list[str] = []
    for _, header, _ in tables:
        columns += [name for name in header if name not in columns]
    units = []
    for name, header, rows in tables:
        by_program: dict[str, list[tuple[str, ...]]] = {}
        for row in rows:
            record = dict(zip(header, row, strict=True))
            # jwst's test pools open with placeholder rows ("set acid", PROGRAM)
            if not record.get("program", "").isdigit():
                continue
            aligned = tuple(record.get(column, "") for column in columns)
            by_program.setdefault(record["program"], []).append(aligned)
        units += [_unit(name, columns, rows) for rows in by_program.values()]
    return tuple(columns), tuple(units)


def _unit(source: str, columns: list[str], rows: list[tuple[str, ...]]) -> Unit:
    at = {name: i for i, name in enumerate(columns)}
    observations: list[int] = []
    candidates: list[int] = []
    for row in rows:
        observations += _observation_numbers(row, at)
        for _, kind, number, _ in _CANDIDATE.findall(row[at["asn_candidate"]]):
            (observations if kind in "oO" else candidates).append(int(number))
    first_obs = min(observations, default=1)
    first_candidate = min(candidates, default=FIRST_CANDIDATE)
    return Unit(
        source=source,
        rows=tuple(rows),
        first_obs=first_obs,
        obs_span=max(observations, default=1) - first_obs + 1,
        first_candidate=first_candidate,
        candidate_span=max(candidates, default=first_candidate - 1) - first_candidate + 1,
    )


def _observation_numbers(row: tuple[str, ...], at: dict[str, int]) -> list[int]:
    found = []
    if row[at["obs_num"]].isdigit():
        found.append(int(row[at["obs_num"]]))
    # Some fixtures swap OBS_ID and VISIT_ID: either column is read either way.
    for pattern, column, group in (
        (_OBS_ID, "obs_id", 2),
        (_VISIT_ID, "obs_id", 3),
        (_OBS_ID, "visit_id", 2),
        (_VISIT_ID, "visit_id", 3),
        (_DMS_NAME, "filename", 3),
    ):
        match = pattern.match(row[at[column]])
        if match:
            found.append(int(match.group(group)))
    return found


def header() -> list[str]:
    """The columns of every generated pool, in order."""
    return list(_templates()[0])


def iter_programs(n_rows: int, seed: int) -> Iterator[tuple[int, list[list[str]]]]:
    """(program number, its rows) of the pool ``make_pool(n_rows, seed)`` writes.

    Rows are lists of cells in ``header()`` order. Raises ValueError when
    ``n_rows`` is negative or needs more than 99,999 programs.
    """
    if n_rows < 0:
        raise ValueError(f"n_rows must be 0 or more, got {n_rows}")
    columns, units = _templates()
    at = {name: i for i, name in enumerate(columns)}
    rng = random.Random(seed)
    remaining, program = n_rows, 0
    while remaining > 0:
        program += 1
        if program > MAX_PROGRAM:
            raise ValueError(f"{n_rows} rows need more than {MAX_PROGRAM} programs")
        rows: list[list[str]] = []
        next_obs, next_candidate = 1, FIRST_CANDIDATE
        for _ in range(rng.randint(1, MAX_UNITS_PER_PROGRAM)):
            unit = rng.choice(units)
            last_obs = next_obs + unit.obs_span - 1
            last_candidate = next_candidate + unit.candidate_span - 1
            if rows and (last_obs > MAX_OBSERVATION or last_candidate > MAX_CANDIDATE):
                break
            obs_shift = next_obs - unit.first_obs
            candidate_shift = next_candidate - unit.first_candidate
            for template in unit.rows[:remaining]:
                rows.append(_renumber(template, at, program, obs_shift, candidate_shift))
            remaining -= min(remaining, len(unit.rows))
            next_obs, next_candidate = last_obs + 1, last_candidate + 1
            if remaining == 0:
                break
        yield program, rows


def _renumber(
    template: tuple[str, ...], at: dict[str, int], program: int, obs_shift: int, cand_shift: int
) -> list[str]:
    row = list(template)
    obs_num = row[at["obs_num"]]
    obs = int(obs_num) + obs_shift if obs_num.isdigit() else 1 + obs_shift
    row[at["program"]] = str(program)
    row[at["obs_num"]] = str(obs)

    def observation(digits: str) -> str:
        return f"{int(digits) + obs_shift:03d}"

    for column in (at["obs_id"], at["visit_id"]):
        match = _OBS_ID.match(row[column])
        if match:
            row[column] = f"{program:05d}{observation(match[2])}{match[3]}"
        match = _VISIT_ID.match(row[column])
        if match:
            row[column] = f"{match[1]}{program:05d}{observation(match[3])}{match[4]}{match[5]}"
    name = row[at["filename"]]
    match = _DMS_NAME.match(name)
    if match:
        row[at["filename"]] = f"jw{program:05d}{observation(match[3])}{match[4]}{match[5]}"
    else:
        row[at["filename"]] = f"jw{program:05d}{obs:03d}000_{name}"

    def candidate(found: re.Match[str]) -> str:
        quote, kind, number, end = found.groups()
        if kind in "oO":
            return f"{quote}{kind}{int(number) + obs_shift:03d}{end}"
        return f"{quote}{kind}{int(number) + cand_shift}{end}"

    row[at["asn_candidate"]] = _CANDIDATE.sub(candidate, row[at["asn_candidate"]])
    return row


def make_pool(n_rows: int, seed: int) -> str:
    """The text of a pool of exactly ``n_rows`` exposures ('|'-delimited, with header).

    The same (n_rows, seed) always gives the same text. Raises ValueError as
    :func:`iter_programs` does.
    """
    return "".join(_lines(n_rows, seed))


def _lines(n_rows: int, seed: int) -> Iterator[str]:
    yield f"# generated by bench/pool_generator.py: {n_rows} rows, seed {seed}\n"
    yield DELIMITER.join(name.upper() for name in header()) + "\n"
    for _, rows in iter_programs(n_rows, seed):
        for row in rows:
            yield DELIMITER.join(row) + "\n"


def write_pool(path: Path, n_rows: int, seed: int) -> Path:
    """Write ``make_pool(n_rows, seed)`` to ``path`` without holding it all in memory."""
    with path.open("w") as out:
        out.writelines(_lines(n_rows, seed))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="exposures in the pool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.output:
        write_pool(args.output, args.rows, args.seed)
    else:
        sys.stdout.writelines(_lines(args.rows, args.seed))


if __name__ == "__main__":
    main()
