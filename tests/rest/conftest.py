"""A real experiment store filled with a small, known history (no manager needed) and the REST app over it."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nni.errors import NNIError
from nni.launcher import experiment_app
from nni.manager.commands import KillTrial
from nni.storage import NewMetric, StoreReader
from nni.testing import T0, experiment_config, store_with_trials

EXP_ID = "abcd1234"
CONFIG = experiment_config(
    experimentName="rest-test", trialConcurrency=2, maxTrialNumber=10, maxExperimentDuration="1h",
    trainingService={"platform": "remote", "machineList": [{"host": "h", "user": "u", "password": "hunter2"}]})


def fill_store(folder: Path) -> None:
    store = store_with_trials(folder, EXP_ID, CONFIG,
                              {"trialConcurrency": 2, "maxTrialNumber": 10, "maxExperimentDuration": 3600.0},
                              [("aaaaa", {"x": 0.1}), ("bbbbb", {"x": 0.2}), ("ccccc", {"x": 0.3}), ("ddddd", {"x": 0.4})],
                              created={"parameter_source": "algorithm"})
    try:
        for tid in ("aaaaa", "bbbbb", "ccccc"):
            store.add_trial_event(tid, "RUNNING", {"handle": {"pid": 1}}, timestamp=T0 + 10)
        store.add_trial_event("ddddd", "WAITING", {"reason": "no free GPU: needs 1, 0 free"})
        store.add_metrics([
            NewMetric("aaaaa", 0, "PERIODICAL", i, 0.5 + i / 10, T0 + 11 + i, 10 * (i + 1)) for i in range(3)
        ] + [NewMetric("aaaaa", 0, "FINAL", 0, 0.9, T0 + 20, 40),
             NewMetric("ccccc", 2, "PERIODICAL", 0, {"default": 0.7, "loss": 0.3}, T0 + 21, 10)])
        store.add_trial_event("aaaaa", "EXITED", {"status": "SUCCEEDED", "exit_code": 0}, timestamp=T0 + 21)
        store.add_trial_event("bbbbb", "EXITED", {"status": "FAILED", "exit_code": 3, "reason": "exit code 3"},
                              timestamp=T0 + 22)
    finally:
        store.close()


class FakeControl:
    """Records commands and answers them like a manager would (a fake for the REST layer's logic only)."""

    def __init__(self) -> None:
        self.commands: list[Any] = []

    def send(self, command: Any) -> Future[Any]:
        self.commands.append(command)
        future: Future[Any] = Future()
        if isinstance(command, KillTrial) and command.trial_job_id == "aaaaa":
            future.set_exception(NNIError("trial aaaaa has already ended (SUCCEEDED)"))
        else:
            future.set_result("zzzzz")
        return future


@pytest.fixture(scope="session")
def filled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exp") / EXP_ID
    folder.mkdir()
    fill_store(folder)
    (folder / "secret.txt").write_text("not a trial file")
    return folder


@pytest.fixture
def reader(filled_dir: Path) -> Any:
    r = StoreReader(filled_dir)
    yield r
    r.close()


@pytest.fixture
def control() -> FakeControl:
    return FakeControl()


@pytest.fixture
def client(filled_dir: Path, reader: Any, control: FakeControl) -> TestClient:
    app = experiment_app(experiment_dir=filled_dir, store_reader=reader, control=control)
    return TestClient(app)


@pytest.fixture
def view_client(filled_dir: Path, reader: Any) -> TestClient:
    return TestClient(experiment_app(experiment_dir=filled_dir, store_reader=reader, control=None))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path / "nni-experiments"))


