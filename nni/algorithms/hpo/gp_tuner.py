"""GP tuner: Bayesian optimisation with a Gaussian process surrogate (NNI's ``GP`` built-in).

The surrogate is this package's own GP (:mod:`nni.algorithms.hpo._bo.gp`): a Matern kernel
(smoothness ``nu``) with one lengthscale per feature, hyperparameters fitted by maximum marginal
likelihood under weak priors (lengthscales around ``0.5 * sqrt(d)`` of the unit cube, a small noise);
losses are log-warped first (:func:`._bo.base.warp_losses`) so heavy-tailed objectives stay modelable. Numbers are modelled in the unit cube (log scale for log types), choices
one-hot, parameters of untaken nested choices imputed. The acquisition (``utility``) is log expected
improvement (``'ei'``, with margin ``xi``), the lower confidence bound (``'ucb'``, with ``kappa``) or
log probability of improvement (``'poi'``, margin ``xi``); it is maximised over random and local
candidates, the best refined with L-BFGS-B. Trials still running are handled by the kriging believer:
the model is conditioned on them at its own predicted value, so the next suggestion looks elsewhere.

NNI's classArgs are accepted: ``optimize_mode``, ``utility``, ``kappa``, ``xi``, ``nu``, ``alpha``
(noise floor added to the kernel diagonal, in standardised units), ``cold_start_num`` (random Sobol
points before the model is used), ``selection_num_warm_up`` (random candidates scored; capped so that a
suggestion stays fast with many observations) and ``selection_num_starting_points`` (L-BFGS-B starts;
at most 8 are used). ``seed`` (this project's addition) makes runs reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._bo.acquisition import UTILITIES
from ._bo.base import ModelBasedTuner, warp_losses
from ._bo.features import FeatureMap
from ._bo.gp import GaussianProcess
from ._bo.optimize import candidate_budget, maximize_acquisition

__all__ = ["GPTuner"]

_MAX_STARTS = 8


class GPTuner(ModelBasedTuner):
    """Gaussian-process Bayesian optimisation with EI / UCB / POI (NNI's classArgs); with several objectives
    or constraints, ParEGO (a random Chebyshev scalarisation per suggestion)."""

    supports_multiple_objectives = True

    def __init__(
        self,
        optimize_mode: str = "maximize",
        utility: str = "ei",
        kappa: float = 5.0,
        xi: float = 0.0,
        nu: float = 2.5,
        alpha: float = 1e-6,
        cold_start_num: int = 10,
        selection_num_warm_up: int = 100000,
        selection_num_starting_points: int = 250,
        seed: int | None = None,
    ) -> None:
        super().__init__(optimize_mode, cold_start_num, seed)
        if utility not in UTILITIES:
            raise ValueError(f"utility must be one of {', '.join(map(repr, UTILITIES))}, got {utility!r}")
        if nu not in (0.5, 1.5, 2.5):
            raise ValueError(f"nu must be 0.5, 1.5 or 2.5 (Matern smoothness), got {nu!r}")
        for name, value in (("kappa", kappa), ("xi", xi), ("alpha", alpha)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        for name, value in (
            ("selection_num_warm_up", selection_num_warm_up),
            ("selection_num_starting_points", selection_num_starting_points),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.utility = utility
        self.kappa = float(kappa)
        self.xi = float(xi)
        self.nu = float(nu)
        self.alpha = float(alpha)
        self.selection_num_warm_up = selection_num_warm_up
        self.selection_num_starting_points = selection_num_starting_points
        self._gp = GaussianProcess(nu=self.nu, min_noise=self.alpha)
        self._fmap: FeatureMap | None = None

    def _on_space_changed(self) -> None:
        self._fmap = FeatureMap(self.encoding)
        self._gp = GaussianProcess(nu=self.nu, min_noise=self.alpha)

    def _propose(self, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray) -> np.ndarray:
        assert self._fmap is not None
        if self._fmap.dim == 0:
            return np.zeros((0, X.shape[1]))
        y = warp_losses(y)
        fit_model(self._gp, self._fmap, X, y, X_pending, self.rng)
        return maximize_acquisition(
            self._gp,
            self._fmap,
            self.encoding,
            X,
            y,
            self.rng,
            utility=self.utility,
            kappa=self.kappa,
            xi=self.xi,
            n_candidates=candidate_budget(self.selection_num_warm_up, len(y)),
            n_starts=min(self.selection_num_starting_points, _MAX_STARTS),
        )


MAX_POINTS = 1000


def fit_model(
    gp: GaussianProcess, fmap: FeatureMap, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray, rng: Any
) -> None:
    """Fit the GP on finished trials, then condition it on pending ones at its own predictions.

    Beyond ``MAX_POINTS`` results the GP is conditioned on a subset (the best quarter, the most recent
    quarter and a random half of the rest), which keeps a suggestion's cost bounded.
    """
    if len(X) > MAX_POINTS:
        keep = _subset(y, MAX_POINTS, rng)
        X, y = X[keep], y[keep]
    F = fmap.to_features(X)
    gp.fit(F, y, rng)
    if len(X_pending):
        Fp = fmap.to_features(X_pending)
        believed, _ = gp.predict(Fp)
        gp.fit(F, y, rng, optimize=False, extra_X=Fp, extra_y=believed)


def _subset(y: np.ndarray, size: int, rng: Any) -> np.ndarray:
    n = len(y)
    quarter = size // 4
    chosen = set(np.argsort(y)[:quarter].tolist()) | set(range(n - quarter, n))
    rest = np.array(sorted(set(range(n)) - chosen))
    extra = rng.choice(rest, size=size - len(chosen), replace=False)
    return np.array(sorted(chosen | set(extra.tolist())))

