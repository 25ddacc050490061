"""nnictl tests: a temp home for experiments, free ports, a real store with a known history, and a runner
that calls the real ``nnictl`` (``python -m nni.cli``) in a subprocess (``nni.testing.Nnictl``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nni.storage import NewMetric
from nni.testing import T0, Nnictl, experiment_config, free_port, store_with_trials

EXP_ID = "view1234"
CONFIG = experiment_config(experimentName="cli-test", tuner={"name": "Random", "classArgs": {"optimize_mode": "maximize"}})


def fill_store(folder: Path, *, status: str = "DONE", error: str | None = None, traceback: str | None = None) -> None:
    store = store_with_trials(folder, EXP_ID, CONFIG, {"trialConcurrency": 1, "maxTrialNumber": 3},
                              [(tid, {"x": seq / 10}) for seq, tid in enumerate(("aaaaa", "bbbbb", "ccccc"))],
                              stdout="hello from {trial}\n")
    try:
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


@pytest.fixture
def nnictl(home: Path) -> Nnictl:
    return Nnictl(home, timeout=60)


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
