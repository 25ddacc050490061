"""The CIFAR-10 PyTorch example through the real nnictl on a generated CIFAR-format folder (CPU, tiny), and
TensorBoard over the event files its trials wrote: ``nnictl tensorboard`` and NNI's ``/tensorboard`` routes."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import cifar10_data
import httpx
import pytest

from nni.status import TrialStatus
from nni.storage import StoreReader, open_reader
from nni.testing import Ended, Nnictl, free_port, port_free

from .conftest import CIFAR10_EXAMPLE, REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _copy_example(tmp: Path, config_name: str, edits: dict[str, str]) -> Path:
    code = tmp / "code"
    shutil.copytree(CIFAR10_EXAMPLE, code, ignore=shutil.ignore_patterns("data", "runs", "__pycache__"))
    config = (code / config_name).read_text()
    for old, new in edits.items():
        assert old in config, old
        config = config.replace(old, new)
    (code / config_name).write_text(config)
    return code / config_name


def _run(tmp: Path, config_name: str, edits: dict[str, str], data: Path) -> tuple[Nnictl, Ended]:
    config = _copy_example(tmp, config_name, edits)
    nnictl = Nnictl(tmp / "home", env={"PYTHONPATH": str(REPO), cifar10_data.DATA_DIR_ENV: str(data),
                                       "OMP_NUM_THREADS": "1"}, timeout=400)
    return nnictl, nnictl.foreground(config)


def _command(epochs: int) -> str:
    return f"{sys.executable} trial.py --epochs {epochs} --no_download"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cifar10_data.generate(tmp_path_factory.mktemp("cifar10") / "data", train=300, test=100)


@pytest.fixture(scope="module")
def v2_run(tmp_path_factory: pytest.TempPathFactory, data: Path) -> tuple[Nnictl, Ended]:
    edits = {"python3 trial.py --epochs 3": _command(2), "maxTrialNumber: 20": "maxTrialNumber: 4"}
    return _run(tmp_path_factory.mktemp("v2"), "config_cpu.yml", edits, data)


def _check_trials(folder: Path, count: int, epochs: int) -> list[Any]:
    with open_reader(folder) as reader:
        profile = reader.profile()
        assert profile is not None and profile.status == "DONE"
        trials = reader.trials()
        assert len(trials) == count
        assert {t.status for t in trials} <= {TrialStatus.SUCCEEDED, TrialStatus.EARLY_STOPPED}, \
            [(t.trial_job_id, t.status, t.reason) for t in trials]
        for trial in trials:
            history = reader.intermediate_history(trial.trial_job_id)
            assert all(0.0 <= value <= 1.0 for value in history)
            if trial.status == TrialStatus.SUCCEEDED:
                assert len(history) == epochs
                assert 0.0 <= float(trial.final_metric) <= 1.0
            else:
                assert 1 <= len(history) <= epochs  # stopped after an epoch: perhaps before its final result
            stdout = (folder / "trials" / trial.trial_job_id / "stdout").read_text()
            assert "device cpu (CPU); CUDA_VISIBLE_DEVICES=(unset)" in stdout  # no GPU asked for, none given
        return trials


def test_cifar10_v2_config_end_to_end(v2_run: tuple[Nnictl, Ended]) -> None:
    trials = _check_trials(v2_run[1].folder, 4, 2)
    space = json.loads((CIFAR10_EXAMPLE / "search_space.json").read_text())
    for trial in trials:
        assert set(trial.parameters) == set(space)
    networks = {json.dumps(t.parameters["network"], sort_keys=True) for t in trials}
    optimizers = {json.dumps(t.parameters["optimizer"], sort_keys=True) for t in trials}
    assert len(networks) > 1 and len(optimizers) > 1  # the network's shape is searched, not only its numbers
    # the trials' own curves, written with torch.utils.tensorboard where NNI's TensorBoard looks
    for trial in trials:
        assert next((v2_run[1].folder / "trials" / trial.trial_job_id / "tensorboard").glob("events.out.tfevents.*"))


def test_cifar10_v1_config_end_to_end(tmp_path: Path, data: Path) -> None:
    edits = {"python3 trial.py --epochs 10": _command(1), "maxTrialNum: 20": "maxTrialNum: 2", "gpuNum: 1": "gpuNum: 0"}
    _check_trials(_run(tmp_path, "config_v1.yml", edits, data)[1].folder, 2, 1)


def _tensorboard_json(port: int, path: str) -> Any:
    response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30, trust_env=False)
    response.raise_for_status()
    return response.json()


def test_nnictl_tensorboard_serves_the_trials_curves_and_stop_frees_the_port(v2_run: tuple[Nnictl, Ended]) -> None:
    nnictl, ended = v2_run
    with open_reader(ended.folder) as reader:
        trials = sorted(reader.trials(), key=lambda t: t.sequence_id)
    chosen = trials[:2]
    port = free_port()
    started = nnictl("tensorboard", "start", ended.experiment_id, "--trial_id", chosen[0].trial_job_id,
                     "--trial_id", chosen[1].trial_job_id, "--port", port).stdout
    try:
        assert f"http://127.0.0.1:{port}/" in started
        runs = _tensorboard_json(port, "/data/runs")  # "<name>/<folder below the logdir>", "." for the logdir
        assert {run.split("/")[0] for run in runs} == {f"{t.sequence_id}-{t.trial_job_id}" for t in chosen}
        tags = _tensorboard_json(port, "/data/plugin/scalars/tags")
        status = {f"{t.sequence_id}-{t.trial_job_id}": t.status for t in chosen}
        for run in runs:
            # an early-stopped trial was killed after an epoch: it never reached the test accuracy
            expected = {"accuracy/validation", "loss/train"}
            if status[run.split("/")[0]] == TrialStatus.SUCCEEDED:
                expected.add("accuracy/test")
            assert expected <= set(tags[run]), (status, tags)
            points = _tensorboard_json(port, f"/data/plugin/scalars/scalars?run={run}&tag=accuracy/validation")
            assert [step for _, step, _ in points] == [1, 2]
        listed = json.loads(nnictl("tensorboard", "list", ended.experiment_id, "--json").stdout)
        assert [(t["status"], t["port"], sorted(t["trialJobIdList"])) for t in listed] == \
            [("RUNNING", str(port), sorted(t.trial_job_id for t in chosen))]
    finally:
        stopped = nnictl("tensorboard", "stop", ended.experiment_id).stdout
    assert f"on port {port}" in stopped
    assert port_free(port)
    again = nnictl("tensorboard", "stop", ended.experiment_id, check=False)
    assert again.returncode == 1 and "has no TensorBoard running" in again.stderr


def test_the_tensorboard_routes_start_list_and_stop_a_task(v2_run: tuple[Nnictl, Ended]) -> None:
    from fastapi.testclient import TestClient

    from nni.rest import create_app

    folder = v2_run[1].folder
    with StoreReader(folder) as reader, TestClient(create_app(experiment_dir=folder, store_reader=reader,
                                                              control=None)) as client:
        api = "/api/v1/nni"
        unknown = client.post(f"{api}/tensorboard", json={"trials": "nosuch"})
        assert unknown.status_code == 404 and "has no trial 'nosuch'" in unknown.json()["error"]
        task = client.post(f"{api}/tensorboard", json={"trials": ""}).json()  # every trial, NNI's shape
        try:
            assert task["status"] == "RUNNING" and len(task["trialJobIdList"]) == reader.trial_count()
            assert all(d.endswith("/tensorboard") for d in task["trialLogDirectoryList"])
            assert not port_free(int(task["port"]))
            assert client.get(f"{api}/tensorboard-tasks").json() == [task]
            assert client.get(f"{api}/tensorboard/{task['id']}").json() == task
            assert client.put(f"{api}/tensorboard/{task['id']}").json()["status"] == "RUNNING"
        finally:
            stopped = client.delete(f"{api}/tensorboard/{task['id']}").json()
        assert stopped["status"] == "STOPPED" and port_free(int(task["port"]))
        assert client.get(f"{api}/tensorboard-tasks").json() == []
        missing = client.get(f"{api}/tensorboard/{task['id']}")
        assert missing.status_code == 404 and task["id"] in missing.json()["error"]
