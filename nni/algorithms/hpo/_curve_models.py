"""Learning-curve extrapolation: a weighted ensemble of parametric curve families.

Each family (power laws, exponential and logistic saturations, logarithmic and linear trends, after
Domhan et al., "Speeding up Automatic Hyperparameter Optimization of Deep Neural Networks by
Extrapolation of Learning Curves", IJCAI 2015) is fitted to the observed curve by least squares. Fits
are weighted by their small-sample Akaike weights, fits whose extrapolation is not finite or leaves a
plausible band around the observations are dropped, and the prediction is the weighted mean of the
rest. The curve is taken as "higher is better"; callers negate a loss curve first.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CURVE_FAMILIES", "predict_final", "fit_curves"]

Array = np.ndarray


@dataclass(frozen=True)
class _Family:
    name: str
    func: Callable[..., Array]
    guess: Callable[[Array, Array], list[float]]


def _pow3(x: Array, c: float, a: float, alpha: float) -> Array:
    return c - a * np.power(x, -alpha)


def _pow4(x: Array, c: float, a: float, b: float, alpha: float) -> Array:
    return c - np.power(a * x + b, -alpha)


def _log_power(x: Array, a: float, b: float, c: float) -> Array:
    return a / (1.0 + np.power(x / np.exp(b), c))


def _mmf(x: Array, alpha: float, beta: float, kappa: float, delta: float) -> Array:
    return alpha - (alpha - beta) / (1.0 + np.power(kappa * x, delta))


def _exp4(x: Array, c: float, a: float, b: float, alpha: float) -> Array:
    return c - np.exp(-a * np.power(x, alpha) + b)


def _janoschek(x: Array, alpha: float, beta: float, kappa: float, delta: float) -> Array:
    return alpha - (alpha - beta) * np.exp(-kappa * np.power(x, delta))


def _weibull(x: Array, alpha: float, beta: float, kappa: float, delta: float) -> Array:
    return alpha - (alpha - beta) * np.exp(-np.power(kappa * x, delta))


def _ilog2(x: Array, c: float, a: float) -> Array:
    return c - a / np.log(x + 1.0)


def _vap(x: Array, a: float, b: float, c: float) -> Array:
    return np.exp(a + b / x + c * np.log(x))


def _logx_linear(x: Array, a: float, b: float) -> Array:
    return a * np.log(x) + b


def _linear(x: Array, a: float, b: float) -> Array:
    return a * x + b


def _hill(x: Array, theta: float, eta: float, kappa: float) -> Array:
    return theta * np.power(x, eta) / (np.power(kappa, eta) + np.power(x, eta))


def _span(y: Array) -> float:
    return float(max(y.max() - y.min(), 1e-3 * max(abs(y.max()), 1.0), 1e-6))


CURVE_FAMILIES: tuple[_Family, ...] = (
    _Family("pow3", _pow3, lambda x, y: [y[-1] + _span(y) * 0.1, _span(y), 0.5]),
    _Family("pow4", _pow4, lambda x, y: [y[-1] + _span(y) * 0.1, 1.0, 1.0, 0.5]),
    _Family("log_power", _log_power, lambda x, y: [y[-1] * 1.05 if y[-1] else 1.0, 0.5, -1.0]),
    _Family("mmf", _mmf, lambda x, y: [y[-1] + _span(y) * 0.1, y[0], 0.5, 1.0]),
    _Family("exp4", _exp4, lambda x, y: [y[-1] + _span(y) * 0.1, 0.5, math.log(_span(y)), 1.0]),
    _Family("janoschek", _janoschek, lambda x, y: [y[-1] + _span(y) * 0.1, y[0], 0.3, 1.0]),
    _Family("weibull", _weibull, lambda x, y: [y[-1] + _span(y) * 0.1, y[0], 0.3, 1.0]),
    _Family("ilog2", _ilog2, lambda x, y: [y[-1] + _span(y) * 0.1, _span(y)]),
    _Family("vap", _vap, lambda x, y: [math.log(abs(y[-1]) + 1e-9), -0.5, 0.0]),
    _Family("logx_linear", _logx_linear, lambda x, y: [_span(y) / max(math.log(len(x)), 1.0), y[0]]),
    _Family("linear", _linear, lambda x, y: [_span(y) / max(len(x) - 1, 1), y[0]]),
    _Family("dr_hill_zero_background", _hill, lambda x, y: [y[-1] + _span(y) * 0.1, 1.0, 1.0]),
)


@dataclass(frozen=True)
class CurveFit:
    family: str
    params: tuple[float, ...]
    sse: float
    prediction: float


def fit_curves(y: Sequence[float], target: int) -> list[CurveFit]:
    """Fit every family with fewer parameters than points - 1 and extrapolate each to step ``target``."""
    from scipy.optimize import curve_fit

    values = np.asarray(y, dtype=float)
    x = np.arange(1, len(values) + 1, dtype=float)
    fits: list[CurveFit] = []
    for family in CURVE_FAMILIES:
        n_params = family.func.__code__.co_argcount - 1
        if len(values) - n_params < 2:
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                params, _ = curve_fit(family.func, x, values, p0=family.guess(x, values), maxfev=600)
            except (RuntimeError, ValueError, TypeError, OverflowError, ZeroDivisionError):
                continue
            fitted = family.func(x, *params)
            prediction = float(family.func(np.asarray([float(target)]), *params)[0])
        if not np.all(np.isfinite(fitted)) or not math.isfinite(prediction):
            continue
        sse = float(np.sum((fitted - values) ** 2))
        fits.append(CurveFit(family.name, tuple(float(p) for p in params), sse, prediction))
    return fits


def predict_final(y: Sequence[float], target: int) -> float | None:
    """The ensemble's prediction of the curve's value at step ``target`` (1-based), or None if no
    family gives a plausible extrapolation (too few points, or every fit diverges)."""
    values = np.asarray(y, dtype=float)
    n = len(values)
    if n < 3:
        return None
    if target <= n:
        return float(values[target - 1])
    span = _span(values)
    low, high = float(values.min()) - span, float(values.max()) + 2.0 * span
    scores: list[float] = []
    predictions: list[float] = []
    for fit in fit_curves(values, target):
        if not low <= fit.prediction <= high:
            continue
        k = len(fit.params)
        sigma2 = max(fit.sse / n, 1e-12 * span * span)
        aicc = n * math.log(sigma2) + 2 * k + (2 * k * (k + 1)) / max(n - k - 1, 1)
        scores.append(aicc)
        predictions.append(fit.prediction)
    if not predictions:
        return None
    best = min(scores)
    weights = np.exp(-0.5 * (np.asarray(scores) - best))
    estimate = float(np.dot(weights, predictions) / weights.sum())
    return min(max(estimate, float(values.min())), float(values.max()) + span)
