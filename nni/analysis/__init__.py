"""Computations over an experiment's results: parameter importance (``importance``), Pareto sets of
several objectives (``pareto``: non-dominated sorting, crowding distance, hypervolume, violation) and an
experiment's Pareto set as every reader shows it (``objectives``: the config's objectives and constraints,
feasibility, the reference point, the hypervolume history; one cache per experiment)."""

from __future__ import annotations

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
    non_dominated,
    non_dominated_ranks,
    to_minimized,
)

__all__ = [
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
    "non_dominated",
    "non_dominated_ranks",
    "to_minimized",
]
