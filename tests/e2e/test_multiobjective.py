"""Real experiments with several objectives and a constraint through nnictl: every trial's objectives stored,
the Pareto set the right one, a result missing an objective failing its trial, resume after kill -9 exact."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from nni.objectives import Objectives
from nni.storage import open_reader
from nni.testing import Workspace, free_port, pid_alive, wait_until

pytestmark = pytest.mark.slow

TRIAL = r'''
import os, time
import nni

p = nni.get_next_parameter()
x, y = p["x"], p["y"]
nni.report_intermediate_result({"accuracy": 0.5 * x, "latency_ms": 5.0})
time.sleep(float(os.environ.get("E2E_SLEEP", "0")))
result = {"accuracy": 1 - (x - 0.3) ** 2, "latency_ms": 10 * y + 5 * x, "size_mb": (1 - x) * (1 - y) * 50,
          "memory_mb": 1000 + 4000 * y, "note": "kept"}
if nni.get_sequence_id() == int(os.environ.get("E2E_BAD_SEQ", "-1")):
    del result["latency_ms"]
nni.report_final_result(result)
'''

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "y": {"_type": "uniform", "_value": [0, 1]}}
TWO = [{"name": "accuracy", "mode": "maximize"}, {"name": "latency_ms", "mode": "minimize"}]
THREE = [*TWO, {"name": "size_mb", "mode": "minimize"}]
MEMORY = [{"name": "memory_mb", "max": 3000}]


@pytest.fixture
def world(tmp_path: Path) -> Any:
    ws = Workspace(tmp_path, TRIAL, {"searchSpace": SPACE, "trialConcurrency": 2})
    yield ws
    ws.stop_all()


def _pareto_set(trials: list[Any], spec: Objectives) -> set[str]:
    """The feasible, successful trials no other such trial dominates (plain pairwise definition)."""
    rows = {}
    for t in trials:
        if t.status != "SUCCEEDED":
            continue
        measured = spec.read(t.final_metric)
        if spec.violation(measured.constraint_values) == 0:
            rows[t.trial_job_id] = spec.minimized(measured.objective_values)

    def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(p <= q for p, q in zip(a, b, strict=True)) and a != b

    return {i for i, a in rows.items() if not any(dominates(b, a) for j, b in rows.items() if j != i)}


def test_two_objectives_and_a_constraint(world, port) -> None:
    config = world.config(maxTrialNumber=10, objectives=TWO, constraints=MEMORY,
                          tuner={"name": "TPE", "classArgs": {"seed": 5, "tpe_args": {"n_startup_jobs": 3}}})
    exp_id = world.create(config, port, env={"E2E_BAD_SEQ": "3"})
    assert world.wait_status(port, ("DONE",)) == "DONE"
    world.run("stop", exp_id)
    with open_reader(world.home / exp_id) as reader:
        profile, trials = reader.profile(), reader.trials()
    assert profile.config["objectives"] == TWO and profile.config["constraints"] == MEMORY  # stored as written
    assert len(trials) == 10
    bad = next(t for t in trials if t.sequence_id == 3)
    assert bad.status == "FAILED"
    assert bad.reason == ("final result unusable: the final result has no objective 'latency_ms' (it has 'accuracy', "
                          "'size_mb', 'memory_mb', 'note'); report it in the same dict")
    good = [t for t in trials if t is not bad]
    assert all(t.status == "SUCCEEDED" for t in good)
    for t in trials:  # every objective stored as the trial reported it (the bad one too: nothing lost)
        x, y = t.parameters["x"], t.parameters["y"]
        assert t.final_metric["accuracy"] == pytest.approx(1 - (x - 0.3) ** 2)
        assert t.final_metric["memory_mb"] == pytest.approx(1000 + 4000 * y)
        if t is not bad:
            assert t.final_metric["latency_ms"] == pytest.approx(10 * y + 5 * x)
    spec = Objectives.from_json(TWO, MEMORY)
    front = _pareto_set(trials, spec)
    assert front, "no feasible trial at all"
    from nni.analysis import non_dominated, to_minimized

    feasible = [t for t in good if t.final_metric["memory_mb"] <= 3000]
    mask = non_dominated(to_minimized([[t.final_metric["accuracy"], t.final_metric["latency_ms"]] for t in feasible],
                                      [True, False]))
    assert {t.trial_job_id for t, keep in zip(feasible, mask, strict=True) if keep} == front


def test_three_objectives_resume_after_kill_9_is_exact(world, port) -> None:
    """The manager is SIGKILLed mid-experiment and resumed: replaying the stored journal on a fresh tuner
    gives every trial's parameters, those before the kill and those after, exactly."""
    tuner = {"name": "Evolution", "classArgs": {"seed": 2, "population_size": 4}}
    config = world.config(maxTrialNumber=12, objectives=THREE, tuner=tuner)
    exp_id = world.create(config, port, env={"E2E_SLEEP": "0.5"})
    folder = world.home / exp_id

    def finished() -> bool:
        with open_reader(folder) as reader:
            return reader.trial_count(("SUCCEEDED",)) >= 5

    wait_until(finished, 90, "five trials to finish")
    pid = world.registry()[exp_id]["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), 10, "the manager to die")
    with open_reader(folder) as reader:
        before = len(reader.trials())
    assert before < 12
    new_port = free_port()
    world.run("resume", exp_id, "--port", new_port, env={"E2E_SLEEP": "0.5"})
    assert world.wait_status(new_port, ("DONE",)) == "DONE"
    world.run("stop", exp_id)
    with open_reader(folder) as reader:
        trials, journal = reader.trials(), reader.algorithm_log()
    assert len(trials) == 12 and all(t.status == "SUCCEEDED" for t in trials), [(t.sequence_id, t.status) for t in trials]
    for t in trials:
        assert {"accuracy", "latency_ms", "size_mb"} <= set(t.final_metric)
    assert "made other parameters on replay" not in (folder / "log" / "nnimanager.log").read_text()

    from nni.algorithms.hpo.evolution_tuner import EvolutionTuner

    spec = Objectives.from_json(THREE)
    fresh = EvolutionTuner(**tuner["classArgs"])
    fresh.set_objectives(spec)
    by_parameter = {t.parameter_id: t for t in trials}
    by_trial = {t.trial_job_id: t for t in trials}
    replayed = 0
    for _, call, data in journal:
        if call == "update_search_space":
            fresh.update_search_space(data["search_space"])
        elif call == "generate":
            made = fresh.generate_multiple_parameters(data["ids"])[: data["returned"]]
            for pid, params in zip(data["ids"], made, strict=False):
                assert params == by_parameter[pid].parameters, f"parameter {pid} differs on replay"
                replayed += 1
        elif call == "receive":
            t = by_trial[data["trial_job_id"]]
            measured = spec.read(t.final_metric)
            fresh.receive_trial_result(t.parameter_id, t.parameters, t.final_metric,
                                       objective_values=measured.objective_values,
                                       constraint_values=measured.constraint_values)
        elif call == "trial_end":
            fresh.trial_end(by_trial[data["trial_job_id"]].parameter_id, data["success"])
    assert replayed == 12 and before < replayed


@pytest.fixture
def port() -> int:
    return free_port()
