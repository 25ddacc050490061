"""Whole experiments on the remote platform through the real ``nnictl`` (v2 and v1 configs), two sshd
machines; secrets must not reach the store, the logs or the exports."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from nni.testing import Nnictl, free_port, wait_until

from .remote_helpers import make_code_dir

pytestmark = [pytest.mark.ssh, pytest.mark.slow]


def _grep_tree(root: Path, needle: bytes) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            hits.append(str(path))
    return hits


def _check_run(nnictl: Nnictl, exp_id: str, port: int, password: str, tmp: Path) -> None:
    assert nnictl.wait_status(port, ("DONE", "ERROR"), 120) == "DONE"
    jobs = nnictl.rest(port, "/trial-jobs")
    assert len(jobs) == 6 and {j["status"] for j in jobs} == {"SUCCEEDED"}, jobs
    metrics = nnictl.rest(port, "/metric-data")
    assert len([m for m in metrics if m["type"] == "PERIODICAL"]) == 18
    assert len([m for m in metrics if m["type"] == "FINAL"]) == 6
    some = jobs[0]["trialJobId"] if "trialJobId" in jobs[0] else jobs[0]["id"]
    import httpx

    stdout = httpx.get(f"http://127.0.0.1:{port}/api/v1/nni/trial-file/{some}/stdout", trust_env=False)
    assert "hello from trial" in stdout.text
    nnictl("experiment", "export", exp_id, "-f", tmp / "out.json", "-t", "json")
    assert len(json.loads((tmp / "out.json").read_text())) == 6
    nnictl("stop", exp_id)
    # secrets nowhere: experiment folder (store, logs, config copy), exports, nnictl output
    needle = password.encode()
    assert _grep_tree(nnictl.home, needle) == []
    assert needle not in (tmp / "out.json").read_bytes()
    shown = nnictl("config", "show", exp_id, check=False)
    assert password not in shown.stdout + shown.stderr


def test_v2_remote_experiment_through_nnictl(ssh_world, machine_a, machine_b, tmp_path, nnictl):
    code = make_code_dir(tmp_path)
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({
        "experimentName": "remote-e2e",
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "python3 trial.py",
        "trialCodeDirectory": str(code),
        "trialConcurrency": 4,
        "maxTrialNumber": 6,
        "tuner": {"name": "Random", "classArgs": {"seed": 1}},
        "trainingService": {"platform": "remote", "machineList": [
            {"host": machine_a.host, "port": machine_a.port, "user": "root",
             "sshKeyFile": str(ssh_world.root_key), "pythonPath": str(ssh_world.root_python)},
            {"host": machine_b.host, "port": machine_b.port, "user": ssh_world.user,
             "password": ssh_world.password, "pythonPath": str(ssh_world.user_python)},
        ]},
    }))
    port = free_port()
    exp_id = nnictl.create(config, port)
    _check_run(nnictl, exp_id, port, ssh_world.password, tmp_path)


def test_v1_remote_experiment_through_nnictl(ssh_world, machine_b, tmp_path, nnictl):
    code = make_code_dir(tmp_path)
    (tmp_path / "space.json").write_text(json.dumps({"x": {"_type": "uniform", "_value": [0, 1]}}))
    config = tmp_path / "v1.yml"
    config.write_text(
        "authorName: e2e\nexperimentName: remote-v1\ntrialConcurrency: 3\nmaxExecDuration: 5m\nmaxTrialNum: 6\n"
        "trainingServicePlatform: remote\nsearchSpacePath: space.json\nuseAnnotation: false\n"
        "tuner:\n  builtinTunerName: Random\n"
        f"trial:\n  command: {ssh_world.user_python}/python3 trial.py\n  codeDir: {code}\n  gpuNum: 0\n"
        "machineList:\n"
        f"  - ip: {machine_b.host}\n    port: {machine_b.port}\n    username: {ssh_world.user}\n"
        f"    passwd: {ssh_world.password}\n")
    port = free_port()
    exp_id = nnictl.create(config, port)
    _check_run(nnictl, exp_id, port, ssh_world.password, tmp_path)


def test_nnictl_platform_clean(ssh_world, machine_b, tmp_path, nnictl):
    done = ssh_world.user_home / "nni-experiments" / "cleancli"
    (done / "trials").mkdir(parents=True, exist_ok=True)
    (done / ".nni_agent.py").write_text("")
    subprocess.run(["chown", "-R", f"{ssh_world.user}:{ssh_world.user}", str(done.parent)], check=True)
    code = make_code_dir(tmp_path)
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "python3 trial.py", "trialCodeDirectory": str(code), "trialConcurrency": 1,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "remote", "machineList": [
            {"host": machine_b.host, "port": machine_b.port, "user": ssh_world.user,
             "password": ssh_world.password}]},
    }))
    out = nnictl("platform", "clean", "--config", config)
    assert re.search(rf"{ssh_world.user}@{machine_b.host}:{machine_b.port}: removed [1-9]\d* experiment folder",
                     out.stdout), out.stdout
    assert not done.exists()
    assert ssh_world.password not in out.stdout + out.stderr


def test_password_machine_experiment_resumes_after_stop(ssh_world, machine_b, tmp_path, nnictl):
    """The store hides the password, so resume takes it from the user's 0600 secrets file."""
    nnictl.env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    code = make_code_dir(tmp_path)
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({
        "searchSpace": {"sleep": {"_type": "uniform", "_value": [0.3, 0.5]}},
        "trialCommand": "python3 trial.py",
        "trialCodeDirectory": str(code),
        "trialConcurrency": 1,
        "maxTrialNumber": 4,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "remote", "machineList": [
            {"host": machine_b.host, "port": machine_b.port, "user": ssh_world.user,
             "password": ssh_world.password, "pythonPath": str(ssh_world.user_python)}]},
    }))
    port = free_port()
    exp_id = nnictl.create(config, port)
    secret_file = tmp_path / "xdg" / "nni" / "secrets" / f"{exp_id}.json"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert ssh_world.password in secret_file.read_text()

    def succeeded(p: int) -> set[str]:
        return {j["trialJobId"] if "trialJobId" in j else j["id"] for j in nnictl.rest(p, "/trial-jobs")
                if j["status"] == "SUCCEEDED"}

    before = wait_until(lambda: succeeded(port), 120, "a trial to succeed")
    nnictl("stop", exp_id)

    port2 = free_port()
    nnictl("resume", exp_id, "--port", port2)
    assert nnictl.wait_status(port2, ("DONE", "ERROR"), 120) == "DONE"
    jobs = nnictl.rest(port2, "/trial-jobs")
    assert not [j for j in jobs if j["status"] == "FAILED"], jobs
    assert succeeded(port2) > before  # trials ran on the password machine after the resume
    nnictl("stop", exp_id)
    assert _grep_tree(nnictl.home, ssh_world.password.encode()) == []
    nnictl("experiment", "delete", exp_id, "--yes")
    assert not secret_file.exists()
