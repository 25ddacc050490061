"""Maximise an acquisition function of a GP over a search space: random/local candidates + L-BFGS-B."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .._encoding import UnitCubeEncoding
from .acquisition import acquisition
from .base import candidate_pool
from .features import FeatureMap
from .gp import GaussianProcess

__all__ = ["maximize_acquisition", "candidate_budget"]


def candidate_budget(requested: int, n_observed: int) -> int:
    """How many random candidates to score: the request, capped so that scoring stays near 10 ms."""
    return int(max(256, min(requested, 2048, 300_000 // max(n_observed, 1))))


def maximize_acquisition(
    gp: GaussianProcess,
    fmap: FeatureMap,
    enc: UnitCubeEncoding,
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    *,
    utility: str,
    kappa: float,
    xi: float,
    n_candidates: int,
    n_starts: int,
) -> np.ndarray:
    """Unit-cube candidates ordered by acquisition value (best first), refined by gradient ascent."""
    best = float(np.min(y))
    n_local = n_candidates // 4
    pool = candidate_pool(enc, X, y, rng, n_candidates - n_local, n_local)
    F = fmap.to_features(pool)
    mean, std = gp.predict(F)
    scores = acquisition(utility, mean, std, best, kappa=kappa, xi=xi)[0]
    order = np.argsort(-scores)
    if n_starts > 0:
        refined = _ascend(gp, F[order[:n_starts]], best, utility, kappa, xi)
        Xr = fmap.from_features(refined)
        mr, sr = gp.predict(fmap.to_features(Xr))
        sc = acquisition(utility, mr, sr, best, kappa=kappa, xi=xi)[0]
        pool = np.vstack([Xr, pool[order]])
        scores = np.concatenate([sc, scores[order]])
    else:
        pool, scores = pool[order], scores[order]
    return pool[np.argsort(-scores, kind="stable")]


def _ascend(gp: GaussianProcess, F0: np.ndarray, best: float, utility: str, kappa: float, xi: float) -> np.ndarray:
    """Gradient ascent from every row of ``F0`` at once (the sum of independent terms, one L-BFGS-B run)."""
    shape = F0.shape

    def negative(flat: np.ndarray) -> tuple[float, np.ndarray]:
        F = flat.reshape(shape)
        mean, std, dmean, dstd = gp.predict_grad(F)
        value, dv_dm, dv_ds = acquisition(utility, mean, std, best, kappa=kappa, xi=xi)
        grad = dv_dm[:, None] * dmean + dv_ds[:, None] * dstd
        return -float(value.sum()), -grad.ravel()

    try:
        res = minimize(
            negative, F0.ravel(), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * F0.size, options={"maxiter": 60}
        )
    except (ValueError, np.linalg.LinAlgError):
        return F0
    return res.x.reshape(shape) if np.all(np.isfinite(res.x)) else F0
