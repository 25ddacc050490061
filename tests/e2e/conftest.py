"""End-to-end fixtures: real experiments through the real ``nnictl`` (``python -m nni.cli``), each in a temp
experiments home with its own free port. Trials are real processes running ``trial.py`` below."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from nni.testing import Nnictl, Workspace, free_port, pid_alive

# A trial whose behaviour its parameters choose: sleep, fail, report intermediate results. It records its
# pid and CUDA_VISIBLE_DEVICES in the shared folder $E2E_SHARED so tests can check processes and GPUs.
TRIAL = r'''
import json, os, sys, time
import nni

params = nni.get_next_parameter()
print(f"trial {nni.get_trial_id()} params {params}", flush=True)
shared = os.environ["E2E_SHARED"]
record = {"trial": nni.get_trial_id(), "pid": os.getpid(), "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
          "start": time.time(), "params": params}
with open(os.path.join(shared, "started.jsonl"), "a") as f:
    f.write(json.dumps(record) + "\n")
x = params.get("x", 0.5)
for step in range(int(params.get("steps", 2))):
    nni.report_intermediate_result(x * (step + 1))
time.sleep(float(params.get("sleep", os.environ.get("E2E_SLEEP", "0"))))
if params.get("fail") or nni.get_sequence_id() == int(os.environ.get("E2E_FAIL_SEQ", "-1")):
    print("failing on purpose", file=sys.stderr)
    sys.exit(3)
nni.report_final_result({"default": x, "other": x * 2})
with open(os.path.join(shared, "ended.jsonl"), "a") as f:
    f.write(json.dumps({"trial": nni.get_trial_id(), "end": time.time()}) + "\n")
'''


class E2E(Workspace):
    """One test's world: experiments home, shared trial folder, the nnictl runner (``e2e.nnictl(...)``)."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp, TRIAL, {"experimentName": "e2e", "trialConcurrency": 2, "maxTrialNumber": 4,
                                      "tuner": {"name": "Random", "classArgs": {"seed": 1}}})

    nnictl = Nnictl.run

    def cleanup(self) -> None:
        self.stop_all()
        for record in self.records():
            if pid_alive(record["pid"]):
                try:
                    os.killpg(record["pid"], 9)
                except OSError:
                    pass


@pytest.fixture
def e2e(tmp_path: Path) -> Any:
    world = E2E(tmp_path)
    yield world
    world.cleanup()


@pytest.fixture
def port() -> int:
    return free_port()
