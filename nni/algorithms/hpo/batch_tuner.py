"""NNI's ``Batch`` tuner: runs a given list of configurations, in order, once each.

The search space has exactly one parameter, a ``choice`` whose options are whole configurations::

    {"combine_params": {"_type": "choice", "_value": [{"lr": 0.1, "bs": 32}, {"lr": 0.01, "bs": 64}]}}

Each option is given to one trial as it is (unlike a nested ``choice``, options need no ``_name``).
After the last one the tuner raises ``NoMoreTrialError``. Configurations already imported
(``import_data``) are skipped. No ``classArgs``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from nni.errors import NoMoreTrialError, SearchSpaceError
from nni.tuner import Tuner

from ._grid import canonical, imported_keys

__all__ = ["BatchTuner", "validate_batch_space"]

_EXAMPLE = '{"combine_params": {"_type": "choice", "_value": [{"lr": 0.1}, {"lr": 0.01}]}}'


def validate_batch_space(space: Any, *, source: str | None = None) -> list[dict[str, Any]]:
    """The configurations of a Batch tuner search space; ``SearchSpaceError`` if it is not one."""
    if not isinstance(space, Mapping) or len(space) != 1:
        got = f"{len(space)} parameters" if isinstance(space, Mapping) else type(space).__name__
        raise SearchSpaceError(
            f"the Batch tuner needs a search space with exactly one parameter, a choice whose options are "
            f"whole configurations (e.g. {_EXAMPLE}); got {got}",
            source=source,
        )
    name, body = next(iter(space.items()))
    if not isinstance(body, Mapping) or body.get("_type") != "choice":
        got = body.get("_type") if isinstance(body, Mapping) else body
        raise SearchSpaceError(
            f"the Batch tuner needs _type 'choice' (its options are whole configurations), got {got!r}",
            path=str(name),
            source=source,
        )
    values = body.get("_value")
    if not isinstance(values, list) or not values:
        raise SearchSpaceError(
            f"the Batch tuner needs a non-empty list of configurations as '_value', got {values!r}",
            path=str(name),
            source=source,
        )
    for index, option in enumerate(values):
        if not isinstance(option, Mapping):
            raise SearchSpaceError(
                f"option {index} must be a configuration (an object of parameter values), got {option!r}",
                path=str(name),
                source=source,
            )
    return [dict(option) for option in values]


class BatchTuner(Tuner):
    """Runs the configurations listed in the search space, one trial each."""

    supports_multiple_objectives = True  # results do not steer it: any objectives work

    def __init__(self) -> None:
        self.space: dict[str, Any] | None = None
        self._values: list[dict[str, Any]] = []
        self._next = 0
        self._seen: set[str] = set()

    def update_search_space(self, search_space: dict[str, Any]) -> None:
        self._values = validate_batch_space(search_space)
        self.space = search_space
        self._next = 0

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if self.space is None:
            raise RuntimeError("BatchTuner: update_search_space() must be called before generate_parameters()")
        while self._next < len(self._values):
            params = self._values[self._next]
            self._next += 1
            key = canonical(params)
            if key not in self._seen:
                self._seen.add(key)
                return copy.deepcopy(params)
        raise NoMoreTrialError(f"BatchTuner: all {len(self._values)} configurations have been given out")

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        pass

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._seen.update(imported_keys(data))
