"""A small Gaussian process regressor in numpy/scipy: Matern kernel with ARD lengthscales.

Hyperparameters (one lengthscale per input dimension, signal variance, noise variance) are fitted by
maximising the log marginal likelihood plus weak log-normal priors, with L-BFGS-B on their logs and the
analytic gradient. Targets are standardised inside the model; predictions come back in the caller's units.
Inputs are expected roughly in the unit cube (see :mod:`._features`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.optimize import minimize

__all__ = ["GaussianProcess", "matern"]

_LOG_LS_BOUNDS = (math.log(1e-2), math.log(1e2))
_LOG_SIGNAL_BOUNDS = (math.log(5e-2), math.log(20.0))
_LOG_NOISE_UPPER = math.log(0.5)


def matern(r: np.ndarray, nu: float) -> tuple[np.ndarray, np.ndarray]:
    """Matern correlation ``k(r)`` and ``g(r) = k'(r) / r`` for smoothness ``nu`` in {0.5, 1.5, 2.5}."""
    if nu == 2.5:
        s = math.sqrt(5.0) * r
        e = np.exp(-s)
        return (1.0 + s + s * s / 3.0) * e, -(5.0 / 3.0) * (1.0 + s) * e
    if nu == 1.5:
        s = math.sqrt(3.0) * r
        e = np.exp(-s)
        return (1.0 + s) * e, -3.0 * e
    if nu == 0.5:
        e = np.exp(-r)
        return e, -e / np.maximum(r, 1e-12)
    raise ValueError(f"Matern smoothness nu must be 0.5, 1.5 or 2.5, got {nu!r}")


@dataclass
class _Hyper:
    log_ls: np.ndarray
    log_signal: float
    log_noise: float

    def vector(self) -> np.ndarray:
        return np.concatenate([self.log_ls, [self.log_signal, self.log_noise]])

    @classmethod
    def from_vector(cls, theta: np.ndarray) -> _Hyper:
        return cls(np.array(theta[:-2]), float(theta[-2]), float(theta[-1]))


