"""Assessors in real experiments through nnictl: trials judged Bad end EARLY_STOPPED, metrics kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from nni.storage import open_reader
from nni.testing import Nnictl

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "annotation_sklearn"
CUSTOM = Path(__file__).parent / "custom"


def _create(tmp_path: Path, config: dict[str, Any], code: Path) -> Path:
    config_file = tmp_path / "config.yml"
    config_file.write_text(yaml.safe_dump(config))
    nnictl = Nnictl(tmp_path / "home", env={"PYTHONPATH": str(REPO)}, timeout=500)
    return nnictl.foreground(config_file, cwd=code).folder


def _check_early_stopped(folder: Path, epochs: int) -> list[str]:
    with open_reader(folder) as reader:
        profile = reader.profile()
        assert profile is not None and profile.status == "DONE", profile
        trials = reader.trials()
        stopped = [t for t in trials if t.status == "EARLY_STOPPED"]
        assert stopped, [(t.trial_job_id, t.status) for t in trials]
        judged_at = []
        for trial in stopped:
            history = reader.intermediate_history(trial.trial_job_id)
            kill = [e for e in reader.trial_events(trial.trial_job_id) if e.event == "KILL"]
            assert len(kill) == 1 and kill[0].data["status"] == "EARLY_STOPPED", kill
            # The results stored when the kill was decided; a fast trial may write the rest before the
            # signal lands (on a loaded machine the manager can even read all of them in one batch).
            seen = [m for m in reader.metrics(trial.trial_job_id, type="PERIODICAL") if m.revision < kill[0].revision]
            judged_at.append(len(seen))
            assert 1 <= len(seen) <= len(history) <= epochs  # every result kept
            # A final result means the trial got to its end before the signal landed.
            assert trial.final_metric is None or len(history) == epochs
            assert (folder / "trials" / trial.trial_job_id / "stdout").read_text().startswith("epoch 1")
        assert min(judged_at) < epochs, judged_at  # stopped before the end
        assert any(t.status == "SUCCEEDED" for t in trials)
        return [t.trial_job_id for t in stopped]


def _example_config(
    code: Path, name: str, trials: int, assessor: dict[str, Any] | None = None
) -> dict[str, Any]:
    config = yaml.safe_load((EXAMPLE / name).read_text())
    config.update(maxTrialNumber=trials, trialCodeDirectory=str(code))
    if assessor is not None:
        config["assessor"] = assessor
    return config


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_medianstop_early_stops_real_learning_curves(tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(EXAMPLE, code)
    assessor = {"name": "Medianstop", "classArgs": {"optimize_mode": "maximize", "start_step": 3}}
    config = _example_config(code, "config.yml", 6, assessor)
    _check_early_stopped(_create(tmp_path, config, code), 20)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_curvefitting_early_stops_real_learning_curves(tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(EXAMPLE, code)
    config = _example_config(code, "config_curvefitting.yml", 6)
    _check_early_stopped(_create(tmp_path, config, code), 20)


def _custom_config(v1: bool) -> dict[str, Any]:
    space = {"x": {"_type": "choice", "_value": [0.9, 0.2, 0.8, 0.1]}}
    if v1:
        return {
            "authorName": "t",
            "experimentName": "custom-assessor-v1",
            "trialConcurrency": 2,
            "maxTrialNum": 4,
            "trainingServicePlatform": "local",
            "searchSpacePath": "space.json",
            "tuner": {"builtinTunerName": "GridSearch"},
            "assessor": {
                "codeDir": str(CUSTOM),
                "classFileName": "my_assessor.py",
                "className": "LowStartAssessor",
                "classArgs": {"floor": 0.3, "step": 3},
            },
            "trial": {"command": "python3 trial.py", "codeDir": str(CUSTOM), "gpuNum": 0},
        }
    return {
        "experimentName": "custom-assessor",
        "searchSpace": space,
        "trialCommand": "python3 trial.py",
        "trialCodeDirectory": str(CUSTOM),
        "trialConcurrency": 2,
        "maxTrialNumber": 4,
        "tuner": {"name": "GridSearch"},
        "assessor": {
            "className": "my_assessor.LowStartAssessor",
            "codeDirectory": str(CUSTOM),
            "classArgs": {"floor": 0.3, "step": 3},
        },
        "trainingService": {"platform": "local"},
    }


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("v1", [False, True], ids=["v2-className", "v1-codeDir-classFileName"])
def test_custom_assessor_subclass_stops_trials(tmp_path: Path, v1: bool) -> None:
    (tmp_path / "space.json").write_text(
        json.dumps({"x": {"_type": "choice", "_value": [0.9, 0.2, 0.8, 0.1]}})
    )
    folder = _create(tmp_path, _custom_config(v1), tmp_path)
    stopped = _check_early_stopped(folder, 8)
    with open_reader(folder) as reader:
        by_x = {}
        for trial in reader.trials():
            params = trial.parameters.get("parameters", trial.parameters)
            by_x[params["x"]] = trial
        # first results 0.45, 0.1, 0.4, 0.05: the two below the floor 0.3 stop at step 3
        assert {by_x[0.2].trial_job_id, by_x[0.1].trial_job_id} == set(stopped)
        assert len(reader.intermediate_history(by_x[0.2].trial_job_id)) >= 3
        assert by_x[0.9].status == by_x[0.8].status == "SUCCEEDED"
