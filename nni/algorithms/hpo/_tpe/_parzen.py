"""A multivariate Parzen (kernel) mixture over unit-cube vectors with inactive (NaN) coordinates.

Each observation is the centre of one product kernel: a normal truncated to ``[0, 1]`` on numeric
coordinates and a "keep the option with probability p, else any other" kernel on choices. A prior
component (uniform on the cube, i.e. the search space's own prior) is mixed in with ``prior_weight``.

Inactive coordinates are handled so that conditional (nested choice) spaces get one joint model:

- a candidate's inactive coordinate is marginalised out (factor 1);
- a centre's inactive coordinate where the candidate is active contributes the prior on that coordinate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from .._encoding import UnitCubeEncoding

__all__ = ["ParzenMixture"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


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
        min_spread: float = 0.1,
    ) -> None:
        self.enc = enc
        self.centers = np.atleast_2d(np.asarray(centers, dtype=float)).reshape(-1, enc.dim)
        self.weights = np.asarray(weights, dtype=float)
        self.prior_weight = float(prior_weight)
        k, d = self.centers.shape
        self.num = np.flatnonzero(~enc.categorical)
        self.cat = np.flatnonzero(enc.categorical)
        active = np.isfinite(self.centers)
        # Scott-like rule on the spread of the centres: narrow kernels once good points concentrate.
        n_eff = max(1.0, float(self.weights.sum()) if k else 1.0)
        shrink = n_eff ** (-1.0 / (d + 4))
        bw = np.full(d, 0.3)
        for j in self.num:
            vals = self.centers[active[:, j], j]
            spread = float(np.std(vals)) if vals.size >= 2 else 0.3
            spread = min(max(spread, min_spread), 0.3)
            floor = max(min_bandwidth, 0.5 * enc.steps[j])
            bw[j] = min(max(bandwidth_factor * spread * shrink, floor), 1.0)
        self.bandwidth = bw
        # Choice kernels: probability of keeping the centre's option; tends to 1 as data accumulate.
        self.keep = np.zeros(d)
        for j in self.cat:
            size = int(enc.sizes[j])
            if size <= 1:
                self.keep[j] = 1.0
                continue
            n_j = max(1, int(active[:, j].sum()))
            off = (size - 1) / size * min(1.0, bandwidth_factor * n_j ** (-1.0 / (d + 4)) * 0.6)
            self.keep[j] = 1.0 - off
        # Truncation constants of the numeric kernels: log of the mass inside [0, 1].
        if k and self.num.size:
            m = self.centers[:, self.num]
            h = bw[self.num]
            mass = ndtr((1.0 - m) / h) - ndtr(-m / h)
            self.log_mass = np.log(np.where(np.isfinite(mass), np.maximum(mass, 1e-12), 1.0))
        else:
            self.log_mass = np.zeros((k, self.num.size))
        total = float(self.weights.sum()) + self.prior_weight
        self.log_w = np.log(np.maximum(self.weights, 1e-300)) - math.log(total)
        self.log_prior_w = math.log(self.prior_weight / total) if self.prior_weight > 0 else -np.inf

    # -------------------------------------------------------------------------------------- density
    def log_pdf(self, C: np.ndarray) -> np.ndarray:
        """Log density of each candidate row of ``C`` (``(m, d)``, NaN = inactive)."""
        C = np.atleast_2d(C)
        m = C.shape[0]
        k = self.centers.shape[0]
        cand_active = np.isfinite(C)
        # Prior component: uniform on numeric coordinates (density 1), 1/size on choices.
        log_prior = np.zeros(m)
        for j in self.cat:
            log_prior -= np.where(cand_active[:, j], math.log(self.enc.sizes[j]), 0.0)
        if k == 0:
            return log_prior
        total = np.zeros((m, k))
        if self.num.size:
            cn = C[:, self.num]  # (m, dn)
            mn = self.centers[:, self.num]  # (k, dn)
            h = self.bandwidth[self.num]
            z = (cn[:, None, :] - mn[None, :, :]) / h
            logk = -0.5 * z * z - np.log(h) - _LOG_SQRT_2PI - self.log_mass[None, :, :]
            total += np.nansum(logk, axis=2)  # NaN in either: prior density 1 or marginalised
        for j in self.cat:
            size = float(self.enc.sizes[j])
            c = C[:, j][:, None]
            mu = self.centers[:, j][None, :]
            keep = self.keep[j]
            other = (1.0 - keep) / (size - 1) if size > 1 else 1.0
            contrib = np.where(c == mu, math.log(max(keep, 1e-300)), math.log(max(other, 1e-300)))
            contrib = np.where(np.isnan(mu), -math.log(size), contrib)
            contrib = np.where(np.isnan(c), 0.0, contrib)
            total += contrib
        parts = total + self.log_w[None, :]
        if self.prior_weight > 0:
            parts = np.concatenate([parts, (log_prior + self.log_prior_w)[:, None]], axis=1)
        return logsumexp(parts, axis=1)

    # ------------------------------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
        """``n`` draws from the mixture, inactive coordinates NaN; ``scale`` < 1 narrows the kernels."""
        k, d = self.centers.shape
        probs = np.append(self.weights, self.prior_weight)
        probs = probs / probs.sum()
        comp = rng.choice(k + 1, size=n, p=probs)
        from_prior = comp == k
        idx = np.where(from_prior, 0, comp)
        X = np.full((n, d), np.nan)
        active = np.ones((n, d), dtype=bool)
        for j in range(d):
            for parent, option in self.enc.conditions[j]:
                active[:, j] &= active[:, parent] & (X[:, parent] == option)
            if not active[:, j].any():
                continue
            mu = self.centers[idx, j] if k else np.full(n, np.nan)
            use_prior = from_prior | np.isnan(mu)
            if self.enc.categorical[j]:
                size = int(self.enc.sizes[j])
                uniform = rng.integers(size, size=n).astype(float)
                if size > 1:
                    shift = rng.integers(1, size, size=n)
                    moved = (np.nan_to_num(mu) + shift) % size
                    keep = rng.random(n) < 1.0 - (1.0 - self.keep[j]) * scale
                    kernel = np.where(keep, mu, moved)
                else:
                    kernel = np.zeros(n)
                col = np.where(use_prior, uniform, kernel)
            else:
                h = self.bandwidth[j] * scale
                m0 = np.nan_to_num(mu, nan=0.5)
                lo = ndtr(-m0 / h)
                hi = ndtr((1.0 - m0) / h)
                u = lo + rng.random(n) * (hi - lo)
                kernel = np.clip(m0 + h * ndtri(np.clip(u, 1e-12, 1 - 1e-12)), 0.0, 1.0)
                col = np.where(use_prior, rng.random(n), kernel)
            X[:, j] = np.where(active[:, j], col, np.nan)
        return X
