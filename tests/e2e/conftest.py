"""End-to-end fixtures: real experiments through the real ``nnictl`` (``python -m nni.cli``), each in a temp
experiments home with its own free port. Trials are real processes running ``trial.py`` below."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from nni.testing import pid_alive as alive

# A trial whose behaviour its parameters choose: sleep, fail, report intermediate results. It records its
# pid and CUDA_VISIBLE_DEVICES in the shared folder $E2E_SHARED so tests can check processes and GPUs.
TRIAL = r'''
import json, os, sys, time
import nni

params = nni.get_next_parameter()
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class E2E:
    """One test's world: experiments home, shared trial folder, nnictl runner, helpers."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.home = tmp / "nni-experiments"
        self.shared = tmp / "shared"
        self.shared.mkdir()
        self.code = tmp / "code"
        self.code.mkdir()
        (self.code / "trial.py").write_text(TRIAL)
        self.env = {**os.environ, "NNI_EXPERIMENTS_HOME": str(self.home), "E2E_SHARED": str(self.shared),
                    "PYTHONUNBUFFERED": "1"}
        self.started_ids: list[str] = []

    def config(self, name: str = "config.yml", **fields: Any) -> Path:
        base: dict[str, Any] = {
            "experimentName": "e2e",
            "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
            "trialCommand": f"{sys.executable} trial.py",
            "trialCodeDirectory": str(self.code),
            "trialConcurrency": 2,
            "maxTrialNumber": 4,
            "tuner": {"name": "Random", "classArgs": {"seed": 1}},
            "trainingService": {"platform": "local"},
        }
        base.update(fields)
        path = self.tmp / name
        path.write_text(yaml.safe_dump({k: v for k, v in base.items() if v is not None}))
        return path

    def nnictl(self, *args: Any, check: bool = True, timeout: float = 120,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "nni.cli", *map(str, args)], env={**self.env, **(env or {})},
                                text=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"nnictl {' '.join(map(str, args))} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def create(self, config: Path, port: int, env: dict[str, str] | None = None) -> str:
        out = self.nnictl("create", "--config", config, "--port", port, env=env).stdout
        exp_id = out.split("The experiment id is ")[1].split()[0]
        self.started_ids.append(exp_id)
        return exp_id

    def registry(self) -> dict[str, Any]:
        path = self.home / ".experiment"
        return json.loads(path.read_text()) if path.exists() else {}

    def rest(self, port: int, path: str) -> Any:
        import httpx

        return httpx.get(f"http://127.0.0.1:{port}/api/v1/nni{path}", timeout=10, trust_env=False).json()

    def wait_status(self, port: int, statuses: tuple[str, ...], timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            try:
                status = self.rest(port, "/check-status")["status"]
            except Exception:  # noqa: BLE001 - not up yet
                status = None
            if status in statuses:
                return status
            time.sleep(0.2)
        raise AssertionError(f"experiment on port {port} did not reach {statuses} in {timeout}s (last: {status})")

    def wait_for(self, predicate: Any, timeout: float = 60, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def trial_records(self, name: str = "started.jsonl") -> list[dict[str, Any]]:
        path = self.shared / name
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def cleanup(self) -> None:
        # every experiment this test's home knows (also one whose create failed after starting it)
        for exp_id, entry in self.registry().items():
            pid = entry.get("pid")
            if pid and alive(pid):
                self.nnictl("stop", exp_id, check=False)
        for record in self.trial_records():
            if alive(record["pid"]):
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


@pytest.fixture
def helpers() -> Any:
    class _H:
        free_port = staticmethod(free_port)
        port_free = staticmethod(port_free)
        alive = staticmethod(alive)

    return _H
