"""A real manager process (local platform, real trials) is SIGKILLed mid-experiment and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nni.errors import NNIError
from nni.storage import open_reader

_TUNER = '''
import json, os, random
from nni.tuner import Tuner

class JournalTuner(Tuner):
    def __init__(self, seed=0, log=None):
        self.rng = random.Random(seed)
        self.log = log

    def _rec(self, *item):
        with open(self.log, "a") as f:
            f.write(json.dumps([os.getpid(), *item]) + "\\n")

    def update_search_space(self, search_space):
        self._rec("space")

    def generate_parameters(self, parameter_id, **kwargs):
        x = round(self.rng.uniform(0, 1), 6)
        self._rec("gen", parameter_id, x)
        return {"x": x}

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        self._rec("recv", parameter_id, value, kwargs.get("customized"))

    def trial_end(self, parameter_id, success, **kwargs):
        self._rec("end", parameter_id, success)
'''

_TRIAL = '''
import time
import nni
p = nni.get_next_parameter()
for i in range(3):
    nni.report_intermediate_result(i)
    time.sleep(0.4)
nni.report_final_result(p["x"])
'''

_MANAGER = '''
import json, sys
from nni.manager import ExperimentManager
from nni.storage import ExperimentStore
config, folder, resume = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
manager = ExperimentManager(config, folder, "sigkill1", store=ExperimentStore(folder), resume=resume)
print(manager.run(), flush=True)
'''


def _manager(config: dict, folder: Path, resume: bool) -> subprocess.Popen[str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.Popen([sys.executable, "-c", _MANAGER, json.dumps(config), str(folder), "1" if resume else "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _calls(log: Path) -> dict[int, list[list]]:
    by_pid: dict[int, list[list]] = {}
    for line in log.read_text().splitlines():
        pid, *item = json.loads(line)
        by_pid.setdefault(pid, []).append(item)
    return by_pid


@pytest.mark.slow
def test_sigkill_mid_experiment_then_resume(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "journal_tuner.py").write_text(_TUNER)
    (code / "trial.py").write_text(_TRIAL)
    calls_log = tmp_path / "calls.jsonl"
    folder = tmp_path / "exp"
    config = {
        "trialCommand": f"{sys.executable} trial.py", "trialCodeDirectory": str(code), "trialConcurrency": 2,
        "maxTrialNumber": 7, "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "tuner": {"className": "journal_tuner.JournalTuner", "codeDirectory": str(code),
                  "classArgs": {"seed": 11, "log": str(calls_log)}},
        "trainingService": {"platform": "local"},
    }
    first = _manager(config, folder, resume=False)
    deadline = time.monotonic() + 60
    reader = None
    while time.monotonic() < deadline:
        if (folder / "db" / "nni.sqlite").exists():
            try:
                reader = reader or open_reader(folder)
            except NNIError:  # the file exists, its schema is being written
                continue
            counts = reader.status_counts()
            if counts.get("SUCCEEDED", 0) >= 2 and counts.get("RUNNING", 0) == 2:
                break
        time.sleep(0.05)
    else:
        first.kill()
        pytest.fail(f"the first manager did not get far enough: {first.communicate()[0]}")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert reader is not None
    running = reader.trials(status="RUNNING")
    assert len(running) == 2
    lost, alive = running
    os.killpg(lost.handle["pid"], signal.SIGKILL)  # this one dies with the manager: it must run again
    metrics_before = {(m.trial_job_id, m.type, m.sequence): m.value for m in reader.metrics()}

    second = _manager(config, folder, resume=True)
    out, _ = second.communicate(timeout=120)
    assert out.strip().splitlines()[-1] == "DONE", out

    trials = reader.trials()
    assert sum(1 for t in trials if t.parameter_source != "resumed") == 7
    (rerun,) = [t for t in trials if t.parameter_source == "resumed"]
    assert rerun.resumed_from == lost.trial_job_id and rerun.parameters == lost.parameters
    assert rerun.status == "SUCCEEDED" and reader.trial(lost.trial_job_id).status == "SYS_CANCELED"
    assert reader.trial(alive.trial_job_id).status == "SUCCEEDED"  # re-attached, finished under the new manager
    assert [m.sequence for m in reader.metrics(alive.trial_job_id, type="PERIODICAL")] == [0, 1, 2]
    metrics_after = {(m.trial_job_id, m.type, m.sequence): m.value for m in reader.metrics()}
    assert metrics_after.items() >= metrics_before.items()  # every stored metric intact
    assert len(reader.metrics()) == len(metrics_after)  # none twice

    calls = _calls(calls_log)
    first_calls, second_calls = calls[first.pid], calls[second.pid]
    assert second_calls[: len(first_calls)] == first_calls  # the replay rebuilt the tuner exactly
    received = [c[1] for c in second_calls if c[0] == "recv"]
    assert len(received) == len(set(received)) == 7
    assert sorted(received) == sorted(t.parameter_id for t in trials if t.status == "SUCCEEDED")
    reader.close()
