"""What the built-in tuners share for several objectives and constraints.

Each finished trial becomes an :class:`Outcome`: its objective vector, minimised (maximised objectives
negated, see ``nni.objectives.Objectives.minimized``), and its total constraint violation (0: feasible).
Two ways turn outcomes into the single loss the tuners' machinery ranks by:

- :func:`pareto_scores` (TPE, Evolution): the position of each trial in the Pareto order of
  ``nni.analysis.pareto.pareto_order`` (feasible trials by non-dominated front, spread within a front;
  infeasible ones after them by violation). TPE's good set and Evolution's survivors are then the
  first fronts, which is multi-objective TPE's split and NSGA-II's selection.
- :func:`chebyshev_losses` (GP): ParEGO's augmented Chebyshev scalarisation with weights drawn per
  suggestion, on objectives normalised to the observed range; infeasible trials above every feasible one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nni.analysis.pareto import pareto_order
from nni.objectives import Objectives, ResultError
from nni.utils import OptimizeMode

__all__ = ["OutcomeTracking", "Outcome", "measure", "pareto_scores", "chebyshev_losses", "outcome_arrays", "random_weights"]

_logger = logging.getLogger(__name__)

_AUGMENTATION = 0.05  # ParEGO's rho: the weighted sum that breaks the Chebyshev maximum's ties


@dataclass(frozen=True)
class Outcome:
    """A finished trial against several objectives: minimised objective vector and constraint violation."""

    minimized: tuple[float, ...]
    violation: float


class OutcomeTracking:
    """Mixin (before ``nni.tuner.Tuner``) of the tuners that keep an outcome per observation: several
    objectives or constraints start the list; a single objective only sets the direction."""

    _outcomes: list[Outcome] | None = None
    optimize_mode: OptimizeMode

    def set_objectives(self, objectives: Objectives) -> None:
        super().set_objectives(objectives)  # type: ignore[misc]
        if objectives.is_multi:
            self._outcomes = []
        else:
            self.optimize_mode = OptimizeMode(objectives.objectives[0].mode)


def measure(objectives: Objectives, value: Any, kwargs: Mapping[str, Any]) -> Outcome | None:
    """The outcome of a result: from the manager's ``objective_values`` / ``constraint_values`` keywords when
    given, else read from ``value`` (direct use, ``import_data``); None (logged) when it cannot be read."""
    if "objective_values" in kwargs:
        values, constraints = kwargs["objective_values"], kwargs.get("constraint_values", ())
    else:
        try:
            measured = objectives.read(value)
        except ResultError as exc:
            _logger.warning("ignoring a result that does not fit the objectives: %s", exc)
            return None
        values, constraints = measured.objective_values, measured.constraint_values
    return Outcome(objectives.minimized(values), float(objectives.violation(constraints)))


def outcome_arrays(outcomes: list[Outcome]) -> tuple[np.ndarray, np.ndarray]:
    """``(F, violation)``: the minimised objective vectors (``n x k``) and violations (``n``)."""
    if not outcomes:
        return np.zeros((0, 0)), np.zeros(0)
    return (np.array([o.minimized for o in outcomes], dtype=float),
            np.array([o.violation for o in outcomes], dtype=float))


def pareto_scores(outcomes: list[Outcome], limit: int | None = None) -> np.ndarray:
    """A loss per outcome (lower is better): its position in the Pareto order. With ``limit`` only the first
    ``limit`` positions are resolved; every other outcome shares the loss ``n``."""
    F, violation = outcome_arrays(outcomes)
    n = len(outcomes)
    scores = np.full(n, float(n))
    if n:
        order = pareto_order(F, violation, limit)
        scores[order] = np.arange(len(order), dtype=float)
    return scores


def chebyshev_losses(outcomes: list[Outcome], weights: np.ndarray) -> np.ndarray:
    """ParEGO's augmented Chebyshev scalarisation: ``max_j w_j f_j + rho * sum_j w_j f_j`` of the objectives
    normalised to [0, 1] over the feasible outcomes; an infeasible outcome scores above every feasible one,
    the more so the larger its violation."""
    F, violation = outcome_arrays(outcomes)
    feasible = violation <= 0
    basis = F[feasible] if feasible.any() else F
    low, high = basis.min(axis=0), basis.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = (F - low) / span
    weighted = scaled * weights
    losses = weighted.max(axis=1) + _AUGMENTATION * weighted.sum(axis=1)
    if not feasible.all():
        top = losses[feasible].max() if feasible.any() else 0.0
        worst = max(float(violation.max()), 1e-12)
        losses = np.where(feasible, losses, top + 1.0 + violation / worst)
    return losses


def random_weights(rng: np.random.Generator, k: int) -> np.ndarray:
    """A weight vector drawn uniformly from the simplex."""
    return rng.dirichlet(np.ones(k))
