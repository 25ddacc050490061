"""GridSearch follows NNI's grid semantics; Batch and Random specifics."""

from __future__ import annotations

from typing import Any

import pytest

from nni.algorithms.hpo.batch_tuner import BatchTuner
from nni.algorithms.hpo.gridsearch_tuner import GridSearchTuner
from nni.algorithms.hpo.random_tuner import RandomTuner
from nni.errors import NoMoreTrialError, SearchSpaceError


def _all(tuner: Any, limit: int = 10_000) -> list[dict[str, Any]]:
    out = []
    for pid in range(limit):
        try:
            out.append(tuner.generate_parameters(pid))
        except NoMoreTrialError:
            return out
    raise AssertionError(f"no NoMoreTrialError after {limit} configurations")


def _grid(space: dict[str, Any]) -> GridSearchTuner:
    tuner = GridSearchTuner()
    tuner.update_search_space(space)
    return tuner


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0, 10, 2.5], [0, 2.5, 5, 7.5, 10]), ([2, 10, 5], [2, 5, 10]), ([1, 3, 1], [1, 2, 3])],
)
def test_quniform_grid_is_the_whole_q_grid_with_bounds(values: list[float], expected: list[float]) -> None:
    got = [p["x"] for p in _all(_grid({"x": {"_type": "quniform", "_value": values}}))]
    assert sorted(got) == expected
    assert len(got) == len(set(got))


def test_quniform_coarse_to_fine_order() -> None:
    got = [p["x"] for p in _all(_grid({"x": {"_type": "quniform", "_value": [0, 10, 2.5]}}))]
    assert got[0] == 5  # the middle first
    assert set(got[1:3]) == {2.5, 7.5}  # then the quartiles


def test_randint_gives_every_int_and_choice_every_option() -> None:
    space = {"n": {"_type": "randint", "_value": [-2, 3]}, "c": {"_type": "choice", "_value": ["a", 1, None]}}
    got = _all(_grid(space))
    assert len(got) == 15
    assert {p["n"] for p in got} == {-2, -1, 0, 1, 2}
    assert all(type(p["n"]) is int for p in got)
    assert [p["c"] for p in got[:3]] == ["a", 1, None]  # the last parameter varies fastest


def test_continuous_parameters_refine_by_halving() -> None:
    tuner = _grid({
        "u": {"_type": "uniform", "_value": [0, 8]},
        "lu": {"_type": "loguniform", "_value": [1e-4, 1]},
        "n": {"_type": "normal", "_value": [1, 2]},
    })
    first = tuner.generate_parameters(0)
    assert first["u"] == 4 and first["lu"] == pytest.approx(1e-2) and first["n"] == pytest.approx(1)
    second_round = [tuner.generate_parameters(i) for i in range(1, 27)]
    assert {p["u"] for p in second_round} == {2, 4, 6}
    assert {round(p["n"], 3) for p in second_round} == {round(1 - 2 * 0.6744898, 3), 1, round(1 + 2 * 0.6744898, 3)}
    assert len({(p["u"], p["lu"], p["n"]) for p in [first, *second_round]}) == 27
    third = tuner.generate_parameters(27)
    assert third["u"] in {1, 2, 3, 4, 5, 6, 7}  # never ends: the grid keeps getting finer


def test_nested_choices_enumerated_within_their_option() -> None:
    space = {
        "opt": {"_type": "choice", "_value": [
            {"_name": "sgd", "m": {"_type": "choice", "_value": [0.0, 0.9]}},
            {"_name": "adam"},
        ]},
        "bs": {"_type": "randint", "_value": [1, 3]},
    }
    got = _all(_grid(space))
    assert len(got) == 6  # (sgd, m=0|0.9) x 2 + adam x 2
    assert {"opt": {"_name": "adam"}, "bs": 2} in got
    assert {"opt": {"_name": "sgd", "m": 0.9}, "bs": 1} in got


def test_empty_space_gives_one_empty_configuration() -> None:
    assert _all(_grid({})) == [{}]


def test_grid_import_data_skips() -> None:
    tuner = _grid({"c": {"_type": "choice", "_value": [1, 2, 3]}})
    tuner.import_data([{"parameter": {"c": 2}, "value": 0.5}])
    assert _all(tuner) == [{"c": 1}, {"c": 3}]


def test_batch_in_order_then_end() -> None:
    configs = [{"lr": 0.1, "bs": 8}, {"lr": 0.01, "bs": 8}, {"lr": 0.1, "opt": {"name": "x"}}]
    tuner = BatchTuner()
    tuner.update_search_space({"combine_params": {"_type": "choice", "_value": configs}})
    assert _all(tuner) == configs


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({}, "exactly one parameter"),
        ({"a": {"_type": "choice", "_value": [{}]}, "b": {"_type": "choice", "_value": [{}]}}, "got 2 parameters"),
        ({"p": {"_type": "uniform", "_value": [0, 1]}}, "needs _type 'choice'"),
        ({"p": {"_type": "choice", "_value": []}}, "non-empty list"),
        ({"p": {"_type": "choice", "_value": [1, 2]}}, "option 0 must be a configuration"),
    ],
)
def test_batch_bad_space(space: dict[str, Any], message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        BatchTuner().update_search_space(space)


def test_random_exhausts_finite_space_without_repeats() -> None:
    tuner = RandomTuner(seed=3)
    tuner.update_search_space({"a": {"_type": "choice", "_value": list(range(7))},
                               "q": {"_type": "quniform", "_value": [0, 1, 0.5]}})
    got = _all(tuner)
    assert sorted((p["a"], p["q"]) for p in got) == [(a, q) for a in range(7) for q in (0, 0.5, 1)]


def test_random_seeds_differ_and_bad_seed_refused() -> None:
    space = {"x": {"_type": "uniform", "_value": [0, 1]}}
    runs = []
    for seed in (1, 2):
        tuner = RandomTuner(seed=seed)
        tuner.update_search_space(space)
        runs.append([tuner.generate_parameters(i)["x"] for i in range(5)])
    assert runs[0] != runs[1]
    with pytest.raises(ValueError, match="seed must be an integer, got '1'"):
        RandomTuner(seed="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="optimize_mode must be 'maximize' or 'minimize'"):
        RandomTuner(optimize_mode="max")
