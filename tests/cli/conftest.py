"""nnictl tests: a temp home for experiments, free ports, a real store with a known history, and a runner
that calls the real ``nnictl`` (``python -m nni.cli``) in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nni.storage import ExperimentStore, NewMetric

EXP_ID = "view1234"
T0 = 1_700_000_000.0
CONFIG = {
    "experimentName": "cli-test",
    "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
    "trialCommand": "python3 trial.py",
    "trialCodeDirectory": ".",
    "trialConcurrency": 1,
    "maxTrialNumber": 3,
    "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}},
    "trainingService": {"platform": "local"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill_store(folder: Path, *, status: str = "DONE", error: str | None = None, traceback: str | None = None) -> None:
    store = ExperimentStore(folder)
    try:
        store.init_profile(EXP_ID, "cli-test", CONFIG, CONFIG["searchSpace"],
                           {"trialConcurrency": 1, "maxTrialNumber": 3}, status="RUNNING", start_time=T0)
        for seq, tid in enumerate(("aaaaa", "bbbbb", "ccccc")):
            store.add_trial_event(tid, "CREATED", {"sequence_id": seq, "parameter_id": seq,
                                                   "parameters": {"x": seq / 10}}, timestamp=T0 + seq)
            (folder / "trials" / tid).mkdir(parents=True)
            (folder / "trials" / tid / "stdout").write_text(f"hello from {tid}\n")
        store.add_trial_event("aaaaa", "RUNNING", {"handle": {}}, timestamp=T0 + 1)
        store.add_metrics([NewMetric("aaaaa", 0, "PERIODICAL", 0, 0.5, T0 + 2, 10),
                           NewMetric("aaaaa", 0, "FINAL", 0, {"default": 0.75, "loss": 1.5}, T0 + 3, 20)])
        store.add_trial_event("aaaaa", "EXITED", {"status": "SUCCEEDED", "exit_code": 0}, timestamp=T0 + 4)
        store.add_trial_event("bbbbb", "WAITING", {"reason": "no free GPU: needs 1, 0 free"})
        store.set_status(status, error=error, traceback=traceback, end_time=T0 + 60)
    finally:
        store.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "nni-experiments"
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(root))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    return root


class Nnictl:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "NNI_EXPERIMENTS_HOME": str(home)}

    def __call__(self, *args: Any, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "nni.cli", *map(str, args)], env=self.env, text=True,
                                capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"nnictl {' '.join(map(str, args))} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def nnictl(home: Path) -> Nnictl:
    return Nnictl(home)


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A finished experiment's folder that no registry knows (as if copied from another machine)."""
    folder = tmp_path / "copied" / EXP_ID
    folder.mkdir(parents=True)
    fill_store(folder)
    return folder


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def make_store() -> Any:
    return fill_store
