"""Computations over an experiment's results: parameter importance (``importance``) and Pareto sets of
several objectives (``pareto``: non-dominated sorting, crowding distance, hypervolume, violation)."""

from __future__ import annotations

from .importance import encode_features, forest_importance
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
