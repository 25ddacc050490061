"""Numerical core of the TPE tuner: Parzen mixtures over the unit-cube encoding and the suggestion step."""

from ._optimizer import TpeSettings, suggest_candidates
from ._parzen import ParzenMixture, neighbor_widths

__all__ = ["ParzenMixture", "TpeSettings", "neighbor_widths", "suggest_candidates"]
