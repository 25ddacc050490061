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
    "hypervolume_contributions",
    "pareto_order",
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
    if points.ndim == 2 and points.shape[1] == 2:
        return _non_dominated_2d(points)
    return ~np.any(_domination_matrix(points), axis=0)


def _domination_matrix(points: np.ndarray) -> np.ndarray:
    """``[i, j]``: row i dominates row j (built one objective at a time: no n x n x k temporary)."""
    points = points.reshape(len(points), -1)
    n = len(points)
    no_worse = np.ones((n, n), dtype=bool)
    better = np.zeros((n, n), dtype=bool)
    for column in points.T:
        no_worse &= column[:, None] <= column[None, :]
        better |= column[:, None] < column[None, :]
    return no_worse & better


def _non_dominated_2d(points: np.ndarray) -> np.ndarray:
    """Two objectives in O(n log n): sorted by the first, a row is dominated when a row with a smaller
    first value has a second value no larger, or a row with the same first value a smaller second one."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    group_start = np.r_[True, x[1:] != x[:-1]]
    group_id = np.cumsum(group_start) - 1
    first_of_group = np.flatnonzero(group_start)
    group_min_y = y[first_of_group]  # sorted by (x, y): the first row of a group has its smallest y
    best_before = np.r_[np.inf, np.minimum.accumulate(group_min_y)[:-1]]  # min y over strictly smaller x
    dominated = (best_before[group_id] <= y) | (group_min_y[group_id] < y)
    mask = np.empty(len(points), dtype=bool)
    mask[order] = ~dominated
    return mask


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


def hypervolume_contributions(points: np.ndarray, reference: Sequence[float]) -> np.ndarray:
    """The hypervolume each row of the set's Pareto front alone adds to that front (0 for dominated rows,
    rows outside the reference box and duplicated rows).

    Two objectives: closed form on the sorted front; more: ``hypervolume(front) - hypervolume(front but one)``."""
    ref = np.asarray(reference, dtype=float)
    points = np.asarray(points, dtype=float).reshape(-1, ref.size)
    n = len(points)
    out = np.zeros(n)
    inside = np.flatnonzero(np.all(points < ref, axis=1))
    if inside.size == 0:
        return out
    front = inside[non_dominated(points[inside])]
    _, first, counts = np.unique(points[front], axis=0, return_index=True, return_counts=True)
    unique = front[np.sort(first[counts == 1])]  # duplicated rows add nothing alone
    if ref.size == 2:
        rows = front[first]  # one of each distinct row, sorted by the first objective (np.unique's order)
        x, y = points[rows, 0], points[rows, 1]
        alone = (np.r_[x[1:], ref[0]] - x) * (np.r_[ref[1], y[:-1]] - y)
        out[rows[counts == 1]] = alone[counts == 1]
        return out
    total = hypervolume(points[front], ref)
    for i in unique:
        others = front[front != i]
        out[i] = total - hypervolume(points[others], ref)
    return out


def pareto_order(points: np.ndarray, violation: np.ndarray | None = None, limit: int | None = None) -> np.ndarray:
    """Row indices from best to worst: feasible rows by non-dominated front, within a front by the
    hypervolume they alone add (two objectives) or their crowding distance (more), largest first; then the
    infeasible rows (``violation > 0``) by violation, smallest first. With ``limit``, fronts are peeled only
    until ``limit`` rows are placed (the rest are left out of the returned order)."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    limit = n if limit is None else min(int(limit), n)
    violation = np.zeros(n) if violation is None else np.asarray(violation, dtype=float)
    remaining = np.flatnonzero(violation <= 0)
    order: list[np.ndarray] = []
    placed = 0
    # two objectives: each front by sorting; more: the domination matrix once, then peeled by counts
    dominates_ = _domination_matrix(points[remaining]) if points.shape[1] > 2 and remaining.size else None
    counts = dominates_.sum(axis=0) if dominates_ is not None else None
    while remaining.size and placed < limit:
        if dominates_ is not None:
            mask = counts == 0
            counts = counts[~mask] - dominates_[np.ix_(mask, ~mask)].sum(axis=0)
            dominates_ = dominates_[np.ix_(~mask, ~mask)]
        else:
            mask = non_dominated(points[remaining])
        front = remaining[mask]
        remaining = remaining[~mask]
        if front.size > 1:
            order.append(front[_spread_order(points[front])])
        else:
            order.append(front)
        placed += front.size
    if placed < limit:
        infeasible = np.flatnonzero(violation > 0)
        order.append(infeasible[np.argsort(violation[infeasible], kind="stable")])
    return np.concatenate(order)[:limit] if order else np.zeros(0, dtype=int)


def _spread_order(front: np.ndarray) -> np.ndarray:
    """Order of a front's rows, most valuable first (see :func:`pareto_order`), stable on ties."""
    span = front.max(axis=0) - front.min(axis=0)
    span = np.where(span > 0, span, 1.0)
    scaled = (front - front.min(axis=0)) / span
    if front.shape[1] == 2:
        value = hypervolume_contributions(scaled, np.full(2, 1.1))
        return np.argsort(-value, kind="stable")
    return np.argsort(-_sampled_contributions(scaled, 1.1), kind="stable")


_SAMPLES = 8192


def _sampled_contributions(points: np.ndarray, reference: float) -> np.ndarray:
    """Three or more objectives: each row's exclusive hypervolume, estimated from a fixed set of
    random points of the box ``[0, reference]^k`` (the share dominated by that row alone). Exact
    contributions cost a hypervolume per row; this costs one rows x samples comparison, and ranks alike."""
    k = points.shape[1]
    samples = _box_samples(k) * reference
    covered = np.ones((len(points), len(samples)), dtype=bool)
    for j in range(k):
        covered &= points[:, j, None] <= samples[None, :, j]
    alone = covered & (covered.sum(axis=0) == 1)[None, :]
    return alone.sum(axis=1) / len(samples) * reference**k


_BOX_SAMPLES: dict[int, np.ndarray] = {}


def _box_samples(k: int) -> np.ndarray:
    if k not in _BOX_SAMPLES:
        _BOX_SAMPLES[k] = np.random.default_rng(k).random((_SAMPLES, k))
    return _BOX_SAMPLES[k]


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
