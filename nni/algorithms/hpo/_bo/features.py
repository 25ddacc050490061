"""Model features of unit-cube vectors: numbers as they are, choices one-hot, inactive ones imputed.

:class:`nni.algorithms.hpo._encoding.UnitCubeEncoding` gives one coordinate per parameter (a choice as
its option index, NaN where a nested parameter is inactive). Distance-based models (the GP) want a
choice as one-hot columns and no NaN; :class:`FeatureMap` converts both ways. Inactive numbers are
imputed with ``0.5`` (or ``inactive_value``: trees use ``-1``, a value no active one takes) and inactive choices with all-zero columns, so two configurations that differ only
in parameters neither of them uses sit at the same place.
"""

from __future__ import annotations

import numpy as np

from .._encoding import UnitCubeEncoding

__all__ = ["FeatureMap"]


class FeatureMap:
    """Unit-cube vectors (``enc.dim`` columns) <-> feature rows (``self.dim`` columns in ``[0, 1]``)."""

    def __init__(self, enc: UnitCubeEncoding, inactive_value: float = 0.5) -> None:
        self.enc = enc
        self.inactive_value = inactive_value
        self.blocks: list[tuple[int, int, int]] = []  # (coordinate, first column, width)
        col = 0
        for j, spec in enumerate(enc.specs):
            width = spec.size if spec.categorical else 1
            if spec.categorical and spec.size == 1:
                width = 0  # a single option carries no information
            self.blocks.append((j, col, width))
            col += width
        self.dim = col

    def to_features(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        F = np.zeros((len(X), self.dim))
        for j, col, width in self.blocks:
            if width == 0:
                continue
            values = X[:, j]
            ok = np.isfinite(values)
            if self.enc.categorical[j]:
                rows = np.flatnonzero(ok)
                F[rows, col + values[ok].astype(int)] = 1.0
            else:
                F[:, col] = np.where(ok, values, self.inactive_value)
        return F

    def from_features(self, F: np.ndarray) -> np.ndarray:
        """Nearest unit-cube vectors (argmax of each one-hot block), cleaned and snapped to the grid."""
        F = np.atleast_2d(F)
        X = np.zeros((len(F), self.enc.dim))
        for j, col, width in self.blocks:
            if self.enc.categorical[j]:
                X[:, j] = np.argmax(F[:, col : col + width], axis=1) if width else 0.0
            else:
                X[:, j] = np.clip(F[:, col], 0.0, 1.0)
        return self.enc.snap(self.enc.clean(X))
