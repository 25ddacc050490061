"""Metis tuner (NNI's ``Metis`` built-in): GP-based search with exploration, exploitation and re-sampling.

Following Metis (Li et al., "Metis: Robustly Tuning Tail Latencies of Cloud Systems", ATC 2018), each
suggestion considers up to three candidates computed from a Gaussian process fitted to the results
(this package's GP, :mod:`nni.algorithms.hpo._bo.gp`):

- exploitation: the configuration with the best predicted mean, found from random starting points
  (``selection_num_starting_points``, at most 8 refined by L-BFGS-B);
- exploration: the configuration with the highest expected improvement, which favours regions the GP
  is unsure about;
- re-sampling (unless ``no_resampling``): an observed configuration whose result lies more than three
  predicted standard deviations from the GP's leave-one-out estimate (a likely noisy outlier) is run once
  more to confirm it.

With ``no_candidates`` only the exploitation candidate is used; otherwise exploration is taken with
probability ``exploration_probability`` and exploitation otherwise. The first ``cold_start_num``
configurations come from a Latin hypercube. NNI's classArgs: ``optimize_mode``, ``no_resampling``,
``no_candidates``, ``selection_num_starting_points``, ``cold_start_num``, ``exploration_probability``;
this project adds ``seed``. Unlike NNI's Metis, every parameter type and nested choices are supported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._bo.base import ModelBasedTuner, warp_losses
from ._bo.features import FeatureMap
from ._bo.gp import GaussianProcess
from ._bo.optimize import candidate_budget, maximize_acquisition
from .gp_tuner import fit_model

__all__ = ["MetisTuner"]

_MAX_STARTS = 8


class MetisTuner(ModelBasedTuner):
    """GP-based exploration/exploitation with optional re-sampling of outliers."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        no_resampling: bool = True,
        no_candidates: bool = False,
        selection_num_starting_points: int = 600,
        cold_start_num: int = 10,
        exploration_probability: float = 0.9,
        seed: int | None = None,
    ) -> None:
        super().__init__(optimize_mode, cold_start_num, seed)
        if not isinstance(exploration_probability, (int, float)) or not 0.0 <= exploration_probability <= 1.0:
            raise ValueError(f"exploration_probability must be in [0, 1], got {exploration_probability!r}")
        if not isinstance(selection_num_starting_points, int) or selection_num_starting_points < 1:
            raise ValueError(
                f"selection_num_starting_points must be a positive integer, got {selection_num_starting_points!r}"
            )
        self.no_resampling = bool(no_resampling)
        self.no_candidates = bool(no_candidates)
        self.selection_num_starting_points = selection_num_starting_points
        self.exploration_probability = float(exploration_probability)
        self._gp = GaussianProcess()
        self._fmap: FeatureMap | None = None
        self._resampled: set[Any] = set()

    def _on_space_changed(self) -> None:
        self._fmap = FeatureMap(self.encoding)
        self._gp = GaussianProcess()
        self._resampled = set()

    def _propose(self, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray) -> np.ndarray:
        assert self._fmap is not None
        if self._fmap.dim == 0:
            return np.zeros((0, X.shape[1]))
        y = warp_losses(y)
        fit_model(self._gp, self._fmap, X, y, X_pending, self.rng)
        explore = not self.no_candidates and self.rng.random() < self.exploration_probability
        return maximize_acquisition(
            self._gp,
            self._fmap,
            self.encoding,
            X,
            y,
            self.rng,
            utility="ei" if explore else "ucb",
            kappa=0.0,  # ucb with kappa 0: the predicted mean alone
            xi=0.0,
            n_candidates=candidate_budget(4096, len(y)),
            n_starts=min(self.selection_num_starting_points, _MAX_STARTS),
        )

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if not self.no_resampling and len(self._y) >= max(self.cold_start_num, 5):
            outlier = self._outlier()
            if outlier is not None:
                enc = self.encoding
                flat = enc.decode(outlier)
                self._resampled.add(enc.key_of(flat))
                self._pending[parameter_id] = enc.encode(flat)
                from nni import search_space

                assert self._specs is not None
                return search_space.format_parameters(flat, self._specs)
        return super().generate_parameters(parameter_id, **kwargs)

    def _outlier(self) -> np.ndarray | None:
        """An observed vector whose result is far from the GP's leave-one-out prediction (once each)."""
        assert self._fmap is not None
        X, y = self._X, self._y
        F = self._fmap.to_features(X)
        self._gp.fit(F, y, self.rng)
        K_inv = self._gp._K_inv
        z_std = self._gp._y_std
        # leave-one-out residuals of a GP: alpha_i / K_inv_ii, variance 1 / K_inv_ii (standardised units)
        diag = np.diag(K_inv)
        residual = self._gp._alpha / diag
        loo_std = np.sqrt(1.0 / diag)
        score = np.abs(residual) / loo_std
        enc = self.encoding
        for i in np.argsort(-score):
            if score[i] < 3.0 or z_std == 0:
                return None
            if enc.key_of(enc.decode(X[i])) not in self._resampled:
                return X[i]
        return None
