"""Greedy local search over unit-cube vectors, as SMAC uses to maximise its acquisition function."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._encoding import UnitCubeEncoding
from .base import _fill_activated

__all__ = ["neighbours", "local_search"]


def neighbours(enc: UnitCubeEncoding, x: np.ndarray, rng: np.random.Generator, per_numeric: int = 4) -> np.ndarray:
    """One-coordinate moves of ``x``: Gaussian steps (sd 0.2) of active numbers, every other option of a choice."""
    rows = []
    active = np.isfinite(x)
    for j in np.flatnonzero(active):
        if enc.categorical[j]:
            for option in range(int(enc.sizes[j])):
                if option != int(x[j]):
                    y = x.copy()
                    y[j] = option
                    rows.append(y)
        else:
            steps = rng.normal(0.0, 0.2, size=per_numeric)
            for step in steps:
                y = x.copy()
                y[j] = min(max(x[j] + step, 0.0), 1.0)
                rows.append(y)
    if not rows:
        return np.zeros((0, len(x)))
    X = _fill_activated(enc, np.array(rows), rng)
    return enc.snap(enc.clean(X))


def local_search(
    enc: UnitCubeEncoding,
    starts: np.ndarray,
    score: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
    max_steps: int = 15,
) -> np.ndarray:
    """Hill-climb from each start to a local maximum of ``score``; returns the end points."""
    ends = []
    for x in np.atleast_2d(starts):
        current = x.copy()
        current_score = float(score(current[None, :])[0])
        for _ in range(max_steps):
            near = neighbours(enc, current, rng)
            if not len(near):
                break
            values = score(near)
            best = int(np.argmax(values))
            if values[best] <= current_score + 1e-12:
                break
            current, current_score = near[best], float(values[best])
        ends.append(current)
    return np.array(ends).reshape(len(ends), enc.dim)
