"""NNI's ``HyperoptTuner``: the ``Anneal`` built-in (and ``tpe`` / ``random_search`` by name).

Config::

    tuner:
      name: Anneal
      classArgs:
        optimize_mode: maximize   # or minimize (default)
        seed: 1                   # optional (this project's addition)

NNI wrapped the hyperopt library here; this is our own implementation with no hyperopt dependency:

- ``anneal``: starts with ``n_startup`` draws from the prior, then samples around good earlier
  configurations with a width
  that shrinks as trials accumulate. The parent is drawn by rank with an exponential preference for the
  best (mean rank ``avg_best_idx``); each numeric parameter moves by a truncated normal in the unit
  cube whose width is ``1 / (1 + shrink_coef * n)`` of the base width; each ``choice`` keeps its option
  or switches with a probability that shrinks the same way; parameters that the parent lacked (another
  nested option) come from the prior;
- ``tpe``: this project's TPE (``nni.algorithms.hpo.tpe_tuner``);
- ``random_search``: independent draws from the prior, without repeats.

``parallel_optimize`` and ``constant_liar_type`` (``min``/``max``/``mean``) are accepted as in NNI; with
``tpe`` they set how running trials are modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from ._history import HistoryTuner
from .tpe_tuner import TpeTuner

__all__ = ["HyperoptTuner", "AnnealTuner"]

_ALGORITHMS = ("tpe", "random_search", "anneal")
_LIARS = {"min": "best", "max": "worst", "mean": "mean"}


class AnnealTuner(HistoryTuner):
    """Simulated-annealing-like sampling around good configurations (``Anneal``)."""

    def __init__(
        self,
        optimize_mode: str = "minimize",
        seed: int | None = None,
        avg_best_idx: float = 2.0,
        shrink_coef: float = 0.1,
        base_width: float = 0.25,
        n_candidates: int = 8,
        per_parameter: bool = True,
        n_startup: int = 5,
    ) -> None:
        super().__init__(optimize_mode, seed)
        if avg_best_idx <= 0 or shrink_coef < 0 or not 0 < base_width <= 1:
            raise ValueError(
                "Anneal needs avg_best_idx > 0, shrink_coef >= 0 and 0 < base_width <= 1; got "
                f"avg_best_idx={avg_best_idx!r}, shrink_coef={shrink_coef!r}, base_width={base_width!r}"
            )
        self.avg_best_idx = float(avg_best_idx)
        self.shrink_coef = float(shrink_coef)
        self.base_width = float(base_width)
        self.n_candidates = int(n_candidates)
        self.per_parameter = bool(per_parameter)
        self.n_startup = int(n_startup)

    def _propose(self) -> np.ndarray:
        X, losses = self.history()
        n = len(losses)
        if n < self.n_startup:
            # a few draws from the prior first, so a flat region around the first point cannot trap it
            return self.enc.random(self.rng, self.n_candidates)
        order = np.argsort(losses, kind="stable")
        width = self.base_width / (1.0 + self.shrink_coef * (n + len(self._pending)))
        out = np.empty((self.n_candidates, self.enc.dim))
        for c in range(self.n_candidates):
            if self.per_parameter:
                # Each parameter takes its centre from its own good trial (as hyperopt's anneal draws per
                # node): good values of different trials get combined.
                ranks = np.minimum(self.rng.exponential(self.avg_best_idx, size=self.enc.dim).astype(int), n - 1)
                parent = X[order[ranks], np.arange(self.enc.dim)]
                # a nested parameter keeps the value of the trial that chose its branch, if any
                first = X[order[ranks[0]]] if self.enc.dim else parent
                parent = np.where(np.isfinite(parent), parent, first)
            else:
                rank = min(int(self.rng.exponential(self.avg_best_idx)), n - 1)
                parent = X[order[rank]]
            out[c] = self._perturb(parent, width)
        return out

    def _perturb(self, parent: np.ndarray, width: float) -> np.ndarray:
        enc = self.enc
        child = np.full(enc.dim, np.nan)
        prior = enc.random(self.rng, 1)[0]
        for j, spec in enumerate(enc.specs):
            if not all(child[p] == opt for p, opt in enc.conditions[j]):
                continue
            value = parent[j]
            if not np.isfinite(value):
                child[j] = prior[j] if np.isfinite(prior[j]) else self._prior_value(j)
            elif spec.categorical:
                size = int(enc.sizes[j])
                switch = size > 1 and self.rng.random() < min(1.0, 2.0 * width) * (size - 1) / size
                child[j] = (value + self.rng.integers(1, size)) % size if switch else value
            else:
                h = max(width, 0.5 * enc.steps[j], 1e-3)
                lo, hi = ndtr(-value / h), ndtr((1.0 - value) / h)
                u = lo + self.rng.random() * (hi - lo)
                child[j] = float(np.clip(value + h * ndtri(min(max(u, 1e-12), 1 - 1e-12)), 0.0, 1.0))
        return child

    def _prior_value(self, j: int) -> float:
        if self.enc.categorical[j]:
            return float(self.rng.integers(self.enc.sizes[j]))
        return float(self.rng.random())


class HyperoptTuner(HistoryTuner):
    """NNI's ``HyperoptTuner(algorithm_name, optimize_mode, parallel_optimize, constant_liar_type)``."""

    def __init__(
        self,
        algorithm_name: str = "anneal",
        optimize_mode: str = "minimize",
        parallel_optimize: bool = False,
        constant_liar_type: str = "min",
        seed: int | None = None,
    ) -> None:
        if algorithm_name not in _ALGORITHMS:
            raise ValueError(f"algorithm_name must be one of {', '.join(_ALGORITHMS)}; got {algorithm_name!r}")
        if constant_liar_type not in _LIARS:
            raise ValueError(f"constant_liar_type must be 'min', 'max' or 'mean'; got {constant_liar_type!r}")
        super().__init__(optimize_mode, seed)
        self.algorithm_name = algorithm_name
        self.parallel_optimize = bool(parallel_optimize)
        self.constant_liar_type = constant_liar_type
        impl: HistoryTuner
        if algorithm_name == "tpe":
            liar = _LIARS[constant_liar_type] if parallel_optimize else "best"
            impl = TpeTuner(optimize_mode, seed, {"constant_liar_type": liar})
        elif algorithm_name == "anneal":
            impl = AnnealTuner(optimize_mode, seed)
        else:
            impl = HistoryTuner(optimize_mode, seed)
        self._impl = impl

    # Every NNI hook goes to the selected algorithm.
    def update_search_space(self, search_space: Mapping[str, Any]) -> None:
        self._impl.update_search_space(search_space)
        self.space = self._impl.space

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        return self._impl.generate_parameters(parameter_id, **kwargs)

    def receive_trial_result(self, parameter_id: int, parameters: Mapping[str, Any], value: Any, **kwargs: Any) -> None:
        self._impl.receive_trial_result(parameter_id, parameters, value, **kwargs)

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        self._impl.trial_end(parameter_id, success, **kwargs)

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._impl.import_data(data)

    @property
    def n_finished(self) -> int:
        return self._impl.n_finished

    def __repr__(self) -> str:
        return f"HyperoptTuner(algorithm_name={self.algorithm_name!r}, optimize_mode={self.optimize_mode.value!r})"
