"""Delta debugging for pools: the fewest rows, columns and set cells that still differ.

``shrink_pool(pool, differs)`` keeps calling ``differs(candidate_pool)`` (True when the
difference being chased is still there) on smaller pools: first rows (Zeller's ddmin),
then columns, then cells set to NULL one by one. ``budget`` bounds the number of calls,
since each one runs jwst.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from random_pools import KEPT_CELLS, KEPT_COLUMNS, Pool

T = TypeVar("T")


class Budget:
    """Counts test calls; ``spent`` once ``limit`` is reached."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    @property
    def spent(self) -> bool:
        return self.used >= self.limit


def ddmin(items: Sequence[T], test: Callable[[list[T]], bool], budget: Budget) -> list[T]:
    """A 1-minimal sublist of ``items`` (order kept) for which ``test`` holds.

    ``test(list(items))`` is assumed to hold. Removing any single element of the result
    makes ``test`` fail, unless the budget ran out first.
    """
    current = list(items)
    n = 2
    while len(current) >= 2 and not budget.spent:
        size = max(1, len(current) // n)
        chunks = [current[i : i + size] for i in range(0, len(current), size)]
        reduced = False
        for i in range(len(chunks)):
            complement = [x for j, c in enumerate(chunks) if j != i for x in c]
            if budget.spent:
                break
            budget.used += 1
            if complement and test(complement):
                current, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(current):
                break
            n = min(len(current), 2 * n)
    return current


def _with_rows(pool: Pool, rows: list[int]) -> Pool:
    out = pool.copy()
    out.rows = [list(pool.rows[i]) for i in rows]
    return out


def _with_columns(pool: Pool, columns: list[int]) -> Pool:
    out = pool.copy()
    out.columns = [pool.columns[j] for j in columns]
    out.rows = [[row[j] for j in columns] for row in pool.rows]
    return out


def shrink_pool(pool: Pool, differs: Callable[[Pool], bool], budget: int = 300) -> Pool:
    """The smallest pool found that still ``differs``: rows, then columns, then cells."""
    spend = Budget(budget)
    rows = ddmin(range(len(pool.rows)), lambda r: differs(_with_rows(pool, r)), spend)
    pool = _with_rows(pool, rows)

    kept = [j for j, c in enumerate(pool.columns) if c in KEPT_COLUMNS]
    optional = [j for j, c in enumerate(pool.columns) if c not in KEPT_COLUMNS]

    def with_optional(chosen: list[int]) -> Pool:
        return _with_columns(pool, sorted(kept + chosen))

    if optional and not spend.spent:
        spend.used += 1
        if differs(with_optional([])):
            chosen: list[int] = []
        else:
            chosen = ddmin(optional, lambda c: differs(with_optional(c)), spend)
        pool = with_optional(chosen)

    # Cells: a value that does not matter becomes NULL, so what is left is what matters.
    for i, row in enumerate(pool.rows):
        for j, column in enumerate(pool.columns):
            if spend.spent:
                return pool
            if column in KEPT_CELLS or row[j].upper() in ("NULL", "F", "N", ""):
                continue
            trial = pool.copy()
            trial.rows[i][j] = "NULL"
            spend.used += 1
            if differs(trial):
                pool = trial
    return pool
