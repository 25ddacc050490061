"""Acquisition functions for minimisation, with gradients with respect to the predictive mean and std.

Each returns values to MAXIMISE: log expected improvement (numerically stable far below the incumbent),
log probability of improvement, and the negated lower confidence bound (``-(mean - kappa * std)``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

__all__ = ["acquisition", "UTILITIES"]

UTILITIES = ("ei", "ucb", "poi")

_SQRT_HALF_PI = math.sqrt(math.pi / 2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _mills(z: np.ndarray) -> np.ndarray:
    """Phi(z) / phi(z), stable for very negative z."""
    return _SQRT_HALF_PI * erfcx(-z / math.sqrt(2.0))


def _log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(z Phi(z) + phi(z))`` and its derivative ``Phi(z) / h(z)``, stable for any z."""
    log_h = np.empty_like(z)
    dz = np.empty_like(z)
    low = z < -1.0
    zl = z[low]  # far below the incumbent: h = phi * (1 + z * Mills ratio), no cancellation in erfcx
    m = _mills(zl)
    inner = np.maximum(1.0 + zl * m, 1e-300)
    log_h[low] = -0.5 * zl * zl - _LOG_SQRT_2PI + np.log(inner)
    dz[low] = m / inner
    zh = z[~low]
    cdf = ndtr(zh)
    h = zh * cdf + np.exp(-0.5 * zh * zh - _LOG_SQRT_2PI)
    log_h[~low] = np.log(h)
    dz[~low] = cdf / h
    return log_h, dz


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
        dz = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - value)  # d log Phi(z) / dz = phi / Phi
        return value, -dz / std, -dz * z / std
    if utility == "ei":
        log_h, dz = _log_h(z)
        return np.log(std) + log_h, -dz / std, 1.0 / std - dz * z / std
    raise ValueError(f"utility must be one of {', '.join(UTILITIES)}, got {utility!r}")
