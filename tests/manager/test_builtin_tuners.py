"""Every built-in tuner runs through the manager, and a resumed run continues exactly where an
uninterrupted one would (the journal replay rebuilds each seeded tuner's state)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from nni.algorithms.hpo._registry import BUILTIN_ASSESSORS, BUILTIN_TUNERS
from nni.manager import ExperimentManager
from nni.storage import ExperimentStore, open_reader
from nni.testing.fake_platform import Exit, FakePlatform, Final, Metric

_SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "c": {"_type": "choice", "_value": [1, 2, 3]}}
_ARGS: dict[str, dict[str, Any]] = {"Hyperband": {"R": 9, "eta": 3}, "BOHB": {"max_budget": 9, "min_budget": 1},
                                    "PBT": {"population_size": 4}}
_NO_SEED = {"GridSearch", "Batch"}


def _script(job):  # type: ignore[no-untyped-def]
    x = job.parameters.get("x", 0.5)
    x = x if isinstance(x, int | float) else 0.5
    return [Metric(x / 2), Final(x), Exit(0)]


def _config(name: str, trials: int, concurrency: int) -> dict[str, Any]:
    args = dict(_ARGS.get(name, {}))
    if name not in _NO_SEED:
        args["seed"] = 3
    space = {"combo": {"_type": "choice", "_value": [{"x": 0.1}, {"x": 0.2}, {"x": 0.3}]}} if name == "Batch" else _SPACE
    return {"trialCommand": "unused", "trialConcurrency": concurrency, "maxTrialNumber": trials, "searchSpace": space,
            "tuner": {"name": name, "classArgs": args}, "trainingService": {"platform": "local"}}


def _run(config: dict[str, Any], folder: Path, *, resume: bool = False) -> str:
    manager = ExperimentManager(config, folder, "builtins", store=ExperimentStore(folder),
                                platform=FakePlatform(_script), resume=resume)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(manager.run()), daemon=True)
    thread.start()
    thread.join(120)
    if thread.is_alive():
        manager.request_stop()
        thread.join(30)
        pytest.fail(f"{config['tuner']['name']}: the experiment did not end")
    return result[0]


@pytest.mark.parametrize("name", sorted(BUILTIN_TUNERS))
def test_builtin_tuner_runs_and_resumes_exactly(name: str, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    assert _run(_config(name, 10, 1), whole) == "DONE"
    with open_reader(whole) as reader:
        expected = [t.parameters for t in reader.trials()]
        assert reader.profile().error is None
    assert len(expected) == (3 if name == "Batch" else 10)
    if name == "Batch":
        return
    part = tmp_path / "part"
    assert _run(_config(name, 6, 1), part) == "DONE"
    store = ExperimentStore(part)
    store.update_limits(maxTrialNumber=10)  # as `nnictl update trialnum` would, then resume
    store.close()
    assert _run(_config(name, 6, 1), part, resume=True) == "DONE"
    with open_reader(part) as reader:
        got = [t.parameters for t in reader.trials()]
    assert got == expected


def _curve(job):  # type: ignore[no-untyped-def]
    x = job.parameters["x"]
    return [*(Metric(x * (1 - 0.5 ** (i + 1))) for i in range(8)), Final(x), Exit(0)]


@pytest.mark.parametrize("name", sorted(BUILTIN_ASSESSORS))
def test_builtin_assessor_runs_through_the_manager(name: str, tmp_path: Path) -> None:
    config = _config("Random", 12, 2)
    config["assessor"] = {"name": name, "classArgs": {"optimize_mode": "maximize", "start_step": 2}}
    manager = ExperimentManager(config, tmp_path, "assessor", store=ExperimentStore(tmp_path),
                                platform=FakePlatform(_curve))
    assert manager.run() == "DONE"
    with open_reader(tmp_path) as reader:
        profile = reader.profile()
        assert profile.error is None and profile.stats["assessorCalls"] > 0
        assert sum(reader.status_counts().values()) == 12
        assert set(reader.status_counts()) <= {"SUCCEEDED", "EARLY_STOPPED"}
