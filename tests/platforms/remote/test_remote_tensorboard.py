"""TensorBoard over a remote experiment through the real nnictl and sshd: the event files a trial writes on
the machine are mirrored while it runs, survive a manager killed and resumed (the trial re-attached), and
``nnictl tensorboard start`` serves their scalars as for a local experiment."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from nni.testing import free_port, pid_alive, wait_until

from .conftest import REPO

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

# tensorboard's own writer (no torch): half the curve, flushed, then the rest once the gate file exists
TRIAL = '''\
import os, sys, time
import nni
from tensorboard.summary import Writer

nni.get_next_parameter()
writer = Writer(os.path.join(os.environ["NNI_OUTPUT_DIR"], "tensorboard"))
for step in range(4):
    if step == 2:
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.05)
    writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.flush()
    nni.report_intermediate_result(step)
writer.close()
nni.report_final_result(0.25)
'''


def _event_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _get(port: int, path: str) -> Any:
    response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30, trust_env=False)
    response.raise_for_status()
    return response.json()


def test_remote_event_files_are_mirrored_survive_a_resume_and_are_served(ssh_world, machine_a, tmp_path, nnictl):
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    gate = tmp_path / "gate"
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": f"PYTHONPATH={REPO} {sys.executable} trial.py {gate}",
        "trialCodeDirectory": str(code),
        "trialConcurrency": 1,
        "maxTrialNumber": 1,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "remote", "machineList": [
            {"host": machine_a.host, "port": machine_a.port, "user": "root",
             "sshKeyFile": str(ssh_world.root_key)}]},
    }))
    port = free_port()
    exp_id = nnictl.create(config, port)
    trial_id = wait_until(lambda: next((j["trialJobId"] for j in nnictl.rest(port, "/trial-jobs")
                                        if j["status"] == "RUNNING"), None), 60, "the trial to run")
    remote = Path("/root/nni-experiments") / exp_id / "trials" / trial_id
    local = nnictl.home / exp_id / "trials" / trial_id

    # while the trial runs: the flushed half of the curve reaches the local copy
    def half_mirrored() -> bool:
        there = _event_files(remote / "tensorboard")
        return bool(there) and all(len(data) > 0 for data in there.values()) and \
            _event_files(local / "tensorboard") == there
    wait_until(half_mirrored, 30, "the first event records to be mirrored while the trial runs")
    half = _event_files(local / "tensorboard")

    # the manager dies; the trial writes the rest of its curve and ends while nobody watches
    manager = nnictl.registry()[exp_id]["pid"]
    os.kill(manager, signal.SIGKILL)
    wait_until(lambda: not pid_alive(manager), 20, "the manager to die")
    gate.write_text("go")
    wait_until(lambda: (remote / ".nni" / "exitcode").exists(), 30, "the trial to end on the machine")
    port2 = free_port()
    nnictl("resume", exp_id, "--port", port2)
    assert nnictl.wait_status(port2, ("DONE", "ERROR"), 60) == "DONE"
    jobs = nnictl.rest(port2, "/trial-jobs")
    assert [(j["trialJobId"], j["status"]) for j in jobs] == [(trial_id, "SUCCEEDED")]
    assert not list(remote.parent.glob(f"{trial_id}.*"))  # re-attached, not run again (no first run set aside)
    mirrored = _event_files(local / "tensorboard")
    assert mirrored == _event_files(remote / "tensorboard")  # byte for byte: nothing lost, nothing doubled
    assert all(mirrored[name].startswith(data) for name, data in half.items())  # appended to what was there

    # nnictl tensorboard over the remote experiment, as over a local one
    tb_port = free_port()
    started = nnictl("tensorboard", "start", exp_id, "--port", tb_port).stdout
    try:
        assert f"http://127.0.0.1:{tb_port}/" in started
        runs = _get(tb_port, "/data/runs")
        assert {run.split("/")[0] for run in runs} == {f"0-{trial_id}"}
        points = _get(tb_port, f"/data/plugin/scalars/scalars?run={runs[0]}&tag=loss")
        assert [(step, round(value, 4)) for _, step, value in points] == [(0, 1.0), (1, 0.5), (2, 0.3333), (3, 0.25)]
    finally:
        nnictl("tensorboard", "stop", exp_id)
    # and NNI's REST route, which the web UI's trial page uses
    api = f"http://127.0.0.1:{port2}/api/v1/nni"
    with httpx.Client(trust_env=False, timeout=60) as client:
        task = client.post(f"{api}/tensorboard", json={"trials": trial_id}).json()
        try:
            assert task["status"] == "RUNNING", task
            assert task["trialLogDirectoryList"] == [str(local / "tensorboard")]
            assert [step for _, step, _ in _get(int(task["port"]), f"/data/plugin/scalars/scalars?run={runs[0]}"
                                                "&tag=loss")] == [0, 1, 2, 3]
        finally:
            assert client.delete(f"{api}/tensorboard/{task['id']}").json()["status"] == "STOPPED"
    nnictl("stop", exp_id)
