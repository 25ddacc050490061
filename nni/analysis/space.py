"""Exploring one experiment's search space: the metric against each parameter (slices), a binned contour of
a pair, and server-side sampling for charts a browser cannot draw point by point.

Each parameter gets an :class:`Axis` from the search space (``loguniform``/``qloguniform``/``lognormal``/
``qlognormal`` draw on a log scale; ``choice`` is categorical; everything under a nested choice is
*conditional*: absent from the trials of the other branches, which are counted as ``inactive``, never
plotted at a made-up value). A parameter the search space does not describe (the space changed, or a
customized trial) is read from its values: numeric when every value is a number, log-scaled when they are all
positive and span more than two decades.

Sampling (``sample_positions``): at most ``max_points`` trials, the best fifth of them by the metric always
kept, the rest an even random draw (seeded: the same figure every time); every answer says how many trials
it shows of how many, so the chart can say so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .results import ResultColumns, best_first, distribution

__all__ = ["Axis", "axes_of", "contour", "explore", "sample_positions", "slices"]

_LOG_TYPES = frozenset({"loguniform", "qloguniform", "lognormal", "qlognormal"})
_BEST_SHARE = 0.2


@dataclass(frozen=True)
class Axis:
    """How one (flattened) parameter is drawn."""

    name: str
    categorical: bool
    log: bool = False
    conditional: bool = False
    categories: tuple[str, ...] = ()  # a choice's options in the search space's order (categorical only)
    inferred: bool = False  # not in the search space: read from the values

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": "categorical" if self.categorical else "numeric",
                               "log": self.log, "conditional": self.conditional}
        if self.categorical:
            out["categories"] = list(self.categories)
        if self.inferred:
            out["inferred"] = True
        return out


def _space_axes(space: Mapping[str, Any], prefix: str, conditional: bool, out: dict[str, Axis]) -> None:
    for name, body in space.items():
        if not isinstance(body, Mapping):
            continue
        key = f"{prefix}{name}"
        kind = body.get("_type")
        values = body.get("_value") or []
        if kind == "choice" and any(isinstance(v, Mapping) and "_name" in v for v in values):
            names = [str(v["_name"]) if isinstance(v, Mapping) else str(v) for v in values]
            out[f"{key}/_name"] = Axis(f"{key}/_name", True, conditional=conditional, categories=tuple(names))
            for option in values:
                if isinstance(option, Mapping):
                    nested = {k: v for k, v in option.items() if k != "_name"}
                    _space_axes(nested, key + "/", True, out)
        elif kind == "choice":
            out[key] = Axis(key, True, conditional=conditional, categories=tuple(_label(v) for v in values))
        elif isinstance(kind, str):
            out[key] = Axis(key, False, log=kind in _LOG_TYPES, conditional=conditional)


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _inferred_axis(name: str, distinct: set[Any], conditional: bool) -> Axis:
    if distinct and all(_is_number(v) for v in distinct):
        lo, hi = min(distinct), max(distinct)
        return Axis(name, False, log=lo > 0 and hi / lo > 100, conditional=conditional, inferred=True)
    categories = sorted({_label(v) for v in distinct})
    return Axis(name, True, conditional=conditional, categories=tuple(categories), inferred=True)


def axes_of(results: ResultColumns) -> list[Axis]:
    """An axis for every parameter the trials have, in the order they first appear."""
    known: dict[str, Axis] = {}
    _space_axes(results.search_space, "", False, known)
    out = []
    for name, column in results.params.items():
        distinct = set(column)  # flattened values are scalars
        distinct.discard(None)
        axis = known.get(name)
        if axis is None or (not axis.categorical and not all(_is_number(v) for v in distinct)):
            axis = _inferred_axis(name, distinct, conditional=not results.active(name).all())
        elif axis.categorical:  # options a customized trial added are shown too
            extra = sorted({_label(v) for v in distinct} - set(axis.categories))
            if extra:
                axis = Axis(axis.name, True, conditional=axis.conditional, categories=axis.categories + tuple(extra))
        out.append(axis)
    return out


def sample_positions(value: np.ndarray, positions: np.ndarray, max_points: int, *, maximize: bool,
                     seed: int = 0) -> np.ndarray:
    """At most ``max_points`` of ``positions`` (sorted): the best fifth by ``value`` (NaN: no result) always,
    the rest drawn evenly at random. All of them when they fit."""
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) <= max_points:
        return positions
    with_value = positions[~np.isnan(value[positions])]
    keep_best = best_first(value, with_value, maximize=maximize)[: int(max_points * _BEST_SHARE)]
    rest = np.setdiff1d(positions, keep_best, assume_unique=True)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(rest, size=max_points - len(keep_best), replace=False)
    return np.sort(np.concatenate([keep_best, drawn]))


def _values(axis: Axis, column: Sequence[Any], at: np.ndarray) -> list[Any]:
    if axis.categorical:
        return [_label(column[i]) for i in at]
    return [float(column[i]) for i in at]


def slices(results: ResultColumns, *, max_points: int = 2000, seed: int = 0) -> list[dict[str, Any]]:
    """The final metric against each parameter: for each, the trials where it is active (sampled beyond
    ``max_points``), with ``shown``, ``total`` and ``inactive`` (trials with a result on another branch)."""
    have = results.with_result
    out = []
    for axis in axes_of(results):
        column = results.params[axis.name]
        active = have[results.active(axis.name)[have]]
        shown = sample_positions(results.value, active, max_points, maximize=results.maximize, seed=seed)
        out.append({
            **axis.as_json(),
            "x": _values(axis, column, shown),
            "y": results.value[shown].tolist(),
            "id": [results.ids[i] for i in shown],
            "seq": results.seq[shown].tolist(),
            "shown": len(shown), "total": len(active), "inactive": len(have) - len(active),
        })
    return out


def _bin(axis: Axis, column: Sequence[Any], at: np.ndarray, bins: int) -> tuple[np.ndarray, list[Any], list[Any]]:
    """(bin index of each trial, bin centers in the parameter's units, bin edges or categories)."""
    if axis.categorical:
        labels = [_label(column[i]) for i in at]
        categories = [c for c in axis.categories if c in set(labels)]
        index = {c: k for k, c in enumerate(categories)}
        return np.array([index[v] for v in labels], dtype=np.int64), list(categories), list(categories)
    raw = np.array([float(column[i]) for i in at])
    scaled = np.log10(raw) if axis.log else raw
    lo, hi = float(scaled.min()), float(scaled.max())
    count = bins if hi > lo else 1
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, count + 1)
    which = np.clip(np.searchsorted(edges, scaled, side="right") - 1, 0, count - 1)
    centers = (edges[:-1] + edges[1:]) / 2
    if axis.log:
        return which, (10 ** centers).tolist(), (10 ** edges).tolist()
    return which, centers.tolist(), edges.tolist()


