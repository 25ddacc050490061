"""Acquisition functions for minimisation, with gradients with respect to the predictive mean and std.

Each returns values to MAXIMISE: log expected improvement (numerically stable far below the incumbent),
log probability of improvement, and the negated lower confidence bound (``-(mean - kappa * std)``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr

__all__ = ["acquisition", "UTILITIES"]

UTILITIES = ("ei", "ucb", "poi")

_SQRT_HALF_PI = math.sqrt(math.pi / 2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _mills(z: np.ndarray) -> np.ndarray:
    """Phi(z) / phi(z), stable for very negative z."""
    return _SQRT_HALF_PI * erfcx(-z / math.sqrt(2.0))


def acquisition(
    utility: str, mean: np.ndarray, std: np.ndarray, best: float, *, kappa: float, xi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acquisition values and their derivatives with respect to ``mean`` and ``std`` (elementwise)."""
    mean = np.asarray(mean, dtype=float)
    std = np.maximum(np.asarray(std, dtype=float), 1e-12)
    if utility == "ucb":
        return -(mean - kappa * std), -np.ones_like(mean), np.full_like(mean, kappa)
    z = (best - xi - mean) / std
    if utility == "poi":
        value = log_ndtr(z)
        dz = 1.0 / _mills(z)  # d log Phi(z) / dz
        return value, -dz / std, -dz * z / std
    if utility == "ei":
        m = _mills(z)
        inner = np.maximum(1.0 + z * m, 1e-300)  # h(z) / phi(z)
        value = np.log(std) - 0.5 * z * z - _LOG_SQRT_2PI + np.log(inner)
        dz = m / inner  # d log h / dz = Phi / h
        return value, -dz / std, 1.0 / std - dz * z / std
    raise ValueError(f"utility must be one of {', '.join(UTILITIES)}, got {utility!r}")
