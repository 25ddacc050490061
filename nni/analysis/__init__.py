"""Computations over an experiment's results: parameter importance (``importance``)."""

from __future__ import annotations

from .importance import encode_features, forest_importance

__all__ = ["encode_features", "forest_importance"]
