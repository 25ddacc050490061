"""Computations over an experiment's results: its trials as columns, the best trials, best-so-far curves and
the metric's distribution (``results``); slices, contours and server-side sampling of the search space
(``space``); several experiments side by side (``compare``); parameter importance (``importance``), Pareto sets of
several objectives (``pareto``: non-dominated sorting, crowding distance, hypervolume and contributions, the
Pareto order the tuners select by, violation) and an
experiment's Pareto set as every reader shows it (``objectives``: the config's objectives and constraints,
feasibility, the reference point, the hypervolume history; one cache per experiment)."""

from __future__ import annotations

from .compare import compare, config_diff
from .importance import encode_features, forest_importance
from .objectives import (
    REFERENCE_RULE,
    Constraint,
    Objective,
    ObjectiveSpec,
    ParetoCache,
    ParetoFront,
    ParetoPoint,
    pareto_front,
)
from .pareto import (
    constraint_violation,
    crowding_distance,
    dominates,
    hypervolume,
    hypervolume_contributions,
    non_dominated,
    non_dominated_ranks,
    pareto_order,
    to_minimized,
)
from .results import (
    BestTrial,
    ResultColumns,
    best_first,
    best_so_far,
    best_trials,
    default_metric,
    distribution,
    flatten_parameters,
    maximizes,
)
from .space import Axis, axes_of, contour, explore, sample_positions, slices

__all__ = [
    "Axis",
    "BestTrial",
    "ResultColumns",
    "axes_of",
    "best_first",
    "best_so_far",
    "best_trials",
    "compare",
    "config_diff",
    "contour",
    "default_metric",
    "distribution",
    "explore",
    "flatten_parameters",
    "maximizes",
    "sample_positions",
    "slices",
    "REFERENCE_RULE",
    "Constraint",
    "Objective",
    "ObjectiveSpec",
    "ParetoCache",
    "ParetoFront",
    "ParetoPoint",
    "pareto_front",
    "constraint_violation",
    "crowding_distance",
    "dominates",
    "encode_features",
    "forest_importance",
    "hypervolume",
    "hypervolume_contributions",
    "non_dominated",
    "non_dominated_ranks",
    "pareto_order",
    "to_minimized",
]
