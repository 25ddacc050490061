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
from scipy.special import ndtr, ndtri

from .._encoding import UnitCubeEncoding

__all__ = ["ParzenMixture"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.log(np.exp(a - top[:, None]).sum(axis=1)) + top


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
        min_spread: float = 0.2,
        effective_dim: bool = True,
        prior_sigma: float = 0.0,
        cat_bandwidth: float = 0.6,
    ) -> None:
        self.enc = enc
        self.centers = np.atleast_2d(np.asarray(centers, dtype=float)).reshape(-1, enc.dim)
        self.weights = np.asarray(weights, dtype=float)
        self.prior_weight = float(prior_weight)
        # Prior on numeric coordinates: uniform (0) or a normal at the centre with this width, truncated
        # to the cube (hyperopt's and Optuna's choice, sigma = 1 range).
        self.prior_sigma = float(prior_sigma)
        if self.prior_sigma > 0:
            ps = self.prior_sigma
            self._prior_const = math.log(ps) + _LOG_SQRT_2PI + math.log(float(ndtr(0.5 / ps) - ndtr(-0.5 / ps)))
        k, d = self.centers.shape
        self.num = np.flatnonzero(~enc.categorical)
        self.cat = np.flatnonzero(enc.categorical)
        active = np.isfinite(self.centers)
        # Scott-like rule on the spread of the centres: narrow kernels once good points concentrate.
        n_eff = max(1.0, float(self.weights.sum()) if k else 1.0)
        # Dimension of the model: parameters active per configuration (fewer than d in nested spaces).
        d_eff = float(active.sum(axis=1).mean()) if (k and effective_dim) else float(d)
        shrink = n_eff ** (-1.0 / (d_eff + 4))
        bw = np.full(d, 0.3)
        if self.num.size:
            cols = self.centers[:, self.num]
            counts = active[:, self.num].sum(axis=0)
            filled = np.where(np.isfinite(cols), cols, 0.0)
            mean = filled.sum(axis=0) / np.maximum(counts, 1)
            dev = np.where(np.isfinite(cols), cols - mean, 0.0)
            spread = np.sqrt((dev * dev).sum(axis=0) / np.maximum(counts, 1))
            spread = np.where(counts >= 2, spread, 0.3)
            spread = np.clip(spread, min_spread, 0.3)
            floor = np.maximum(min_bandwidth, 0.5 * enc.steps[self.num])
            bw[self.num] = np.minimum(np.maximum(bandwidth_factor * spread * shrink, floor), 1.0)
        self.bandwidth = bw
        # Choice kernels: probability of keeping the centre's option; tends to 1 as data accumulate.
        self.keep = np.zeros(d)
        for j in self.cat:
            size = int(enc.sizes[j])
            if size <= 1:
                self.keep[j] = 1.0
                continue
            n_j = max(1, int(active[:, j].sum()))
            off = (size - 1) / size * min(1.0, bandwidth_factor * n_j ** (-1.0 / (d_eff + 4)) * cat_bandwidth)
            self.keep[j] = 1.0 - off
        # Truncation constants of the numeric kernels: log of the mass inside [0, 1].
        if k and self.num.size:
            m = self.centers[:, self.num]
            h = bw[self.num]
            mass = ndtr((1.0 - m) / h) - ndtr(-m / h)
            self.log_mass = np.log(np.where(np.isfinite(mass), np.maximum(mass, 1e-12), 1.0))
        else:
            self.log_mass = np.zeros((k, self.num.size))
        if self.num.size:
            self._h_num = bw[self.num]
            am = np.isfinite(self.centers[:, self.num]).astype(float)
            mu = np.nan_to_num(self.centers[:, self.num]) / self._h_num
            const = np.log(self._h_num) + _LOG_SQRT_2PI + self.log_mass
            blocks = [-0.5 * am, -0.5 * am * mu * mu - am * const, am * mu]
            if self.prior_sigma > 0:
                blocks.append(1.0 - am)  # centre lacks the coordinate: the prior
            self._center_feats = np.hstack(blocks) if k else np.zeros((0, len(blocks) * self.num.size))
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
        prior_num = None
        if self.prior_sigma > 0 and self.num.size:
            z = (np.nan_to_num(C[:, self.num], nan=0.5) - 0.5) / self.prior_sigma
            prior_num = np.where(cand_active[:, self.num], -0.5 * z * z - self._prior_const, 0.0)  # (m, dn)
            log_prior = log_prior + prior_num.sum(axis=1)
        if k == 0:
            return log_prior
        total = np.zeros((m, k))
        if self.num.size:
            # One matrix product: candidate features [a c^2, a, a c (, prior)] against centre features
            # [-a/2, -a mu^2/2 - a const, a mu (, 1 - a)] (a = active mask, c and mu divided by h).
            ac = cand_active[:, self.num].astype(float)  # (m, dn)
            c = np.nan_to_num(C[:, self.num]) / self._h_num
            feats = [ac * c * c, ac, ac * c]
            if prior_num is not None:
                feats.append(prior_num)
            total += np.hstack(feats) @ self._center_feats.T
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
    def sample(self, rng: np.random.Generator, n: int, scale: float = 1.0, mixed: bool = False) -> np.ndarray:
        """``n`` draws from the mixture, inactive coordinates NaN; ``scale`` < 1 narrows the kernels.

        ``mixed``: each coordinate picks its own component (as independent per-parameter TPE does), so a
        draw combines values of different good configurations; the joint density still ranks them.
        """
        k, d = self.centers.shape
        probs = np.append(self.weights, self.prior_weight)
        probs = probs / probs.sum()
        comp_all = rng.choice(k + 1, size=(n, d) if mixed else n, p=probs)
        comp_all = comp_all if mixed else np.repeat(comp_all[:, None], max(d, 1), axis=1)
        X = np.full((n, d), np.nan)
        active = np.ones((n, d), dtype=bool)
        for j in range(d):
            for parent, option in self.enc.conditions[j]:
                active[:, j] &= active[:, parent] & (X[:, parent] == option)
            if not active[:, j].any():
                continue
            comp = comp_all[:, j]
            from_prior = comp == k
            mu = self.centers[np.where(from_prior, 0, comp), j] if k else np.full(n, np.nan)
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
                if self.prior_sigma > 0:
                    ps = self.prior_sigma
                    lo0, hi0 = ndtr(-0.5 / ps), ndtr(0.5 / ps)
                    u0 = lo0 + rng.random(n) * (hi0 - lo0)
                    prior_draw = np.clip(0.5 + ps * ndtri(np.clip(u0, 1e-12, 1 - 1e-12)), 0.0, 1.0)
                else:
                    prior_draw = rng.random(n)
                col = np.where(use_prior, prior_draw, kernel)
            X[:, j] = np.where(active[:, j], col, np.nan)
        return X
