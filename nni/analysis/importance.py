"""Hyperparameter importance (the web UI's Charts page): a small random forest in numpy (mean impurity decrease).

Each parameter becomes one numeric feature: numbers are rank-transformed (trees only care about
order), strings and other choice values become their category code, and a parameter that is absent
from a trial (an inactive branch of a nested choice) gets a value below every real one, so "not
active" is a group of its own. The forest fits the default final metric; a parameter's importance
is the variance reduction its splits bring, averaged over trees and normalised to sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["encode_features", "forest_importance"]


def encode_features(columns: Sequence[Sequence[Any]]) -> np.ndarray:
    """Columns of raw parameter values (None when absent) to an ``n x d`` float matrix."""
    if not columns:
        return np.zeros((0, 0))
    n = len(columns[0])
    out = np.full((n, len(columns)), -1.0)
    for j, column in enumerate(columns):
        numeric = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in column)
        present = [i for i, v in enumerate(column) if v is not None]
        if not present:
            continue
        if numeric:
            values = np.array([float(column[i]) for i in present])
        else:
            codes = {label: k for k, label in enumerate(sorted({str(column[i]) for i in present}))}
            values = np.array([float(codes[str(column[i])]) for i in present])
        # Dense ranks: equal values share a rank; absent stays at -1.
        _, ranks = np.unique(values, return_inverse=True)
        out[present, j] = ranks.astype(float)
    return out


def _best_split(x: np.ndarray, y: np.ndarray, min_leaf: int) -> tuple[float, float] | None:
    """(gain in sum of squared errors, threshold) of the best split of one feature, or None."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n = len(ys)
    csum = np.cumsum(ys)
    csq = np.cumsum(ys * ys)
    total, total_sq = csum[-1], csq[-1]
    left_n = np.arange(1, n)
    right_n = n - left_n
    left_sum = csum[:-1]
    right_sum = total - left_sum
    sse_parent = total_sq - total * total / n
    sse_children = (csq[:-1] - left_sum**2 / left_n) + ((total_sq - csq[:-1]) - right_sum**2 / right_n)
    valid = (xs[1:] > xs[:-1]) & (left_n >= min_leaf) & (right_n >= min_leaf)
    if not valid.any():
        return None
    gains = np.where(valid, sse_parent - sse_children, -np.inf)
    k = int(np.argmax(gains))
    if gains[k] <= 0:
        return None
    return float(gains[k]), float((xs[k] + xs[k + 1]) / 2)


def _grow(
    X: np.ndarray,
    y: np.ndarray,
    depth: int,
    max_depth: int,
    min_leaf: int,
    max_features: int,
    rng: np.random.Generator,
    gains: np.ndarray,
) -> None:
    if depth >= max_depth or len(y) < 2 * min_leaf or np.ptp(y) == 0:
        return
    d = X.shape[1]
    features = rng.choice(d, size=min(max_features, d), replace=False)
    best: tuple[float, int, float] | None = None
    for j in features:
        found = _best_split(X[:, j], y, min_leaf)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], int(j), found[1])
    if best is None:
        return
    gain, j, threshold = best
    gains[j] += gain
    mask = X[:, j] <= threshold
    _grow(X[mask], y[mask], depth + 1, max_depth, min_leaf, max_features, rng, gains)
    _grow(X[~mask], y[~mask], depth + 1, max_depth, min_leaf, max_features, rng, gains)


def forest_importance(
    X: np.ndarray,
    y: np.ndarray,
    *,
    trees: int = 16,
    max_depth: int = 8,
    min_leaf: int = 3,
    max_samples: int = 2000,
    seed: int = 0,
) -> np.ndarray:
    """Normalised importance per column of ``X`` for predicting ``y`` (zeros when nothing is learnt)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    if n < 2 * min_leaf or d == 0:
        return np.zeros(d)
    rng = np.random.default_rng(seed)
    gains = np.zeros(d)
    max_features = max(1, int(np.ceil(d * 0.6)))
    size = min(n, max_samples)
    for _ in range(trees):
        idx = rng.choice(n, size=size, replace=True)
        _grow(X[idx], y[idx], 0, max_depth, min_leaf, max_features, rng, gains)
    total = gains.sum()
    return gains / total if total > 0 else gains
