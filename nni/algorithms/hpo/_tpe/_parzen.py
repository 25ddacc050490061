"""A multivariate Parzen (kernel) mixture over unit-cube vectors with inactive (NaN) coordinates.

Each observation is the centre of one product kernel: a normal truncated to ``[0, 1]`` on numeric
coordinates and a "keep the option with probability p, else any other" kernel on choices. A prior
component (uniform on the cube, i.e. the search space's own prior) is mixed in with ``prior_weight``.

Numeric kernel widths are set per centre and coordinate from the gaps to the neighbouring centres
(wide where observations are sparse, narrow where good ones cluster), at least ``1 / (n + 2)``.

Inactive coordinates are handled so that conditional (nested choice) spaces can get one joint model:

- a candidate's inactive coordinate is marginalised out (factor 1);
- a centre's inactive coordinate where the candidate is active contributes the prior on that coordinate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from .._encoding import UnitCubeEncoding

__all__ = ["ParzenMixture", "neighbor_widths"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp; overwrites ``a``."""
    top = a.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    a -= top[:, None]
    np.exp(a, out=a)
    return np.log(a.sum(axis=1)) + top


class ParzenMixture:
    """Kernel mixture fitted to ``centers`` (``(k, d)``, NaN = inactive) with per-centre ``weights``."""

    def __init__(
        self,
        enc: UnitCubeEncoding,
        centers: np.ndarray,
        weights: np.ndarray,
        *,
        prior_weight: float,
        bandwidth_factor: float,
        min_bandwidth: float,
        cat_bandwidth: float = 0.6,
        choice_smoothing: str = "scott",
    ) -> None:
        self.enc = enc
        self.centers = np.atleast_2d(np.asarray(centers, dtype=float)).reshape(-1, enc.dim)
        self.weights = np.asarray(weights, dtype=float)
        self.prior_weight = float(prior_weight)
        k, d = self.centers.shape
        self.num = np.flatnonzero(~enc.categorical)
        self.cat = np.flatnonzero(enc.categorical)
        active = np.isfinite(self.centers)
        self._num_pos = {int(j): i for i, j in enumerate(self.num)}
        # Per-centre widths of the numeric kernels, (k, numeric dims).
        if k and self.num.size:
            floor = np.maximum(min_bandwidth, 0.5 * enc.steps[self.num])
            self.H = np.minimum(neighbor_widths(self.centers[:, self.num], floor) * bandwidth_factor, 1.0)
        else:
            self.H = np.ones((k, self.num.size))
        # Choice kernels: probability of keeping the centre's option; tends to 1 as data accumulate,
        # "scott": slowly (a Scott-like rate in the number of parameters active per configuration);
        # "prior": the prior component's share spread over the options, so at a rate of 1/n.
        d_eff = float(active.sum(axis=1).mean()) if k else float(d)
        self.keep = np.zeros(d)
        for j in self.cat:
            size = int(enc.sizes[j])
            if size <= 1:
                self.keep[j] = 1.0
                continue
            n_j = max(1, int(active[:, j].sum()))
            if choice_smoothing == "prior":
                spread = prior_weight / (n_j + 1)
                self.keep[j] = (1.0 + spread) / (1.0 + size * spread)
                continue
            off = (size - 1) / size * min(1.0, bandwidth_factor * n_j ** (-1.0 / (d_eff + 4)) * cat_bandwidth)
            self.keep[j] = 1.0 - off
        if self.num.size:
            # Truncation to [0, 1]: log of each kernel's mass inside (inactive entries are masked by am).
            mu = np.nan_to_num(self.centers[:, self.num], nan=0.5)
            mass = ndtr((1.0 - mu) / self.H) - ndtr(-mu / self.H)
            log_mass = np.log(np.maximum(mass, 1e-12))
            am = np.isfinite(self.centers[:, self.num]).astype(float)
            inv_var = 1.0 / (self.H * self.H)
            const = np.log(self.H) + _LOG_SQRT_2PI + log_mass
            self._center_feats = np.hstack(
                [-0.5 * am * inv_var, -0.5 * am * mu * mu * inv_var - am * const, am * mu * inv_var]
            )
        total = float(self.weights.sum()) + self.prior_weight
        self.log_w = np.log(np.maximum(self.weights, 1e-300)) - math.log(total)
        self.log_prior_w = math.log(self.prior_weight / total) if self.prior_weight > 0 else -np.inf

    # -------------------------------------------------------------------------------------- density
    def log_pdf(self, C: np.ndarray) -> np.ndarray:
        """Log density of each candidate row of ``C`` (``(m, d)``, NaN = inactive).

        Every kernel term is a sum over coordinates active in both the candidate and the centre, so
        the ``(m, k)`` matrix of log kernels is built from a few matrix products (fast at thousands of
        centres): ``-(c - mu)^2 / 2h^2`` expands into ``c^2``, ``c mu`` and ``mu^2`` terms.
        """
        C = np.atleast_2d(C)
        m = C.shape[0]
        k = self.centers.shape[0]
        cand_active = np.isfinite(C)
        log_sizes = np.log(np.maximum(self.enc.sizes, 1)).astype(float)
        # Prior component: uniform on numeric coordinates (density 1), 1/size on choices.
        log_prior = -(cand_active[:, self.cat].astype(float) @ log_sizes[self.cat]) if self.cat.size else np.zeros(m)
        if k == 0:
            return log_prior
        total = np.zeros((m, k))
        if self.num.size:
            # One matrix product: candidate features [a c^2, a, a c] against centre features
            # [-a/2h^2, -a mu^2/2h^2 - a const, a mu/h^2] (a = active mask, h the centre's width).
            ac = cand_active[:, self.num].astype(float)
            c = np.nan_to_num(C[:, self.num])
            total += np.hstack([ac * c * c, ac, ac * c]) @ self._center_feats.T
        for j in self.cat:
            size = int(self.enc.sizes[j])
            ac = cand_active[:, j].astype(float)
            am = np.isfinite(self.centers[:, j]).astype(float)
            keep = self.keep[j]
            other = (1.0 - keep) / (size - 1) if size > 1 else 1.0
            log_keep, log_other = math.log(max(keep, 1e-300)), math.log(max(other, 1e-300))
            onehot_c = np.zeros((m, size))
            rows = np.flatnonzero(ac)
            onehot_c[rows, C[rows, j].astype(int)] = 1.0
            onehot_m = np.zeros((k, size))
            rows_m = np.flatnonzero(am)
            onehot_m[rows_m, self.centers[rows_m, j].astype(int)] = 1.0
            same = onehot_c @ onehot_m.T  # 1 where both active and equal
            both = np.outer(ac, am)
            total += both * log_other + same * (log_keep - log_other)
            total -= np.outer(ac, 1.0 - am) * log_sizes[j]  # centre lacks it: the prior
        parts = total + self.log_w[None, :]
        if self.prior_weight > 0:
            parts = np.concatenate([parts, (log_prior + self.log_prior_w)[:, None]], axis=1)
        return _logsumexp_rows(parts)

    # ------------------------------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from the mixture, inactive coordinates NaN."""
        k, d = self.centers.shape
        probs = np.append(self.weights, self.prior_weight)
        comp = rng.choice(k + 1, size=n, p=probs / probs.sum())
        from_prior = comp == k
        centre = np.where(from_prior, 0, comp)
        X = np.full((n, d), np.nan)
        active = np.ones((n, d), dtype=bool)
        for j in range(d):
            for parent, option in self.enc.conditions[j]:
                active[:, j] &= active[:, parent] & (X[:, parent] == option)
            if not active[:, j].any():
                continue
            mu = self.centers[centre, j] if k else np.full(n, np.nan)
            use_prior = from_prior | np.isnan(mu)
            if self.enc.categorical[j]:
                size = int(self.enc.sizes[j])
                uniform = rng.integers(size, size=n).astype(float)
                if size > 1:
                    moved = (np.nan_to_num(mu) + rng.integers(1, size, size=n)) % size
                    kernel = np.where(rng.random(n) < self.keep[j], mu, moved)
                else:
                    kernel = np.zeros(n)
                col = np.where(use_prior, uniform, kernel)
            else:
                h = self.H[centre, self._num_pos[int(j)]] if k else np.ones(n)
                m0 = np.nan_to_num(mu, nan=0.5)
                lo = ndtr(-m0 / h)
                hi = ndtr((1.0 - m0) / h)
                u = lo + rng.random(n) * (hi - lo)
                kernel = np.clip(m0 + h * ndtri(np.clip(u, 1e-12, 1 - 1e-12)), 0.0, 1.0)
                col = np.where(use_prior, rng.random(n), kernel)
            X[:, j] = np.where(active[:, j], col, np.nan)
        return X


def neighbor_widths(centers: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Each centre's width per coordinate: the larger gap to its neighbours among the active centres
    (the interval ends count as neighbours only for a lone centre), at least ``1 / (n + 2)`` (``n``
    centres active on that coordinate) and ``floor``, at most 1."""
    k, d = centers.shape
    H = np.ones((k, d))
    for j in range(d):
        rows = np.flatnonzero(np.isfinite(centers[:, j]))
        if rows.size == 0:
            continue
        order = rows[np.argsort(centers[rows, j], kind="stable")]
        x = np.concatenate([[0.0], centers[order, j], [1.0]])
        gaps = np.maximum(x[1:-1] - x[:-2], x[2:] - x[1:-1])
        if order.size >= 2:
            gaps[0] = x[2] - x[1]
            gaps[-1] = x[-2] - x[-3]
        lowest = max(1.0 / min(100.0, order.size + 2.0), float(floor[j]))
        H[order, j] = np.clip(gaps, lowest, 1.0)
    return H
