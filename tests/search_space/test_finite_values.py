"""``finite_values``: exactly the values a draw of a discrete parameter can give, for the tuners that count or
enumerate a finite space (grid search, random without repeats, the history tuners, BO's candidate grid)."""

from __future__ import annotations

import numpy as np
import pytest

from nni import search_space as ss


def _spec(kind: str, value: list[float]) -> ss.ParameterSpec:
    (spec,) = ss.parse({"x": {"_type": kind, "_value": value}})
    return spec


@pytest.mark.parametrize(("kind", "value"), [
    ("quniform", [0.6, 10.4, 1]),  # bounds off the grid: 0.6 and 10.4 are never drawn
    ("quniform", [0, 10, 0.5]),
    ("quniform", [0.25, 3.3, 0.5]),
    ("qloguniform", [1, 1000, 7]),
    ("qloguniform", [8, 1024, 8]),
    ("randint", [3, 9]),
])
def test_the_values_are_those_draws_reach(kind: str, value: list[float]) -> None:
    spec = _spec(kind, value)
    rng = np.random.default_rng(0)
    drawn = {ss.sample_value(spec, rng) for _ in range(60_000)}
    assert sorted(drawn) == ss.finite_values(spec)


def test_choices_continuous_types_and_the_limit() -> None:
    (choice,) = ss.parse({"c": {"_type": "choice", "_value": ["a", "b", "c"]}})
    assert ss.finite_values(choice) == [0, 1, 2]  # option indices, as in flat configurations
    for kind, value in (("uniform", [0, 1]), ("loguniform", [1, 10]), ("normal", [0, 1]), ("qnormal", [0, 1, 1])):
        assert ss.finite_values(_spec(kind, value)) is None
    assert ss.finite_values(_spec("randint", [0, 100]), limit=100) == list(range(100))
    assert ss.finite_values(_spec("randint", [0, 101]), limit=100) is None
    assert ss.finite_values(_spec("quniform", [0, 1000, 1]), limit=1000) is None  # 1001 points
