"""BOHB's model: two product-kernel densities, of good and of bad configurations at one budget.

Vectors are unit-cube coordinates from :class:`~nni.algorithms.hpo._encoding.UnitCubeEncoding` (a
choice as its option index, NaN where inactive). Numbers get a Gaussian kernel whose bandwidth follows
Scott's rule (at least ``min_bandwidth``); choices an Aitchison-Aitken kernel (keep the value with
probability ``1 - bw``). A NaN on either side makes that coordinate's kernel 1, so parameters of untaken
nested choices neither help nor hurt. New configurations are drawn around good ones with bandwidths
widened by ``bandwidth_factor`` and the one maximising ``l(x) / g(x)`` is kept.
"""

from __future__ import annotations

import math

import numpy as np

from .._encoding import UnitCubeEncoding

__all__ = ["ProductKDE", "propose_from_kdes"]


class ProductKDE:
    """A kernel density over unit-cube vectors with per-coordinate bandwidths."""

    def __init__(self, data: np.ndarray, categorical: np.ndarray, sizes: np.ndarray, min_bandwidth: float) -> None:
        self.data = np.atleast_2d(np.asarray(data, dtype=float))
        self.categorical = categorical
        self.sizes = np.maximum(sizes, 1)
        n = max(len(self.data), 1)
        bw = np.empty(self.data.shape[1])
        for j in range(self.data.shape[1]):
            col = self.data[:, j]
            col = col[np.isfinite(col)]
            spread = float(np.std(col)) if len(col) > 1 else 0.5
            if categorical[j]:
                bw[j] = min(max(1.06 * spread * n ** (-0.2), min_bandwidth), 1.0 - 1.0 / self.sizes[j] + 1e-12)
            else:
                bw[j] = max(1.06 * spread * n ** (-0.2), min_bandwidth)
        self.bandwidth = bw

    def log_pdf(self, X: np.ndarray) -> np.ndarray:
        """Log density at the rows of ``X`` (coordinates with NaN on either side are skipped)."""
        X = np.atleast_2d(X)
        log_k = np.zeros((len(X), len(self.data)))
        for j in range(X.shape[1]):
            q = X[:, j][:, None]
            d = self.data[:, j][None, :]
            bw = self.bandwidth[j]
            if self.categorical[j]:
                same = (1.0 - bw) * (q == d)
                other = bw / max(self.sizes[j] - 1, 1) * (q != d)
                term = np.log(np.maximum(same + other, 1e-300))
            else:
                term = -0.5 * ((q - d) / bw) ** 2 - math.log(bw * math.sqrt(2 * math.pi))
            log_k += np.where(np.isfinite(q) & np.isfinite(d), term, 0.0)
        top = log_k.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(log_k - top).mean(axis=1, keepdims=True)))[:, 0]

    def sample_around(self, rng: np.random.Generator, n: int, widen: float) -> np.ndarray:
        """``n`` draws: a random datum, each coordinate perturbed with ``widen`` times the bandwidth."""
        base = self.data[rng.integers(len(self.data), size=n)].copy()
        for j in range(base.shape[1]):
            bw = min(self.bandwidth[j] * widen, 1.0 if not self.categorical[j] else 1.0 - 1.0 / self.sizes[j])
            col = base[:, j]
            if self.categorical[j]:
                change = rng.random(n) < bw
                col[change] = rng.integers(self.sizes[j], size=int(change.sum()))
            else:
                moved = col + rng.normal(0.0, bw, size=n)
                for _ in range(10):  # truncate to [0, 1] by redrawing the outliers
                    bad = (moved < 0) | (moved > 1)
                    if not bad.any():
                        break
                    moved[bad] = col[bad] + rng.normal(0.0, bw, size=int(bad.sum()))
                col[:] = np.clip(moved, 0.0, 1.0)
        return base


def propose_from_kdes(
    enc: UnitCubeEncoding,
    good: ProductKDE,
    bad: ProductKDE,
    rng: np.random.Generator,
    num_samples: int,
    bandwidth_factor: float,
) -> np.ndarray:
    """Candidate vectors sorted by ``log l(x) - log g(x)``, best first (inactive parts re-drawn)."""
    X = good.sample_around(rng, num_samples, bandwidth_factor)
    if enc.conditional:
        fresh = enc.random(rng, num_samples)
        X = np.where(np.isfinite(X), X, fresh)  # coordinates the good datum lacked: from the prior
        for _ in range(enc.dim):
            missing = enc.active_mask(np.nan_to_num(X, nan=-1.0)) & ~np.isfinite(X)
            if not missing.any():
                break
            draw = rng.random(X.shape)
            draw[:, enc.categorical] = np.floor(draw[:, enc.categorical] * enc.sizes[enc.categorical])
            X = np.where(missing, draw, X)
    X = enc.snap(enc.clean(X))
    score = good.log_pdf(X) - bad.log_pdf(X)
    return X[np.argsort(-score, kind="stable")]