class GaussianProcess:
    """GP regression with a Matern-``nu`` ARD kernel; ``fit`` then ``predict`` / ``predict_grad``."""

    def __init__(self, nu: float = 2.5, min_noise: float = 1e-6, fit_subset: int = 200) -> None:
        matern(np.zeros(1), nu)  # validates nu
        self.nu = nu
        self.min_noise = max(float(min_noise), 1e-10)
        self.fit_subset = fit_subset
        self._hyper: _Hyper | None = None
        self._X = np.zeros((0, 0))
        self._fitted_n = 0

    # ----------------------------------------------------------------------------------------- fitting
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        rng: np.random.Generator,
        *,
        optimize: bool = True,
        extra_X: np.ndarray | None = None,
        extra_y: np.ndarray | None = None,
    ) -> None:
        """Fit hyperparameters on ``(X, y)`` and condition on it (plus ``extra_*``, e.g. pending lies)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self._y_mean = float(np.mean(y))
        self._y_std = float(np.std(y)) or 1.0
        z = (y - self._y_mean) / self._y_std
        d = X.shape[1]
        if self._hyper is None or len(self._hyper.log_ls) != d:
            self._hyper = _Hyper(np.full(d, _prior_mean(d)), 0.0, math.log(1e-3))
        if optimize and len(X) >= 2 and self._due(len(X)):
            self._fitted_n = len(X)
            if len(X) > self.fit_subset:
                keep = _fit_subset(z, self.fit_subset, rng)
                self._hyper = self._optimize(X[keep], z[keep])
            else:
                self._hyper = self._optimize(X, z)
        if extra_X is not None and len(extra_X):
            X = np.vstack([X, extra_X])
            z = np.concatenate([z, (np.asarray(extra_y, dtype=float) - self._y_mean) / self._y_std])
        self._condition(X, z)

    def _due(self, n: int) -> bool:
        """Refit hyperparameters every time while data is small, then each time it grew by 5%."""
        return n <= 100 or n >= 1.05 * self._fitted_n or n < self._fitted_n

    def _condition(self, X: np.ndarray, z: np.ndarray) -> None:
        h = self._hyper
        assert h is not None
        self._X = X
        self._inv_ls2 = np.exp(-2.0 * h.log_ls)
        self._signal = math.exp(h.log_signal)
        noise = max(math.exp(h.log_noise), self.min_noise)
        K = self._signal * matern(self._dist(X, X), self.nu)[0]
        K[np.diag_indices_from(K)] += noise
        L = _cholesky(K)
        self._alpha = cho_solve((L, True), z)
        L_inv = solve_triangular(L, np.eye(len(X)), lower=True)
        self._K_inv = L_inv.T @ L_inv

    def _dist(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        As = A * np.sqrt(self._inv_ls2)
        Bs = B * np.sqrt(self._inv_ls2)
        d2 = (As * As).sum(1)[:, None] + (Bs * Bs).sum(1)[None, :] - 2.0 * As @ Bs.T
        return np.sqrt(np.maximum(d2, 0.0))

    def _optimize(self, X: np.ndarray, z: np.ndarray) -> _Hyper:
        d = X.shape[1]
        diff2 = (X[:, None, :] - X[None, :, :]) ** 2  # (n, n, d)
        bounds = [_LOG_LS_BOUNDS] * d + [_LOG_SIGNAL_BOUNDS, (math.log(self.min_noise), _LOG_NOISE_UPPER)]
        prior_mu = _prior_mean(d)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            return _neg_log_posterior(theta, diff2, z, self.nu, self.min_noise, prior_mu)

        start = self._hyper.vector() if self._hyper is not None else np.zeros(d + 2)
        start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
        try:
            res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 60})
            theta = res.x if np.all(np.isfinite(res.x)) else start
        except (np.linalg.LinAlgError, ValueError):
            theta = start
        return _Hyper.from_vector(theta)

    # -------------------------------------------------------------------------------------- prediction
    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation at the rows of ``Xq`` (caller's units)."""
        Ks = self._signal * matern(self._dist(np.atleast_2d(Xq), self._X), self.nu)[0]
        mean = Ks @ self._alpha
        var = self._signal - np.einsum("ij,jk,ik->i", Ks, self._K_inv, Ks, optimize=True)
        std = np.sqrt(np.maximum(var, 1e-12))
        return mean * self._y_std + self._y_mean, std * self._y_std

    def predict_grad(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean and std at the rows of ``Xq`` and their gradients with respect to each row, ``(m, d)``."""
        Xq = np.atleast_2d(np.asarray(Xq, dtype=float))
        k, g = matern(self._dist(Xq, self._X), self.nu)
        ks = self._signal * k  # (m, n)
        wg = self._signal * g  # d ks[m, n] / d x_m = wg[m, n] * (x_m - X_n) * inv_ls2

        def weighted_delta(w: np.ndarray) -> np.ndarray:  # sum_n w[m, n] (x_m - X_n), no (m, n, d) tensor
            return (Xq * w.sum(1)[:, None] - w @ self._X) * self._inv_ls2

        mean = ks @ self._alpha
        dmean = weighted_delta(wg * self._alpha[None, :])
        kinv_ks = ks @ self._K_inv  # (m, n), K_inv symmetric
        var = np.maximum(self._signal - (ks * kinv_ks).sum(1), 1e-12)
        dvar = -2.0 * weighted_delta(wg * kinv_ks)
        std = np.sqrt(var)
        dstd = dvar / (2.0 * std[:, None])
        return (
            mean * self._y_std + self._y_mean,
            std * self._y_std,
            dmean * self._y_std,
            dstd * self._y_std,
        )

    @property
    def lengthscales(self) -> np.ndarray:
        assert self._hyper is not None
        return np.exp(self._hyper.log_ls)

    @property
    def noise_std(self) -> float:
        """The fitted observation noise, as a standard deviation in the caller's units."""
        assert self._hyper is not None
        return math.sqrt(max(math.exp(self._hyper.log_noise), self.min_noise)) * self._y_std


def _prior_mean(d: int) -> float:
    # Log-normal lengthscale prior centred at 0.5 * sqrt(d) in the unit cube: the centre grows with the
    # dimension as in Hvarfner et al. (2024), scaled down for the few-dimensional spaces tuned here.
    return math.log(0.5) + 0.5 * math.log(max(d, 1))


_PRIOR_LS_STD = math.sqrt(3.0)
_PRIOR_LOG_NOISE = math.log(1e-4)
_PRIOR_NOISE_STD = 2.0


def _neg_log_posterior(
    theta: np.ndarray, diff2: np.ndarray, z: np.ndarray, nu: float, min_noise: float, prior_mu: float
) -> tuple[float, np.ndarray]:
    n = len(z)
    log_ls = theta[:-2]
    signal = math.exp(theta[-2])
    noise = max(math.exp(theta[-1]), min_noise)
    scaled = diff2 * np.exp(-2.0 * log_ls)  # (n, n, d)
    r = np.sqrt(scaled.sum(-1))
    k, g = matern(r, nu)
    K = signal * k
    K[np.diag_indices(n)] += noise
    try:
        L = cho_factor(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve(L, z, check_finite=False)
    log_det = 2.0 * np.log(np.diag(L[0])).sum()
    nll = 0.5 * float(z @ alpha) + 0.5 * log_det + 0.5 * n * math.log(2 * math.pi)
    K_inv = cho_solve(L, np.eye(n), check_finite=False)
    W = np.outer(alpha, alpha) - K_inv  # d nll = -0.5 tr(W dK)
    grad = np.empty_like(theta)
    # dK/dlog l_j = -signal * g(r) * scaled_j
    G = -signal * g
    grad[:-2] = -0.5 * np.einsum("ij,ijk->k", W * G, scaled)
    grad[-2] = -0.5 * float((W * (signal * k)).sum())
    grad[-1] = -0.5 * noise * float(np.trace(W)) if noise > min_noise else 0.0
    # priors: log-normal on lengthscales, weak ones on signal and noise
    dev = log_ls - prior_mu
    nll += 0.5 * float((dev * dev).sum()) / _PRIOR_LS_STD**2
    grad[:-2] += dev / _PRIOR_LS_STD**2
    nll += 0.5 * theta[-2] ** 2 / 4.0
    grad[-2] += theta[-2] / 4.0
    # most objectives tuned here are nearly deterministic: favour a small noise unless the data insist
    noise_dev = theta[-1] - _PRIOR_LOG_NOISE
    nll += 0.5 * noise_dev**2 / _PRIOR_NOISE_STD**2
    grad[-1] += noise_dev / _PRIOR_NOISE_STD**2
    return nll, grad


def _cholesky(K: np.ndarray) -> np.ndarray:
    jitter = 0.0
    for _ in range(8):
        try:
            return np.linalg.cholesky(K + jitter * np.eye(len(K)))
        except np.linalg.LinAlgError:
            jitter = max(jitter * 10.0, 1e-8)
    raise np.linalg.LinAlgError("covariance matrix is not positive definite even with jitter")


def _fit_subset(z: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices for hyperparameter fitting on large data: the best quarter plus a random rest."""
    order = np.argsort(z)
    best = order[: size // 4]
    rest = rng.choice(order[size // 4 :], size=size - len(best), replace=False)
    return np.concatenate([best, rest])
