"""The conformance suite itself: broken tuners must fail it (each check can fail)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from nni.algorithms.hpo.random_tuner import RandomTuner
from nni.testing import TunerConformance


class _OutOfBounds(RandomTuner):
    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        params = super().generate_parameters(parameter_id, **kwargs)
        if "u" in params:
            params["u"] = 99.0
        if "x" in params:
            params["x"] = -5.0
        return params


class _FloatRandint(RandomTuner):
    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        params = super().generate_parameters(parameter_id, **kwargs)
        if "ri" in params:
            params["ri"] = float(params["ri"])
        return params


class _Unseeded(RandomTuner):
    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed=random.randrange(1 << 30))


class _Repeats(RandomTuner):
    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        return self._draw() if not hasattr(self, "_first") else self._first

    def receive_trial_result(self, *args: Any, **kwargs: Any) -> None:
        self._first = args[1]


class _NeverEnds(RandomTuner):
    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        return self._draw()


class _NestedWrong(RandomTuner):
    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        params = super().generate_parameters(parameter_id, **kwargs)
        if "optimizer" in params:
            params["optimizer"] = {"_name": "adam"}  # misses the nested 'beta'
        return params


class _RejectsDicts(RandomTuner):
    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        float(value)


def _suite(tuner: type, finite_ends: bool = True) -> TunerConformance:
    cls = type("Probe", (TunerConformance,), {"tuner_class": tuner, "class_args": {"seed": 1},
                                              "finite_space_ends": finite_ends, "loop_iterations": 12})
    return cls()


@pytest.mark.parametrize(
    ("tuner", "test", "message"),
    [
        (_OutOfBounds, "test_values_inside_space_for_every_type", "outside uniform"),
        (_OutOfBounds, "test_optimisation_loop", "outside uniform"),
        (_FloatRandint, "test_values_inside_space_for_every_type", "randint must give a Python int"),
        (_Unseeded, "test_reproducible_with_same_class_args", "diverged"),
        (_Repeats, "test_pending_trials_at_once", "duplicate pending"),
        (_NeverEnds, "test_finite_space", "no NoMoreTrialError"),
        (_NestedWrong, "test_values_inside_nested_space", "does not fit the search space"),
    ],
)
def test_broken_tuner_fails_suite(tuner: type, test: str, message: str) -> None:
    suite = _suite(tuner)
    with pytest.raises(AssertionError, match=message):
        getattr(suite, test)()


def test_tuner_rejecting_dict_metrics_fails_suite() -> None:
    with pytest.raises(TypeError):
        _suite(_RejectsDicts).test_dict_metrics()


def test_suite_without_tuner_class_says_so() -> None:
    with pytest.raises(TypeError, match="must set tuner_class"):
        TunerConformance().make_tuner()