def contour(results: ResultColumns, x: str, y: str, *, bins: int | None = None, max_points: int = 2000,
            seed: int = 0) -> dict[str, Any]:
    """The best final metric in each cell of a grid over two parameters (numeric ones in ``bins`` equal steps,
    on a log scale for log-scaled ones; categorical ones one cell per option), over the trials where both are
    active; ``count`` is the trials in each cell, ``z`` is None where there are none. ``points`` are the
    trials themselves (sampled beyond ``max_points``) to draw over the grid. ``bins`` by default: the square
    root of the number of trials, between 4 and 20 (a sparse grid of tiny cells shows nothing)."""
    axes = {a.name: a for a in axes_of(results)}
    for name in (x, y):
        if name not in axes:
            raise KeyError(f"no parameter {name!r}; the experiment's parameters: {', '.join(axes) or 'none'}")
    if x == y:
        raise ValueError(f"a contour needs two different parameters, got {x!r} twice")
    cx, cy = results.params[x], results.params[y]
    have = results.with_result
    both = have[(results.active(x) & results.active(y))[have]]
    out: dict[str, Any] = {"x": axes[x].as_json(), "y": axes[y].as_json(), "trials": len(both),
                           "mode": results.mode}
    if not len(both):
        out.update(z=[], count=[], points={"x": [], "y": [], "value": [], "id": []}, shown=0)
        return out
    if bins is None:
        bins = int(min(20, max(4, round(len(both) ** 0.5))))
    ix, centers_x, edges_x = _bin(axes[x], cx, both, bins)
    iy, centers_y, edges_y = _bin(axes[y], cy, both, bins)
    shape = (len(centers_y), len(centers_x))
    fill = -np.inf if results.maximize else np.inf
    z = np.full(shape, fill)
    (np.maximum if results.maximize else np.minimum).at(z, (iy, ix), results.value[both])
    count = np.zeros(shape, dtype=np.int64)
    np.add.at(count, (iy, ix), 1)
    shown = sample_positions(results.value, both, max_points, maximize=results.maximize, seed=seed)
    out["x"].update(centers=centers_x, edges=edges_x)
    out["y"].update(centers=centers_y, edges=edges_y)
    out.update(
        z=[[None if c == 0 else float(v) for v, c in zip(zr, cr, strict=True)] for zr, cr in zip(z, count, strict=True)],
        count=count.tolist(),
        points={"x": _values(axes[x], cx, shown), "y": _values(axes[y], cy, shown),
                "value": results.value[shown].tolist(), "id": [results.ids[i] for i in shown]},
        shown=len(shown), bins=bins,
    )
    return out


def explore(results: ResultColumns, *, max_points: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Everything the exploration view draws but the contour: the slices, the metric's distribution and the
    best-so-far curves, with the counts the chart notes quote."""
    have = results.with_result
    return {
        "experimentId": results.experiment_id,
        "mode": results.mode,
        "total": len(results),
        "withResult": len(have),
        "maxPoints": max_points,
        "parameters": slices(results, max_points=max_points, seed=seed),
        "distribution": distribution(results.value[have]),
        "bestSoFar": results.best_so_far(),
    }
