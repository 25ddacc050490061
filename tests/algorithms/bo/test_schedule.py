"""Hyperband / BOHB schedules: budgets per rung, configurations per bracket, promotion of the top 1/eta,
serial vs parallel execution, waiting and ending — driven by a simulated manager loop."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from nni.algorithms.hpo._bo.brackets import bracket_shape
from nni.algorithms.hpo.bohb_advisor import BOHB
from nni.algorithms.hpo.hyperband_advisor import Hyperband
from nni.errors import NoMoreTrialError, WaitForResults

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": ["a", "b", "c"]}}


def loss_of(params: dict[str, Any]) -> float:
    """Lower is better; a larger budget helps a little, so ranks within a rung follow x."""
    return (params["x"] - 0.25) ** 2 + {"a": 0.0, "b": 0.05, "c": 0.1}[params["k"]] + 0.1 / params["TRIAL_BUDGET"]


def simulate(tuner: Any, concurrency: int, *, limit: int = 10_000, fail_every: int = 0) -> dict[str, Any]:
    """A manager loop: keep ``concurrency`` trials running, finish the oldest, stop at NoMoreTrialError."""
    running: list[tuple[int, dict[str, Any]]] = []
    issued: list[tuple[int, dict[str, Any]]] = []
    losses: dict[int, float] = {}
    waits_with_free_slot = 0
    next_id = 0
    ended = False
    while next_id < limit:
        while len(running) < concurrency:
            try:
                params = tuner.generate_parameters(next_id)
            except WaitForResults:
                waits_with_free_slot += 1
                break
            except NoMoreTrialError:
                ended = True
                break
            running.append((next_id, params))
            issued.append((next_id, params))
            next_id += 1
        if not running:
            break
        pid, params = running.pop(0)
        if fail_every and pid % fail_every == fail_every - 1:
            tuner.trial_end(pid, False)
            continue
        losses[pid] = loss_of(params)
        tuner.receive_trial_result(pid, params, losses[pid])
        tuner.trial_end(pid, True)
    return {"issued": issued, "losses": losses, "waits": waits_with_free_slot, "ended": ended}


def _plain(params: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in params.items() if k != "TRIAL_BUDGET"}, sort_keys=True)


def test_bracket_shapes_match_the_hyperband_paper() -> None:
    # Li et al. (2018), Table 1: R = 81, eta = 3.
    expected = {
        4: ([81, 27, 9, 3, 1], [1, 3, 9, 27, 81]),
        3: ([34, 11, 3, 1], [3, 9, 27, 81]),
        2: ([15, 5, 1], [9, 27, 81]),
        1: ([8, 2], [27, 81]),
        0: ([5], [81]),
    }
    for s, (sizes, budgets) in expected.items():
        got_sizes, got_budgets = bracket_shape(s, 4, 3.0, 81.0)
        assert got_sizes == sizes, f"bracket {s}"
        assert [round(b) for b in got_budgets] == budgets, f"bracket {s}"


@pytest.mark.parametrize("mode", ["serial", "parallelism"])
def test_one_iteration_runs_every_rung_with_its_budget(mode: str) -> None:
    tuner = Hyperband(optimize_mode="minimize", R=27, eta=3, exec_mode=mode, num_iterations=1, seed=0)
    tuner.update_search_space(SPACE)
    run = simulate(tuner, concurrency=4)
    assert run["ended"], "no NoMoreTrialError after the only iteration"
    per_budget = Counter(p["TRIAL_BUDGET"] for _, p in run["issued"])
    # s=3: 27@1 9@3 3@9 1@27; s=2: 12@3 4@9 1@27; s=1: 6@9 2@27; s=0: 4@27
    assert per_budget == {1: 27, 3: 21, 9: 13, 27: 8}
    assert all(isinstance(p["TRIAL_BUDGET"], int) for _, p in run["issued"])
    with pytest.raises(NoMoreTrialError):
        tuner.generate_parameters(99_999)


def test_promotions_are_the_best_third_of_each_rung() -> None:
    tuner = Hyperband(optimize_mode="minimize", R=9, eta=3, exec_mode="serial", num_iterations=1, seed=1)
    tuner.update_search_space(SPACE)
    run = simulate(tuner, concurrency=3)
    issued, losses = run["issued"], run["losses"]
    # the first bracket (s=2): 9 configurations at budget 1, the best 3 at 3, the best 1 at 9
    rung0 = [(pid, p) for pid, p in issued[:9]]
    rung1 = issued[9:12]
    rung2 = issued[12:13]
    assert [p["TRIAL_BUDGET"] for _, p in rung0] == [1] * 9
    assert [p["TRIAL_BUDGET"] for _, p in rung1] == [3] * 3
    assert [p["TRIAL_BUDGET"] for _, p in rung2] == [9]
    best3 = sorted(rung0, key=lambda item: losses[item[0]])[:3]
    assert {_plain(p) for _, p in best3} == {_plain(p) for _, p in rung1}
    best1 = min(rung1, key=lambda item: losses[item[0]])
    assert _plain(best1[1]) == _plain(rung2[0][1])


def test_serial_mode_waits_between_rungs_and_keeps_one_bracket_open() -> None:
    tuner = Hyperband(optimize_mode="minimize", R=9, eta=3, exec_mode="serial", num_iterations=1, seed=2)
    tuner.update_search_space(SPACE)
    first = [tuner.generate_parameters(i) for i in range(9)]  # the whole first rung
    with pytest.raises(WaitForResults):
        tuner.generate_parameters(9)  # the rung is running: nothing to start, not even the next bracket
    for pid, params in enumerate(first[:8]):
        tuner.receive_trial_result(pid, params, loss_of(params))
    with pytest.raises(WaitForResults):
        tuner.generate_parameters(9)
    tuner.trial_end(8, False)  # the last one fails: the rung completes, the failure is not promoted
    promoted = [tuner.generate_parameters(i) for i in range(9, 12)]
    assert all(p["TRIAL_BUDGET"] == 3 for p in promoted)
    assert _plain(first[8]) not in {_plain(p) for p in promoted}


def test_parallel_mode_keeps_every_slot_busy() -> None:
    tuner = Hyperband(optimize_mode="minimize", R=27, eta=3, exec_mode="parallelism", seed=3)
    tuner.update_search_space(SPACE)
    run = simulate(tuner, concurrency=8, limit=300)
    assert run["waits"] == 0, "parallel mode left a free slot waiting for results"
    assert len(run["issued"]) == 300
    serial = Hyperband(optimize_mode="minimize", R=27, eta=3, exec_mode="serial", seed=3)
    serial.update_search_space(SPACE)
    assert simulate(serial, concurrency=8, limit=300)["waits"] > 0


def test_endless_by_default_like_nni() -> None:
    tuner = Hyperband(optimize_mode="maximize", R=3, eta=3, seed=4)
    tuner.update_search_space(SPACE)
    run = simulate(tuner, concurrency=2, limit=60)
    assert not run["ended"] and len(run["issued"]) == 60


def test_failed_trials_are_never_promoted() -> None:
    tuner = Hyperband(optimize_mode="minimize", R=9, eta=3, num_iterations=1, seed=5)
    tuner.update_search_space(SPACE)
    run = simulate(tuner, concurrency=4, fail_every=2)
    assert run["ended"]
    failed = {_plain(p) for pid, p in run["issued"] if pid not in run["losses"] and p["TRIAL_BUDGET"] == 1}
    promoted = {_plain(p) for _, p in run["issued"] if p["TRIAL_BUDGET"] > 1}
    assert failed and not failed & promoted


def test_maximize_promotes_the_highest_results() -> None:
    tuner = Hyperband(optimize_mode="maximize", R=3, eta=3, exec_mode="serial", num_iterations=1, seed=6)
    tuner.update_search_space(SPACE)
    first = [tuner.generate_parameters(i) for i in range(3)]
    for pid, params in enumerate(first):
        tuner.receive_trial_result(pid, params, {"default": params["x"], "other": 0})
        tuner.trial_end(pid, True)
    promoted = tuner.generate_parameters(3)
    assert promoted["TRIAL_BUDGET"] == 3
    assert promoted["x"] == max(p["x"] for p in first)


def test_space_change_restarts_the_brackets() -> None:
    tuner = Hyperband(optimize_mode="minimize", R=9, eta=3, seed=7)
    tuner.update_search_space(SPACE)
    tuner.generate_parameters(0)
    new_space = {"y": {"_type": "randint", "_value": [0, 5]}}
    tuner.update_search_space(new_space)
    params = tuner.generate_parameters(1)
    assert set(params) == {"y", "TRIAL_BUDGET"} and params["TRIAL_BUDGET"] == 1


def test_trial_budget_name_clash_is_an_error() -> None:
    tuner = Hyperband()
    with pytest.raises(ValueError, match="TRIAL_BUDGET"):
        tuner.update_search_space({"TRIAL_BUDGET": {"_type": "choice", "_value": [1]}})


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"R": 0}, "R"), ({"eta": 1}, "eta"), ({"exec_mode": "fast"}, "exec_mode"), ({"optimize_mode": "up"}, "optimize_mode")],
)
def test_hyperband_rejects_bad_class_args(kwargs: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        Hyperband(**kwargs)


def test_bohb_budgets_between_min_and_max() -> None:
    tuner = BOHB(optimize_mode="minimize", min_budget=1, max_budget=9, eta=3, num_iterations=1, seed=0)
    tuner.update_search_space(SPACE)
    run = simulate(tuner, concurrency=3)
    assert run["ended"]
    assert Counter(p["TRIAL_BUDGET"] for _, p in run["issued"]) == {1: 9, 3: 3 + 5, 9: 1 + 1 + 3}
    fractional = BOHB(optimize_mode="minimize", min_budget=0.5, max_budget=2, eta=2, num_iterations=1, seed=0)
    fractional.update_search_space(SPACE)
    budgets = {p["TRIAL_BUDGET"] for _, p in simulate(fractional, concurrency=2)["issued"]}
    assert budgets == {0.5, 1.0, 2.0}


def test_bohb_model_concentrates_near_the_optimum() -> None:
    space = {f"x{i}": {"_type": "uniform", "_value": [0, 1]} for i in range(3)}

    def distance(params: dict[str, Any]) -> float:
        return sum((params[f"x{i}"] - 0.25) ** 2 for i in range(3)) ** 0.5

    def late_distance(random_fraction: float) -> float:
        tuner = BOHB(optimize_mode="minimize", min_budget=1, max_budget=1, eta=3, random_fraction=random_fraction,
                     seed=11)
        tuner.update_search_space(space)
        dists = []
        for pid in range(80):
            params = tuner.generate_parameters(pid)
            dists.append(distance(params))
            tuner.receive_trial_result(pid, params, distance(params))
            tuner.trial_end(pid, True)
        return sum(dists[-30:]) / 30

    assert late_distance(0.0) < 0.6 * late_distance(1.0)


def test_bohb_bad_class_args() -> None:
    with pytest.raises(ValueError, match="max_budget"):
        BOHB(min_budget=5, max_budget=2)
    with pytest.raises(ValueError, match="top_n_percent"):
        BOHB(top_n_percent=100)
    with pytest.raises(ValueError, match="random_fraction"):
        BOHB(random_fraction=1.5)
