"""NNI 3.0's own clients against a real experiment of this project.

``nni3``: Microsoft's ``nni==3.0`` in its cached virtual environment (``nni.testing.nni3_venv``), run as a user
whose home holds this project's experiments (``~/nni-experiments/.experiment`` is the registry both read).
``experiment``: one real experiment (``nnictl create``) whose trials 0-2 finish at once and trial 3 runs until
it is killed; its manager keeps serving after DONE.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nni.testing import LiveExperiment, Nni3, nni3_venv, pid_alive, wait_until

ROOT = Path(__file__).resolve().parents[3]

TRIAL = r'''
import time
import nni

p = nni.get_next_parameter()
x = float(p["x"])
for step in range(3):
    nni.report_intermediate_result({"default": round(x * (step + 1) / 3, 6), "loss": round(1 - x, 6)})
if nni.get_sequence_id() == 3:
    time.sleep(600)  # killed by the test
nni.report_final_result({"default": x, "loss": round(1 - x, 6)})
'''


@pytest.fixture(scope="session")
def nni3_env() -> Path:
    try:
        return nni3_venv()
    except Exception as exc:  # noqa: BLE001 - one clear line for the suite
        pytest.fail(f"could not build NNI 3.0's virtual environment: {exc}")


class Compat(LiveExperiment):
    """This project's experiment (``nnictl`` here) and NNI 3.0 (``nni3``) over the same home."""

    def __init__(self, tmp: Path, venv: Path) -> None:
        super().__init__(tmp, TRIAL, {
            "experimentName": "nni3 compat",
            "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
            "trialConcurrency": 2,
            "maxTrialNumber": 4,
            "maxExperimentDuration": "1h",
            "tuner": {"name": "Random", "classArgs": {"seed": 5}},
        }, env={"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})
        self.nni3 = Nni3(venv=venv, home=tmp)

    def profile(self) -> Any:
        with self.reader() as r:
            return r.profile()

    def status(self) -> str:
        return self.rest(self.port, "/check-status")["status"]

    def pid(self) -> int:
        return int(self.registry()[self.id]["pid"])

    def kill_9(self) -> None:
        pid = self.pid()
        os.killpg(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), 20, f"the manager process {pid} to die")


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory, nni3_env: Path) -> Iterator[Compat]:
    exp = Compat(tmp_path_factory.mktemp("nni3"), nni3_env)
    exp.start()
    try:
        wait_until(lambda: sum(t.status == "SUCCEEDED" for t in exp.trials()) == 3
                   and any(t.status == "RUNNING" for t in exp.trials()), 90, "3 finished trials and 1 running")
        yield exp
    finally:
        exp.stop_all()
