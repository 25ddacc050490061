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
- a child starts from a binary-tournament winner; each parameter is changed with probability
  ``crossover_rate`` (at least one): numeric ones by a differential step ``F (b - c)`` between two random
  members (in the unit cube, so the step shrinks as the population converges), ``choice`` ones by taking
  another member's option (or, rarely, a random one); parameters that become active through a nested
  choice are drawn from the prior;
- with several objectives or constraints (the config's ``objectives``/``constraints``) the population and
  the tournaments follow NSGA-II's order: non-dominated front first, then hypervolume contribution (two
  objectives) or crowding distance (more) within a front; infeasible trials after every feasible one, by
  constraint violation. ``optimize_mode`` is then not used.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import qmc

from ._history import HistoryTuner

__all__ = ["EvolutionTuner"]


class EvolutionTuner(HistoryTuner):
    """Steady-state evolution with tournament selection, crossover and self-adapting mutation; with
    several objectives or constraints, NSGA-II-style selection."""

    supports_multiple_objectives = True

    def __init__(
        self,
        optimize_mode: str = "maximize",
        population_size: int = 32,
        seed: int | None = None,
        crossover_rate: float = 0.5,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an integer >= 2, got {population_size!r}")
        if not 0 <= crossover_rate <= 1:
            raise ValueError(f"crossover_rate must be in [0, 1], got {crossover_rate!r}")
        super().__init__(optimize_mode, seed)
        self.population_size = population_size
        self.crossover_rate = float(crossover_rate)
        self._start: np.ndarray | None = None

    def _on_space_changed(self) -> None:
        self._start = None

    def _pareto_limit(self) -> int | None:
        return self.population_size

    def _initial_count(self) -> int:
        return min(self.population_size, 10 + self.enc.dim)

    def _propose(self) -> np.ndarray:
        n = self.n_finished
        issued = n + len(self._pending)
        if n < 3 or issued < self._initial_count():
            return np.vstack([self._start_point(issued), self.enc.random(self.rng, 4)])
        X, losses = self.history()
        pool = np.argsort(losses, kind="stable")[: self.population_size]
        out = []
        for _ in range(4):
            base = self._tournament(pool, losses)
            b, c = self.rng.choice(pool, size=2, replace=False)
            out.append(self._offspring(X[base], X[b], X[c], X[int(self.rng.choice(pool))]))
        return np.array(out)

    def _tournament(self, pool: np.ndarray, losses: np.ndarray) -> int:
        picks = self.rng.choice(pool, size=min(2, len(pool)), replace=False)
        return int(picks[np.argmin(losses[picks])])

    def _offspring(self, base: np.ndarray, b: np.ndarray, c: np.ndarray, mate: np.ndarray) -> np.ndarray:
        """Differential mutation ``base + F (b - c)`` on a random subset of coordinates (at least one).

        The step follows the spread of the population, so it shrinks by itself as the population
        converges; choices are taken from another member (crossover) or, rarely, drawn anew.
        """
        enc = self.enc
        d = enc.dim
        chosen = self.rng.random(d) < self.crossover_rate
        chosen[self.rng.integers(d)] = True
        scale = self.rng.uniform(0.5, 1.0)
        prior = enc.random(self.rng, 1)[0]
        child = np.full(d, np.nan)
        for j in range(d):
            if not all(child[p] == opt for p, opt in enc.conditions[j]):
                continue
            value = base[j]
            if not np.isfinite(value):
                child[j] = prior[j] if np.isfinite(prior[j]) else self._prior_value(j)
            elif not chosen[j]:
                child[j] = value
            elif enc.categorical[j]:
                if self.rng.random() < 0.2 or not np.isfinite(mate[j]):
                    child[j] = self._prior_value(j)
                else:
                    child[j] = mate[j]
            else:
                diff = b[j] - c[j] if np.isfinite(b[j]) and np.isfinite(c[j]) else 0.0
                step = scale * diff + 0.01 * self.rng.standard_normal()
                if abs(step) < 0.5 * enc.steps[j]:
                    step = float(np.sign(step) or 1.0) * enc.steps[j]
                moved = value + step
                # reflect at the bounds instead of piling up on them
                moved = -moved if moved < 0 else (2.0 - moved if moved > 1 else moved)
                child[j] = float(np.clip(moved, 0.0, 1.0))
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
