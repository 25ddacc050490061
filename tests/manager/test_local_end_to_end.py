"""Manager + local platform + real trial processes, configs loaded by nni.config (v2 and v1)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nni.config import load_config
from nni.manager import ExperimentManager
from nni.platforms.local import FixedGpus, LocalPlatform
from nni.storage import ExperimentStore, open_reader
from nni.testing import pid_alive, wait_until

_TRIAL = '''
import os, time
import nni
p = nni.get_next_parameter()
nni.report_intermediate_result(p["x"])
time.sleep(0.3)
nni.report_final_result({"default": p["x"], "gpus": os.environ.get("CUDA_VISIBLE_DEVICES", "none")})
'''

_V2 = f'''
experimentName: e2e
searchSpace:
  x: {{_type: uniform, _value: [0, 1]}}
trialCommand: {sys.executable} trial.py
trialCodeDirectory: .
trialConcurrency: 2
trialGpuNumber: 1
maxTrialNumber: 3
tuner:
  name: Random
  classArgs: {{seed: 1}}
trainingService:
  platform: local
  useActiveGpu: false
'''

_V1 = f'''
authorName: someone
experimentName: e2e-v1
trialConcurrency: 2
maxExecDuration: 1h
maxTrialNum: 3
trainingServicePlatform: local
searchSpacePath: space.json
tuner:
  builtinTunerName: Random
trial:
  command: {sys.executable} trial.py
  codeDir: .
  gpuNum: 0
'''


@pytest.mark.slow
def test_v2_config_gpu_waiting_with_a_fixed_gpu(tmp_path: Path) -> None:
    (tmp_path / "trial.py").write_text(_TRIAL)
    (tmp_path / "config.yml").write_text(_V2)
    config = load_config(tmp_path / "config.yml")
    folder = tmp_path / "exp"
    platform = LocalPlatform(folder, "e2egpu01", gpu_inventory=FixedGpus(1))
    manager = ExperimentManager(config, folder, "e2egpu01", store=ExperimentStore(folder), platform=platform)
    assert manager.run() == "DONE"
    with open_reader(folder) as reader:
        trials = reader.trials()
        assert [t.status for t in trials] == ["SUCCEEDED"] * 3
        assert all(t.final_metric["gpus"] == "0" for t in trials)  # dict metric kept whole
        waits = [e for e in reader.trial_events() if e.event == "WAITING"]
        assert waits and all("no free GPU: needs 1, 0 free" in e.data["reason"] for e in waits)
        spans = sorted((t.start_time, t.end_time) for t in trials)
        assert all(a[1] <= b[0] + 0.05 for a, b in zip(spans, spans[1:], strict=False))  # one GPU: one at a time
        assert reader.profile().config["trialGpuNumber"] == 1
    assert not list(folder.glob("trials/*/.nni/handle.json")) or all(
        (p.parent / "exitcode").exists() for p in folder.glob("trials/*/.nni/handle.json"))


@pytest.mark.slow
def test_v1_config_runs(tmp_path: Path) -> None:
    (tmp_path / "trial.py").write_text(_TRIAL)
    (tmp_path / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 1]}}')
    (tmp_path / "config.yml").write_text(_V1)
    config = load_config(tmp_path / "config.yml")
    folder = tmp_path / "exp"
    manager = ExperimentManager(config, folder, "e2ev1abc", store=ExperimentStore(folder))
    assert manager.run() == "DONE"
    with open_reader(folder) as reader:
        assert reader.status_counts() == {"SUCCEEDED": 3}
        assert all(t.final_metric["gpus"] == "none" for t in reader.trials())
        assert len(reader.metrics(type="PERIODICAL")) == 3
    stdout = (folder / "trials").iterdir().__next__() / "stdout"
    assert stdout.exists()


_HANG = '''
import json, os, subprocess, sys, time
import nni
nni.get_next_parameter()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(os.path.join(os.environ["NNI_OUTPUT_DIR"], "pids.json"), "w") as f:
    json.dump([os.getpid(), child.pid], f)
nni.report_intermediate_result(1)
time.sleep(600)
'''


def _hang_config(tmp_path: Path, **extra: object) -> dict:
    (tmp_path / "hang.py").write_text(_HANG)
    return {"trialCommand": f"{sys.executable} hang.py", "trialCodeDirectory": str(tmp_path),
            "trialConcurrency": 2, "maxTrialNumber": 5, "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
            "tuner": {"name": "Random"}, "trainingService": {"platform": "local"}, **extra}


def _pids(folder: Path) -> list[int]:
    import json

    return [pid for f in folder.glob("trials/*/pids.json") for pid in json.loads(f.read_text())]


@pytest.mark.slow
def test_stop_and_duration_limits_leave_no_process(tmp_path: Path) -> None:
    import threading

    folder = tmp_path / "stop"
    platform = LocalPlatform(folder, "stoptest", kill_grace=1.0)
    manager = ExperimentManager(_hang_config(tmp_path), folder, "stoptest", store=ExperimentStore(folder),
                                platform=platform)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(manager.run()))
    thread.start()
    wait_until(lambda: len(_pids(folder)) >= 4, 30, "two trials and their children to record their pids")
    manager.request_stop()
    thread.join(30)
    assert result == ["STOPPED"]
    pids = _pids(folder)
    assert len(pids) == 4 and not any(pid_alive(p) for p in pids)
    with open_reader(folder) as reader:
        assert reader.status_counts() == {"USER_CANCELED": 2}

    folder = tmp_path / "duration"
    config = _hang_config(tmp_path, maxExperimentDuration="2s", maxTrialNumber=10)
    manager = ExperimentManager(config, folder, "durtest1", store=ExperimentStore(folder),
                                platform=LocalPlatform(folder, "durtest1", kill_grace=1.0))
    assert manager.run() == "DONE"
    assert not any(pid_alive(p) for p in _pids(folder))
    with open_reader(folder) as reader:
        assert reader.status_counts() == {"SYS_CANCELED": 2}
        assert reader.profile().stats["elapsed"] >= 2.0
