"""BOHB (NNI's ``BOHB`` built-in): Hyperband's brackets with configurations from a TPE-like KDE model.

Budgets and promotions follow Hyperband (see :mod:`._bo.brackets`) between ``min_budget`` and
``max_budget`` with factor ``eta``; the trial reads its budget from ``TRIAL_BUDGET``. New configurations
are random for a ``random_fraction`` of draws and while no budget has ``min_points_in_model + 2`` results
(default ``min_points_in_model``: number of parameters + 1); otherwise, on the largest such budget, the
``top_n_percent`` best results (at least ``min_points_in_model``) form a good density and the rest a bad
one (:mod:`._bo.kde`), ``num_samples`` draws are made around good configurations with bandwidths times
``bandwidth_factor`` (never under ``min_bandwidth``), and the draw with the best good/bad density ratio
is run. NNI's ``config_space`` (a ConfigSpace file) is not needed: the search space is NNI's JSON.

Additions of this project: ``num_iterations`` (full iterations of ``s_max + 1`` brackets before
``NoMoreTrialError``; ``None`` repeats like NNI) and ``seed``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ._bo.kde import ProductKDE, propose_from_kdes
from ._bo.multifidelity import BracketTuner, s_max_for

__all__ = ["BOHB"]

_logger = logging.getLogger(__name__)


def _check_number(name: str, value: Any, low: float, *, strict: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (value > low if strict else value >= low)
    if not ok:
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be a number {relation} {low}, got {value!r}")


class BOHB(BracketTuner):
    """Bayesian optimisation + Hyperband (Falkner et al., 2018), with NNI's classArgs."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        min_budget: float = 1,
        max_budget: float = 3,
        eta: float = 3,
        min_points_in_model: int | None = None,
        top_n_percent: int = 15,
        num_samples: int = 64,
        random_fraction: float = 1 / 3,
        bandwidth_factor: float = 3,
        min_bandwidth: float = 1e-3,
        config_space: str | None = None,
        exec_mode: str = "parallelism",
        num_iterations: int | None = None,
        seed: int | None = None,
    ) -> None:
        _check_number("min_budget", min_budget, 0, strict=True)
        _check_number("max_budget", max_budget, min_budget, strict=False)
        _check_number("eta", eta, 1, strict=True)
        if min_points_in_model is not None:
            _check_number("min_points_in_model", min_points_in_model, 1, strict=False)
        _check_number("top_n_percent", top_n_percent, 0, strict=True)
        if top_n_percent >= 100:
            raise ValueError(f"top_n_percent must be below 100, got {top_n_percent!r}")
        _check_number("num_samples", num_samples, 1, strict=False)
        _check_number("random_fraction", random_fraction, 0, strict=False)
        if random_fraction > 1:
            raise ValueError(f"random_fraction must be in [0, 1], got {random_fraction!r}")
        _check_number("bandwidth_factor", bandwidth_factor, 0, strict=True)
        _check_number("min_bandwidth", min_bandwidth, 0, strict=True)
        if config_space is not None:
            _logger.warning("BOHB: config_space %r is ignored; the experiment's search space is used", config_space)
        self.min_budget = min_budget
        self.max_budget = max_budget
        self.eta = eta
        self.min_points_in_model = min_points_in_model
        self.top_n_percent = top_n_percent
        self.num_samples = int(num_samples)
        self.random_fraction = float(random_fraction)
        self.bandwidth_factor = float(bandwidth_factor)
        self.min_bandwidth = float(min_bandwidth)
        integral = all(float(v).is_integer() for v in (min_budget, max_budget))
        super().__init__(
            optimize_mode,
            max_budget=float(max_budget),
            eta=float(eta),
            s_max=s_max_for(float(max_budget) / float(min_budget), float(eta)),
            exec_mode=exec_mode,
            num_iterations=num_iterations,
            integer_budget=False,
            seed=seed,
        )
        self._integral_budgets = integral
        self._observations: dict[float, list[tuple[np.ndarray, float]]] = {}

    def update_search_space(self, search_space_: dict[str, Any]) -> None:
        super().update_search_space(search_space_)
        self._observations = {}

    def _budget_value(self, budget: float) -> int | float:
        rounded = round(budget)
        if self._integral_budgets and abs(budget - rounded) < 1e-6:
            return int(rounded)
        return float(budget)

    def _learn(self, flat: dict[Any, Any], budget: float, loss: float) -> None:
        enc = self._require_space()
        if not np.isfinite(loss):
            return  # a failed trial says nothing about where the good region is
        self._observations.setdefault(round(budget, 9), []).append((enc.encode(flat), loss))

    def _new_config(self) -> dict[Any, Any]:
        enc = self._require_space()
        if enc.dim == 0 or self.rng.random() < self.random_fraction:
            return enc.decode(enc.random(self.rng, 1)[0])
        model = self._model()
        if model is None:
            return enc.decode(enc.random(self.rng, 1)[0])
        good, bad = model
        candidates = propose_from_kdes(enc, good, bad, self.rng, self.num_samples, self.bandwidth_factor)
        for row in candidates:
            flat = enc.decode(row)
            if enc.key_of(flat) not in self._seen:
                return flat
        return enc.decode(enc.random(self.rng, 1)[0])

    def _model(self) -> tuple[ProductKDE, ProductKDE] | None:
        enc = self._require_space()
        min_points = self.min_points_in_model if self.min_points_in_model is not None else enc.dim + 1
        usable = [b for b, obs in self._observations.items() if len(obs) >= min_points + 2]
        if not usable:
            return None
        obs = self._observations[max(usable)]
        X = np.array([x for x, _ in obs])
        losses = np.array([loss for _, loss in obs])
        order = np.argsort(losses, kind="stable")
        n = len(order)
        n_good = max(min_points, (self.top_n_percent * n) // 100)
        n_bad = max(min_points, ((100 - self.top_n_percent) * n) // 100)
        good = ProductKDE(X[order[:n_good]], enc.categorical, enc.sizes, self.min_bandwidth)
        bad = ProductKDE(X[order[-n_bad:]], enc.categorical, enc.sizes, self.min_bandwidth)
        return good, bad
