"""SMAC tuner (NNI's ``SMAC`` built-in): sequential model-based configuration with a random forest.

The surrogate is this package's own bootstrap forest of extremely randomised trees
(:mod:`nni.algorithms.hpo._bo.forest`; numpy only, no SMAC3 or scikit-learn needed): its mean and
variance (spread between trees plus spread inside leaves) give the expected improvement. Each suggestion
scores random configurations and the end points of a greedy local search (one-coordinate moves: Gaussian
steps of numbers, every other option of a choice) started from the best configurations seen, and takes
the best. As in SMAC, a fraction of suggestions (``random_fraction``, 0.2) are random configurations so
that the search never stalls on a misleading model. Trials still running are in the model at the mean
of the results so far (constant liar), so parallel suggestions spread out.

NNI's classArgs: ``optimize_mode`` and ``config_dedup`` (never suggest a configuration twice; with
``False`` an already-tried configuration can come back when the model keeps preferring it). This
project adds ``seed``, ``cold_start_num`` and ``random_fraction``.
"""

from __future__ import annotations

import numpy as np

from ._bo.acquisition import acquisition
from ._bo.base import ModelBasedTuner, warp_losses
from ._bo.features import FeatureMap
from ._bo.forest import RandomForest
from ._bo.local_search import local_search

__all__ = ["SMACTuner"]


class SMACTuner(ModelBasedTuner):
    """Random-forest Bayesian optimisation with expected improvement and local search."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        config_dedup: bool = False,
        seed: int | None = None,
        cold_start_num: int = 8,
        random_fraction: float = 0.2,
    ) -> None:
        super().__init__(optimize_mode, cold_start_num, seed)
        if not 0.0 <= random_fraction <= 1.0:
            raise ValueError(f"random_fraction must be in [0, 1], got {random_fraction!r}")
        self.config_dedup = bool(config_dedup)
        self.random_fraction = float(random_fraction)
        self._fmap: FeatureMap | None = None

    def _on_space_changed(self) -> None:
        self._fmap = FeatureMap(self.encoding, inactive_value=-1.0)

    def _propose(self, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray) -> np.ndarray:
        enc = self.encoding
        assert self._fmap is not None
        if self.rng.random() < self.random_fraction or self._fmap.dim == 0:
            return enc.random(self.rng, 16)
        y = warp_losses(y)
        lie = np.full(len(X_pending), float(np.mean(y)))
        forest = RandomForest(n_trees=10, min_samples_leaf=3).fit(
            self._fmap.to_features(np.vstack([X, X_pending])), np.concatenate([y, lie]), self.rng
        )
        best = float(np.min(y))

        def score(rows: np.ndarray) -> np.ndarray:
            mean, std = forest.predict(self._fmap.to_features(rows))
            return acquisition("ei", mean, std, best, kappa=0.0, xi=0.0)[0]

        starts = X[np.argsort(y)[:10]]
        climbed = local_search(enc, starts, score, self.rng)
        pool = np.vstack([climbed, enc.random(self.rng, 1000)])
        return pool[np.argsort(-score(pool), kind="stable")]

    def _first_new(self, candidates: np.ndarray) -> dict | None:
        if self.config_dedup:
            return super()._first_new(candidates)
        enc = self.encoding
        pending = {enc.key_of(enc.decode(row)) for row in self._pending.values()}
        for row in np.atleast_2d(candidates):
            flat = enc.decode(row)
            if enc.key_of(flat) not in pending and self._valid(flat):
                return flat
        return None
