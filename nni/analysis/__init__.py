"""Computations over an experiment's results: parameter importance (``importance``) and Pareto sets of
several objectives (``pareto``: non-dominated sorting, crowding distance, hypervolume and contributions,
the Pareto order the tuners select by, violation)."""

from __future__ import annotations

from .importance import encode_features, forest_importance
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

__all__ = [
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
