"""Pareto sets of several objectives: non-dominated sorting, crowding distance, hypervolume, violation.

Every function here works on MINIMISED objective vectors: an ``n x k`` float array, one row per trial.
Turn a maximised objective into a minimised one by negating its column (:func:`to_minimized`), so
that the tuners, the web UI, the REST routes and the benchmark share one convention and one code path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "to_minimized",
    "dominates",
    "non_dominated",
    "non_dominated_ranks",
    "crowding_distance",
    "hypervolume",
    "constraint_violation",
]


def to_minimized(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """``values`` (``n x k``) with each maximised objective's column negated."""
    values = np.asarray(values, dtype=float)
    signs = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
    return values * signs


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether vector ``a`` is no worse than ``b`` in every objective and better in one (minimised)."""
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows no other row dominates (the Pareto set; equal rows are all kept)."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    if n == 0:
        return np.zeros(0, dtype=bool)
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)  # [i, j]: i no worse than j
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dominated = np.any(no_worse & better, axis=0)
    return ~dominated


def non_dominated_ranks(points: np.ndarray) -> np.ndarray:
    """The front of each row: 0 for the Pareto set, 1 for the set left when it is removed, and so on."""
    points = np.asarray(points, dtype=float)
    ranks = np.full(len(points), -1, dtype=int)
    remaining = np.arange(len(points))
    front = 0
    while remaining.size:
        mask = non_dominated(points[remaining])
        ranks[remaining[mask]] = front
        remaining = remaining[~mask]
        front += 1
    return ranks


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row within its set (boundary rows: infinity)."""
    points = np.asarray(points, dtype=float)
    n, k = points.shape if points.ndim == 2 else (len(points), 0)
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(points[:, j], kind="stable")
        column = points[order, j]
        span = column[-1] - column[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance


def hypervolume(points: np.ndarray, reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (minimised objectives; rows not
    strictly better than the reference in every objective add nothing). Exact: a sweep in two
    dimensions, slicing along the last objective above that (fine for a few thousand points in 3-D)."""
    ref = np.asarray(reference, dtype=float)
    points = np.asarray(points, dtype=float).reshape(-1, ref.size)
    points = points[np.all(points < ref, axis=1)]
    if len(points) == 0:
        return 0.0
    points = points[non_dominated(points)]
    return _hv(np.unique(points, axis=0), ref)


def _hv(points: np.ndarray, ref: np.ndarray) -> float:
    k = ref.size
    if k == 1:
        return float(ref[0] - points[:, 0].min())
    if k == 2:
        order = np.argsort(points[:, 0], kind="stable")
        volume, best_y = 0.0, ref[1]
        for x, y in points[order]:
            if y < best_y:
                volume += (ref[0] - x) * (best_y - y)
                best_y = y
        return float(volume)
    order = np.argsort(points[:, -1], kind="stable")
    points = points[order]
    volume = 0.0
    for i in range(len(points)):
        upper = points[i + 1, -1] if i + 1 < len(points) else ref[-1]
        depth = upper - points[i, -1]
        if depth <= 0:
            continue
        slab = points[: i + 1, :-1]
        volume += depth * _hv(slab[non_dominated(slab)], ref[:-1])
    return float(volume)


def constraint_violation(values: np.ndarray, lower: Sequence[float | None], upper: Sequence[float | None]
                         ) -> np.ndarray:
    """Per row, the total amount by which its constraint values leave ``[lower, upper]`` (0: feasible).
    ``values`` is ``n x c``; a None bound is no bound; a missing value (NaN) counts as infinitely violated."""
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    low = np.array([-np.inf if b is None else b for b in lower], dtype=float)
    high = np.array([np.inf if b is None else b for b in upper], dtype=float)
    over = np.maximum(values - high, 0.0) + np.maximum(low - values, 0.0)
    over = np.where(np.isnan(values), np.inf, over)
    return over.sum(axis=1)
