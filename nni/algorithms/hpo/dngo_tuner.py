"""DNGO tuner (NNI's ``DNGO`` built-in): Bayesian optimisation with a neural-network surrogate.

The surrogate (:mod:`nni.algorithms.hpo._bo.bayes_net`) is a tanh network trained in numpy whose last
layer is replaced by Bayesian linear regression, so predictions come with an uncertainty (Snoek et al.,
"Scalable Bayesian Optimization Using Deep Neural Networks", 2015). The network is retrained from
scratch for ``num_epochs_per_training`` epochs every ``trials_per_update`` new results; the Bayesian
layer is refitted on every suggestion. Each suggestion scores ``sample_size`` random configurations
plus perturbations of the best ones by expected improvement and takes the best. Until
``cold_start_num`` results exist (this project's addition, default 10) configurations come from a Latin
hypercube. Pending trials enter the model at the mean result so far (constant liar).

NNI's classArgs: ``optimize_mode``, ``sample_size``, ``trials_per_update``, ``num_epochs_per_training``;
this project adds ``seed`` and ``cold_start_num``. No deep-learning framework is needed.
"""

from __future__ import annotations

import numpy as np

from ._bo.acquisition import acquisition
from ._bo.base import ModelBasedTuner, candidate_pool, warp_losses
from ._bo.bayes_net import BayesianNet
from ._bo.features import FeatureMap

__all__ = ["DNGOTuner"]


class DNGOTuner(ModelBasedTuner):
    """Neural-network + Bayesian linear regression surrogate with expected improvement."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        sample_size: int = 1000,
        trials_per_update: int = 20,
        num_epochs_per_training: int = 500,
        seed: int | None = None,
        cold_start_num: int = 10,
    ) -> None:
        super().__init__(optimize_mode, cold_start_num, seed)
        for name, value in (
            ("sample_size", sample_size),
            ("trials_per_update", trials_per_update),
            ("num_epochs_per_training", num_epochs_per_training),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.sample_size = sample_size
        self.trials_per_update = trials_per_update
        self.num_epochs_per_training = num_epochs_per_training
        self._fmap: FeatureMap | None = None
        self._net: BayesianNet | None = None
        self._trained_on = 0

    def _on_space_changed(self) -> None:
        self._fmap = FeatureMap(self.encoding)
        self._net = None
        self._trained_on = 0

    def _propose(self, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray) -> np.ndarray:
        enc = self.encoding
        assert self._fmap is not None
        if self._fmap.dim == 0:
            return np.zeros((0, enc.dim))
        F = self._fmap.to_features(X)
        y = warp_losses(y)
        if self._net is None or len(y) - self._trained_on >= self.trials_per_update or len(y) < self._trained_on:
            self._net = BayesianNet()
            epochs = self.num_epochs_per_training
            # a fixed number of gradient steps per epoch budget keeps retraining time bounded as data grows
            self._net.train(F, y, epochs=max(1, epochs * 32 // max(len(y), 32)), rng=self.rng)
            self._trained_on = len(y)
        lie = np.full(len(X_pending), float(np.mean(y)))
        self._net.fit_last_layer(np.vstack([F, self._fmap.to_features(X_pending)]), np.concatenate([y, lie]))
        n_local = self.sample_size // 4
        pool = candidate_pool(enc, X, y, self.rng, self.sample_size - n_local, n_local)
        mean, std = self._net.predict(self._fmap.to_features(pool))
        score = acquisition("ei", mean, std, float(np.min(y)), kappa=0.0, xi=0.0)[0]
        return pool[np.argsort(-score, kind="stable")]
