"""DNGO's surrogate (Snoek et al., 2015) in numpy: a tanh network whose last layer is Bayesian.

A 3-hidden-layer tanh network (50 units each) is trained with Adam on the squared error of
standardised targets. Its last hidden layer gives basis functions ``phi(x)``; Bayesian linear
regression on them, with prior precision ``alpha`` and noise precision ``beta`` chosen by maximising the
marginal likelihood, gives a predictive mean and variance. Retraining the network is the expensive part;
the linear layer is refitted on every new result.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

__all__ = ["BayesianNet"]


class BayesianNet:
    """Neural-network basis functions + Bayesian linear regression."""

    def __init__(self, hidden: int = 50, layers: int = 3, learning_rate: float = 0.01, batch_size: int = 16) -> None:
        self.hidden = hidden
        self.layers = layers
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self._weights: list[tuple[np.ndarray, np.ndarray]] = []

    # ------------------------------------------------------------------------------------- network
    def train(self, X: np.ndarray, y: np.ndarray, epochs: int, rng: np.random.Generator) -> None:
        """(Re)train the network on ``(X, y)`` from a fresh initialisation."""
        X = np.asarray(X, dtype=float)
        self._y_mean = float(np.mean(y))
        self._y_std = float(np.std(y)) or 1.0
        z = (np.asarray(y, dtype=float) - self._y_mean) / self._y_std
        sizes = [X.shape[1]] + [self.hidden] * self.layers + [1]
        self._weights = [
            (rng.normal(0.0, math.sqrt(1.0 / a), size=(a, b)), np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        moments = [(np.zeros_like(w), np.zeros_like(b), np.zeros_like(w), np.zeros_like(b)) for w, b in self._weights]
        step = 0
        n = len(X)
        for _ in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, self.batch_size):
                rows = order[start : start + self.batch_size]
                grads = self._gradients(X[rows], z[rows])
                step += 1
                for i, ((w, b), (gw, gb)) in enumerate(zip(self._weights, grads, strict=True)):
                    mw, mb, vw, vb = moments[i]
                    mw = 0.9 * mw + 0.1 * gw
                    mb = 0.9 * mb + 0.1 * gb
                    vw = 0.999 * vw + 0.001 * gw * gw
                    vb = 0.999 * vb + 0.001 * gb * gb
                    moments[i] = (mw, mb, vw, vb)
                    scale = self.learning_rate * math.sqrt(1 - 0.999**step) / (1 - 0.9**step)
                    self._weights[i] = (w - scale * mw / (np.sqrt(vw) + 1e-8), b - scale * mb / (np.sqrt(vb) + 1e-8))

    def _forward(self, X: np.ndarray) -> list[np.ndarray]:
        acts = [X]
        for w, b in self._weights[:-1]:
            acts.append(np.tanh(acts[-1] @ w + b))
        return acts

    def _gradients(self, X: np.ndarray, z: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        acts = self._forward(X)
        w_out, b_out = self._weights[-1]
        pred = (acts[-1] @ w_out + b_out)[:, 0]
        delta = (2.0 * (pred - z) / len(z))[:, None]
        grads = [(acts[-1].T @ delta, delta.sum(0))]
        back = delta @ w_out.T
        for i in range(len(self._weights) - 2, -1, -1):
            back = back * (1.0 - acts[i + 1] ** 2)
            grads.append((acts[i].T @ back, back.sum(0)))
            back = back @ self._weights[i][0].T
        return grads[::-1]

    def basis(self, X: np.ndarray) -> np.ndarray:
        """The last hidden layer plus a constant column."""
        phi = self._forward(np.atleast_2d(X))[-1]
        return np.hstack([phi, np.ones((len(phi), 1))])

    # ------------------------------------------------------------------ Bayesian linear last layer
    def fit_last_layer(self, X: np.ndarray, y: np.ndarray) -> None:
        """Bayesian linear regression on the basis, ``alpha`` and ``beta`` by marginal likelihood."""
        Phi = self.basis(X)
        z = (np.asarray(y, dtype=float) - self._y_mean) / self._y_std
        n, m = Phi.shape
        PtP, Ptz = Phi.T @ Phi, Phi.T @ z

        def negative_evidence(log_ab: np.ndarray) -> float:
            alpha, beta = np.exp(np.clip(log_ab, -10, 10))
            A = beta * PtP + alpha * np.eye(m)
            try:
                L = np.linalg.cholesky(A)
            except np.linalg.LinAlgError:
                return 1e10
            mean = beta * np.linalg.solve(A, Ptz)
            resid = z - Phi @ mean
            value = (
                0.5 * m * math.log(alpha) + 0.5 * n * math.log(beta) - 0.5 * beta * float(resid @ resid)
                - 0.5 * alpha * float(mean @ mean) - np.log(np.diag(L)).sum()
            )
            return -value

        res = minimize(negative_evidence, np.array([0.0, 3.0]), method="L-BFGS-B", bounds=[(-10, 10), (-10, 10)])
        alpha, beta = np.exp(res.x)
        A = beta * PtP + alpha * np.eye(m)
        self._A_inv = np.linalg.inv(A)
        self._mean = beta * self._A_inv @ Ptz
        self._beta = float(beta)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation (caller's units)."""
        Phi = self.basis(X)
        mean = Phi @ self._mean
        var = np.einsum("ij,jk,ik->i", Phi, self._A_inv, Phi) + 1.0 / self._beta
        return mean * self._y_std + self._y_mean, np.sqrt(np.maximum(var, 1e-12)) * self._y_std
