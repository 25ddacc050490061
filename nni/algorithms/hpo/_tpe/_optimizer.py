"""One TPE step: split observations into good and bad, fit two Parzen mixtures, rank candidates by l/g."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._encoding import UnitCubeEncoding
from ._parzen import ParzenMixture

__all__ = ["TpeSettings", "suggest_candidates", "n_good"]


@dataclass(frozen=True)
class TpeSettings:
    """Knobs of the TPE step (the tuner maps NNI's ``tpe_args`` onto these)."""

    gamma: float = 0.15
    max_good: int = 25
    n_ei_candidates: int = 64
    linear_forgetting: int = 25
    prior_weight: float = 1.0
    bandwidth_factor: float = 1.0
    min_bandwidth: float = 0.005
    min_spread: float = 0.2
    local_fraction: float = 0.0
    local_scale: float = 0.3
    effective_dim: bool = True
    max_bad: int = 1000
    prior_sigma: float = 0.0
    mix_fraction: float = 0.0
    cat_bandwidth: float = 0.6


def n_good(n: int, settings: TpeSettings) -> int:
    """How many of ``n`` observations form the good set."""
    return int(min(max(1, math.ceil(settings.gamma * n)), settings.max_good, max(1, n - 1)))


def _forgetting_weights(n: int, keep: int) -> np.ndarray:
    """Oldest observations weigh less: the newest ``keep`` weigh 1, older ones ramp up from 1/n."""
    if n <= keep or keep <= 0:
        return np.ones(n)
    ramp = np.linspace(1.0 / n, 1.0, num=n - keep)
    return np.concatenate([ramp, np.ones(keep)])


def _single_thread_blas() -> Any:
    """Context that keeps BLAS on one thread: the products here are small, and on a busy machine a
    multi-threaded BLAS costs several times more than it gains (threadpoolctl is optional)."""
    global _LIMITER
    if _LIMITER is None:
        try:
            from threadpoolctl import ThreadpoolController

            _LIMITER = ThreadpoolController()
        except Exception:  # not installed, or no BLAS found
            _LIMITER = False
    if _LIMITER is False:
        return contextlib.nullcontext()
    return _LIMITER.limit(limits=1, user_api="blas")


_LIMITER: Any = None


def suggest_candidates(
    enc: UnitCubeEncoding,
    X: np.ndarray,
    losses: np.ndarray,
    rng: np.random.Generator,
    settings: TpeSettings,
) -> np.ndarray:
    """Candidates drawn from the good-set mixture, best TPE score (log l - log g) first.

    ``X`` rows are observations in chronological order (NaN = inactive), ``losses`` lower-is-better.
    """
    with _single_thread_blas():
        return _suggest(enc, X, losses, rng, settings)


def _suggest(
    enc: UnitCubeEncoding,
    X: np.ndarray,
    losses: np.ndarray,
    rng: np.random.Generator,
    settings: TpeSettings,
) -> np.ndarray:
    n = len(losses)
    order = np.argsort(losses, kind="stable")
    k = n_good(n, settings)
    good_idx = np.sort(order[:k])
    bad_idx = np.sort(order[k:])
    bad_weights = _forgetting_weights(len(bad_idx), settings.linear_forgetting)
    if len(bad_idx) > settings.max_bad:
        # Speed at thousands of trials: keep the newest and a random subset of the older bad points,
        # reweighted so the subset carries the weight of all of them.
        recent = max(settings.linear_forgetting, settings.max_bad // 4)
        old = len(bad_idx) - recent
        pick = np.sort(rng.choice(old, size=settings.max_bad - recent, replace=False))
        scale = bad_weights[:old].sum() / max(bad_weights[pick].sum(), 1e-300)
        bad_weights = np.concatenate([bad_weights[pick] * scale, bad_weights[old:]])
        bad_idx = np.concatenate([bad_idx[pick], bad_idx[old:]])

    def mixture(points: np.ndarray, weights: np.ndarray) -> ParzenMixture:
        return ParzenMixture(
            enc,
            points,
            weights,
            prior_weight=settings.prior_weight,
            bandwidth_factor=settings.bandwidth_factor,
            min_bandwidth=settings.min_bandwidth,
            min_spread=settings.min_spread,
            effective_dim=settings.effective_dim,
            prior_sigma=settings.prior_sigma,
            cat_bandwidth=settings.cat_bandwidth,
        )

    good = mixture(X[good_idx], np.ones(len(good_idx)))
    bad = mixture(X[bad_idx], bad_weights)

    n_local = int(round(settings.local_fraction * settings.n_ei_candidates))
    n_mixed = int(round(settings.mix_fraction * (settings.n_ei_candidates - n_local)))
    C = good.sample(rng, settings.n_ei_candidates - n_local - n_mixed)
    if n_mixed:
        C = np.vstack([C, good.sample(rng, n_mixed, mixed=True)])
    if n_local:
        C = np.vstack([C, good.sample(rng, n_local, scale=settings.local_scale)])
    score = good.log_pdf(C) - bad.log_pdf(C)
    return C[np.argsort(-score, kind="stable")]
