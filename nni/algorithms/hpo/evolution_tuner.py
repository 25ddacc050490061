"""NNI's ``Evolution`` tuner: a steady-state evolutionary algorithm over the search space.

Config::

    tuner:
      name: Evolution
      classArgs:
        optimize_mode: maximize     # default maximize, as in NNI
        population_size: 32         # parents kept (NNI's documented default)
        seed: 0                     # optional (this project's addition)

Our own design (NNI's naive evolution mutated one parameter of a random survivor and, measured on
``benchmarks/tuners``, did no better than random search):

- the first ``min(population_size, 10 + dimensions)`` configurations are a space-filling random start;
- afterwards the population is the ``population_size`` best results so far (elitist, steady state: a new
  child is proposed whenever a trial slot is free, no waiting for generations);
- a child comes from a binary tournament, is crossed over (uniform) with a second tournament winner with
  probability ``crossover_rate``, then mutated: Gaussian steps in the unit cube on a random subset of the
  parameters (at least one), option switches for ``choice`` parameters, and parameters that become
  active through a nested choice drawn from the prior;
- the mutation step adapts by the 1/5 success rule: it grows when children beat their parent and
  shrinks when they do not.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import qmc

from ._history import HistoryTuner

__all__ = ["EvolutionTuner"]


class EvolutionTuner(HistoryTuner):
    """Steady-state evolution with tournament selection, crossover and self-adapting mutation."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        population_size: int = 32,
        seed: int | None = None,
        crossover_rate: float = 0.3,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an integer >= 2, got {population_size!r}")
        if not 0 <= crossover_rate <= 1:
            raise ValueError(f"crossover_rate must be in [0, 1], got {crossover_rate!r}")
        super().__init__(optimize_mode, seed)
        self.population_size = population_size
        self.crossover_rate = float(crossover_rate)
        self.step = 0.15
        self._parent_loss: dict[int, float] = {}
        self._start: np.ndarray | None = None

    def _on_space_changed(self) -> None:
        self._start = None

    def _initial_count(self) -> int:
        return min(self.population_size, 10 + self.enc.dim)

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        self._next_parent_loss: float | None = None
        params = super().generate_parameters(parameter_id, **kwargs)
        if self._next_parent_loss is not None:
            self._parent_loss[parameter_id] = self._next_parent_loss
        return params

    def receive_trial_result(self, parameter_id: int, parameters: Any, value: Any, **kwargs: Any) -> None:
        before = self.n_finished
        super().receive_trial_result(parameter_id, parameters, value, **kwargs)
        parent = self._parent_loss.pop(parameter_id, None)
        if parent is not None and self.n_finished > before:
            improved = self._losses[-1] < parent
            self.step = float(np.clip(self.step * (1.5 if improved else 0.9), 0.01, 0.5))

    def _propose(self) -> np.ndarray:
        n = self.n_finished
        issued = n + len(self._pending)
        if n < 2 or issued < self._initial_count():
            return np.vstack([self._start_point(issued), self.enc.random(self.rng, 4)])
        X, losses = self.history()
        order = np.argsort(losses, kind="stable")[: self.population_size]
        out = []
        for _ in range(4):
            a = self._tournament(order, losses)
            child = X[a].copy()
            if self.rng.random() < self.crossover_rate:
                b = self._tournament(order, losses)
                mask = self.rng.random(self.enc.dim) < 0.5
                child = np.where(mask, X[b], child)
            out.append(self._mutate(child))
            if not out[1:]:
                self._next_parent_loss = float(losses[a])
        return np.array(out)

    def _tournament(self, pool: np.ndarray, losses: np.ndarray) -> int:
        picks = self.rng.choice(pool, size=min(2, len(pool)), replace=False)
        return int(picks[np.argmin(losses[picks])])

    def _mutate(self, parent: np.ndarray) -> np.ndarray:
        enc = self.enc
        d = enc.dim
        chosen = self.rng.random(d) < max(1.0 / d, 0.3)
        if not chosen.any():
            chosen[self.rng.integers(d)] = True
        prior = enc.random(self.rng, 1)[0]
        child = np.full(d, np.nan)
        for j in range(d):
            if not all(child[p] == opt for p, opt in enc.conditions[j]):
                continue
            value = parent[j]
            if not np.isfinite(value):
                child[j] = prior[j] if np.isfinite(prior[j]) else self._prior_value(j)
            elif not chosen[j]:
                child[j] = value
            elif enc.categorical[j]:
                size = int(enc.sizes[j])
                child[j] = (value + self.rng.integers(1, size)) % size if size > 1 else value
            else:
                step = max(self.step, 0.5 * enc.steps[j])
                child[j] = float(np.clip(value + step * self.rng.standard_normal(), 0.0, 1.0))
        return child

    def _prior_value(self, j: int) -> float:
        if self.enc.categorical[j]:
            return float(self.rng.integers(self.enc.sizes[j]))
        return float(self.rng.random())

    def _start_point(self, index: int) -> np.ndarray:
        if self._start is None:
            m = max(1, int(np.ceil(np.log2(max(2, self._initial_count())))))
            U = qmc.Sobol(max(1, self.enc.dim), scramble=True, seed=self.rng).random_base2(m)
            for j in np.flatnonzero(self.enc.categorical):
                U[:, j] = np.minimum(np.floor(U[:, j] * self.enc.sizes[j]), self.enc.sizes[j] - 1)
            self._start = self.enc.clean(U)
        return self._start[index % len(self._start)][None, :]
