"""Unit-cube encoding of a flattened search space, shared by the model-based tuners.

Every parameter spec becomes one coordinate of a vector:

- numeric parameters map to ``[0, 1]`` so that a uniform draw in the cube follows the parameter's own
  prior: linear for ``uniform``/``randint``, logarithmic for ``loguniform``, the normal CDF for
  ``normal``/``lognormal`` (unbounded types), quantization applied on the way back;
- a ``choice`` holds its option index as a float (``0.0, 1.0, ...``);
- a parameter that is inactive (its nested choice was not taken) holds ``NaN``.

Typical use::

    enc = UnitCubeEncoding(search_space.parse(space))
    X = enc.random(rng, 10)                    # (10, enc.dim), NaN where inactive
    flat = enc.decode(X[0])                    # {key: value} ready for format_parameters
    x = enc.encode(search_space.deformat_parameters(params, enc.specs))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from nni.search_space import ParameterSpec, quantize, to_trial_value

__all__ = ["UnitCubeEncoding"]

_EPS = 1e-9


class UnitCubeEncoding:
    """Map flat configurations of ``specs`` to vectors in ``[0, 1]^d`` (NaN = inactive) and back."""

    def __init__(self, specs: Sequence[ParameterSpec]) -> None:
        self.specs: list[ParameterSpec] = list(specs)
        self.dim = len(self.specs)
        self.index: dict[tuple[Any, ...], int] = {s.key: i for i, s in enumerate(self.specs)}
        self.categorical = np.array([s.categorical for s in self.specs], dtype=bool)
        self.sizes = np.array([s.size for s in self.specs], dtype=int)
        # For each coordinate: the (parent coordinate, option index) pairs that make it active.
        self.conditions: list[tuple[tuple[int, int], ...]] = [
            tuple((self.index[k], opt) for k, opt in s.condition) for s in self.specs
        ]
        self.conditional = any(self.conditions)
        self.steps = np.array([_unit_step(s) for s in self.specs], dtype=float)

    # ----------------------------------------------------------------------------------------- encode
    def encode(self, flat: Mapping[tuple[Any, ...], Any]) -> np.ndarray:
        """Vector of a flat configuration (choices as option indices); NaN for absent keys."""
        vec = np.full(self.dim, np.nan)
        for i, spec in enumerate(self.specs):
            if spec.key in flat:
                value = flat[spec.key]
                vec[i] = float(value) if spec.categorical else _to_unit(spec, float(value))
        return vec

    def decode(self, vec: np.ndarray) -> dict[tuple[Any, ...], Any]:
        """Flat configuration of a vector, only the parameters active under its choices.

        A coordinate that should be active but is NaN is filled with the middle of its range (option 0
        for a choice), so any vector decodes to a valid configuration.
        """
        flat: dict[tuple[Any, ...], Any] = {}
        for i, spec in enumerate(self.specs):
            if not spec.is_active(flat):
                continue
            u = vec[i]
            if spec.categorical:
                idx = 0 if not np.isfinite(u) else int(round(float(u)))
                flat[spec.key] = min(max(idx, 0), spec.size - 1)
            else:
                flat[spec.key] = _from_unit(spec, 0.5 if not np.isfinite(u) else float(u))
        return flat

    def active_mask(self, X: np.ndarray) -> np.ndarray:
        """Boolean ``(n, d)``: which coordinates are active in each row (from the choice coordinates)."""
        X = np.atleast_2d(X)
        mask = np.ones(X.shape, dtype=bool)
        for j, cond in enumerate(self.conditions):
            for parent, option in cond:
                mask[:, j] &= mask[:, parent] & (X[:, parent] == option)
        return mask

    def clean(self, X: np.ndarray) -> np.ndarray:
        """Set coordinates that are inactive under each row's choices to NaN (copy)."""
        X = np.array(X, dtype=float, copy=True)
        if self.conditional:
            X[~self.active_mask(X)] = np.nan
        return X

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` vectors drawn from the space's prior (NaN where inactive)."""
        X = rng.random((n, self.dim))
        for j in np.flatnonzero(self.categorical):
            X[:, j] = rng.integers(self.sizes[j], size=n)
        return self.clean(X)

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Round every row to the grid it decodes to (quantized, integer and choice coordinates)."""
        X = np.atleast_2d(np.array(X, dtype=float, copy=True))
        for j, spec in enumerate(self.specs):
            col = X[:, j]
            ok = np.isfinite(col)
            if spec.categorical:
                col[ok] = np.clip(np.round(col[ok]), 0, spec.size - 1)
            elif spec.integer or spec.q is not None:
                col[ok] = [_to_unit(spec, float(_from_unit(spec, float(u)))) for u in col[ok]]
        return X

    def key_of(self, flat: Mapping[tuple[Any, ...], Any]) -> tuple[Any, ...]:
        """A hashable identity of a decoded configuration (for duplicate detection)."""
        return tuple((k, _hashable(flat[k])) for k in sorted(flat, key=repr))


def _hashable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 12)
    return value


def _unit_step(spec: ParameterSpec) -> float:
    """Width of one grid cell in unit coordinates (0 when continuous or not evenly spaced)."""
    if spec.categorical:
        return 0.0
    if spec.type == "randint":
        return 1.0 / (spec.high - spec.low)
    if spec.type == "quniform":
        return min(1.0, spec.q / (spec.high - spec.low))  # type: ignore[operator]
    return 0.0


def _to_unit(spec: ParameterSpec, value: float) -> float:
    t = spec.type
    if t == "randint":
        return (value - spec.low + 0.5) / (spec.high - spec.low)
    if t in ("uniform", "quniform"):
        return _clip01((value - spec.low) / (spec.high - spec.low))
    if t in ("loguniform", "qloguniform"):
        lo, hi = math.log(spec.low), math.log(spec.high)
        return _clip01((math.log(max(value, spec.low)) - lo) / (hi - lo))
    if t in ("normal", "qnormal"):
        return _clip01(float(ndtr((value - spec.mu) / spec.sigma)))
    if t in ("lognormal", "qlognormal"):
        return _clip01(float(ndtr((math.log(max(value, 1e-300)) - spec.mu) / spec.sigma)))
    raise AssertionError(t)


def _from_unit(spec: ParameterSpec, u: float) -> float | int:
    t = spec.type
    u = _clip01(u)
    if t == "randint":
        span = int(spec.high) - int(spec.low)
        return int(spec.low) + min(int(math.floor(u * span)), span - 1)
    if t in ("uniform", "quniform"):
        value = spec.low + u * (spec.high - spec.low)
    elif t in ("loguniform", "qloguniform"):
        lo, hi = math.log(spec.low), math.log(spec.high)
        value = min(max(math.exp(lo + u * (hi - lo)), spec.low), spec.high)
    elif t in ("normal", "qnormal"):
        value = spec.mu + spec.sigma * float(ndtri(min(max(u, 1e-6), 1 - 1e-6)))
    elif t in ("lognormal", "qlognormal"):
        value = math.exp(spec.mu + spec.sigma * float(ndtri(min(max(u, 1e-6), 1 - 1e-6))))
    else:
        raise AssertionError(t)
    value = quantize(spec, value)
    if spec.log_distributed and value <= 0:
        value = float(spec.q or 1e-300)  # rounding a small log-normal value must not give 0
    return to_trial_value(spec, value)


def _clip01(u: float) -> float:
    return min(max(u, 0.0), 1.0)
