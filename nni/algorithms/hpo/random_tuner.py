"""NNI's ``Random`` tuner: each configuration drawn independently from the search space's own distributions.

``classArgs``: ``seed`` (int, optional) makes the sequence reproducible; ``optimize_mode`` is accepted
(and ignored) for configs written for older NNI versions. Configurations are not repeated: a drawn
configuration already generated or imported is drawn again, and once a finite space (only ``choice``,
``randint`` and bounded ``q`` types) has been fully tried the tuner raises ``NoMoreTrialError``.
"""

from __future__ import annotations

import logging
from typing import Any

from nni import search_space as ss
from nni.errors import NoMoreTrialError
from nni.tuner import Tuner
from nni.utils import ClassArgsValidator

from ._grid import canonical, enumerate_configs, finite_values, imported_keys, is_finite

__all__ = ["RandomTuner", "RandomClassArgsValidator"]

_logger = logging.getLogger(__name__)

_REDRAWS = 30


def check_seed(seed: Any, owner: str) -> int | None:
    """Validate a ``seed`` classArg: None or an int."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{owner}: seed must be an integer, got {seed!r} ({type(seed).__name__})")
    return seed


def check_optimize_mode(mode: Any, owner: str, *, optional: bool = False) -> str | None:
    """Validate an ``optimize_mode`` classArg: 'maximize' or 'minimize'."""
    if mode is None and optional:
        return None
    if not isinstance(mode, str) or mode.lower() not in ("maximize", "minimize"):
        raise ValueError(f"{owner}: optimize_mode must be 'maximize' or 'minimize', got {mode!r}")
    return mode.lower()


class RandomClassArgsValidator(ClassArgsValidator):
    """Checks RandomTuner's classArgs at config load time (before anything starts)."""

    def validate_class_args(self, **kwargs: Any) -> None:
        check_seed(kwargs.get("seed"), "RandomTuner")
        check_optimize_mode(kwargs.get("optimize_mode"), "RandomTuner", optional=True)


class RandomTuner(Tuner):
    """Random search. ``RandomTuner(seed=None)`` as in NNI."""

    supports_multiple_objectives = True  # results do not steer it: any objectives work

    def __init__(self, seed: int | None = None, optimize_mode: str | None = None) -> None:
        import numpy as np

        self.seed = check_seed(seed, "RandomTuner")
        self.optimize_mode = check_optimize_mode(optimize_mode, "RandomTuner", optional=True)
        self.rng = np.random.default_rng(self.seed)
        self.space: dict[str, Any] | None = None
        self._specs: list[ss.ParameterSpec] = []
        self._finite = False
        self._seen: set[str] = set()

    def update_search_space(self, search_space: dict[str, Any]) -> None:
        self._specs = ss.parse(search_space)
        self.space = search_space
        self._finite = is_finite(self._specs)

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if self.space is None:
            raise RuntimeError("RandomTuner: update_search_space() must be called before generate_parameters()")
        params = self._draw()
        key = canonical(params)
        for _ in range(_REDRAWS):
            if key not in self._seen:
                break
            params = self._draw()
            key = canonical(params)
        else:
            if self._finite:
                params = self._first_unseen()
                key = canonical(params)
            else:
                _logger.debug("RandomTuner: repeating configuration %s after %d draws", key, _REDRAWS)
        self._seen.add(key)
        return params

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        pass

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._seen.update(imported_keys(data))

    def _draw(self) -> dict[str, Any]:
        return ss.format_parameters(ss.sample(self._specs, self.rng), self._specs)

    def _first_unseen(self) -> dict[str, Any]:
        grids = [finite_values(spec) or [] for spec in self._specs]
        for flat in enumerate_configs(self._specs, grids):
            params = ss.format_parameters(flat, self._specs)
            if canonical(params) not in self._seen:
                return params
        raise NoMoreTrialError("RandomTuner: every configuration of the finite search space has been tried")
