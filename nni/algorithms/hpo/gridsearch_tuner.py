"""NNI's ``GridSearch`` tuner: exhaustive search, coarse to fine.

Every ``choice`` option and every ``randint`` integer is tried. A numeric parameter is tried first at
the middle of its distribution, then each round adds the points halfway between those already on its
grid (the quartiles, then the eighths, ... of its cumulative distribution; in log space for log types;
rounded to ``q``). Each round tries only combinations no earlier round tried. A space whose
parameters are all finite (``choice``, ``randint``, ``quniform``, ``qloguniform``) is enumerated
completely, bounds included, and then ``NoMoreTrialError`` ends the experiment; with a continuous
parameter the grid keeps getting finer. Configurations already imported (``import_data``) are
skipped. No ``classArgs``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from nni import search_space as ss
from nni.errors import NoMoreTrialError
from nni.tuner import Tuner

from ._grid import Flat, canonical, imported_keys, progressive_configs

__all__ = ["GridSearchTuner"]

_logger = logging.getLogger(__name__)


class GridSearchTuner(Tuner):
    """Grid search over the whole space (see the module docstring)."""

    supports_multiple_objectives = True  # results do not steer it: any objectives work

    def __init__(self, optimize_mode: str | None = None) -> None:
        # NNI's GridSearchTuner takes no argument; optimize_mode is tolerated for old configs.
        from .random_tuner import check_optimize_mode

        self.optimize_mode = check_optimize_mode(optimize_mode, "GridSearchTuner", optional=True)
        self.space: dict[str, Any] | None = None
        self._specs: list[ss.ParameterSpec] = []
        self._configs: Iterator[Flat] = iter(())
        self._seen: set[str] = set()

    def update_search_space(self, search_space: dict[str, Any]) -> None:
        self._specs = ss.parse(search_space)
        self.space = search_space
        self._configs = progressive_configs(self._specs)

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if self.space is None:
            raise RuntimeError("GridSearchTuner: update_search_space() must be called before generate_parameters()")
        for flat in self._configs:
            params = ss.format_parameters(flat, self._specs)
            key = canonical(params)
            if key not in self._seen:
                self._seen.add(key)
                return params
        _logger.info("GridSearchTuner: search space fully explored")
        raise NoMoreTrialError("GridSearchTuner: the search space has been fully explored")

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        pass

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._seen.update(imported_keys(data))
