"""One TPE step: split observations into good and bad, fit two Parzen mixtures, rank candidates by l/g."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, replace
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
    n_ei_candidates: int = 32
    linear_forgetting: int = 25
    prior_weight: float = 1.0
    bandwidth_factor: float = 0.8
    min_bandwidth: float = 0.005
    max_bad: int = 250
    cat_bandwidth: float = 0.6
    branch_models: bool = True


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
    With nested choices and ``settings.branch_models``, one TPE step runs per group of parameters
    that are active together, outermost first; each group's good and bad sets come from the trials
    that took the same branch, so a branch is refined by its own best trials even while another
    branch holds the overall best ones.
    """
    with _single_thread_blas():
        if not enc.conditional or not settings.branch_models:
            return _rank(enc, X, losses, rng, settings)
        return _rank_by_branch(enc, X, losses, rng, settings)


class _Group:
    """Coordinates active under the same choices, with their own encoding: the same
    parameters without conditions, a sub-space the TPE step runs on as on a whole space."""

    def __init__(self, enc: UnitCubeEncoding, coords: list[int]) -> None:
        self.coords = np.array(coords, dtype=int)
        self.enc = UnitCubeEncoding([replace(enc.specs[j], condition=()) for j in coords])
        self._outer = enc

    def taken_by(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X`` (vectors of the whole space) that took this group's branch."""
        return self._outer.active_mask(X)[:, self.coords[0]]


def _groups(enc: UnitCubeEncoding) -> list[_Group]:
    """The coordinates grouped by the choices that activate them, outer groups first."""
    by_branch: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for j, cond in enumerate(enc.conditions):
        by_branch.setdefault(tuple(sorted(cond)), []).append(j)
    return [_Group(enc, coords) for _, coords in sorted(by_branch.items(), key=lambda kv: len(kv[0]))]


def _rank_by_branch(
    enc: UnitCubeEncoding,
    X: np.ndarray,
    losses: np.ndarray,
    rng: np.random.Generator,
    settings: TpeSettings,
) -> np.ndarray:
    C: np.ndarray | None = None
    for group in _groups(enc):
        if C is None:  # the outermost group is always active
            ranked = _rank(group.enc, X[:, group.coords], losses, rng, settings)
            C = np.full((len(ranked), enc.dim), np.nan)
            C[:, group.coords] = ranked
            continue
        rows = np.flatnonzero(group.taken_by(C))
        if rows.size == 0:
            continue
        taken = group.taken_by(X)
        if taken.sum() >= 2:
            ranked = _rank(group.enc, X[taken][:, group.coords], losses[taken], rng, settings)
        else:
            ranked = group.enc.random(rng, rows.size)
        # Best sub-configuration to the best outer candidate, the next to the next, ...
        C[np.ix_(rows, group.coords)] = ranked[np.arange(rows.size) % len(ranked)]
    assert C is not None
    return C


def _rank(
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

    def mixture(points: np.ndarray, weights: np.ndarray, choice_smoothing: str = "scott") -> ParzenMixture:
        return ParzenMixture(
            enc,
            points,
            weights,
            prior_weight=settings.prior_weight,
            bandwidth_factor=settings.bandwidth_factor,
            min_bandwidth=settings.min_bandwidth,
            cat_bandwidth=settings.cat_bandwidth,
            choice_smoothing=choice_smoothing,
        )

    # The bad set's choice kernels sharpen with its size: where the bad trials near a good region all
    # share one option, the other options there score well and get tried (the good set, small and
    # homogeneous, would otherwise keep TPE on one option of a choice for good).
    good = mixture(X[good_idx], np.ones(len(good_idx)))
    bad = mixture(X[bad_idx], bad_weights, "prior")
    C = good.sample(rng, settings.n_ei_candidates)
    score = good.log_pdf(C) - bad.log_pdf(C)
    return C[np.argsort(-score, kind="stable")]
