"""Real experiments on the real one-node Slurm through ``nnictl``: trials as jobs, the queue capped by
trialConcurrency, and resume after the manager was killed with SIGKILL (running jobs re-attached)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

TRIAL = r'''
import json, os, time
import nni
params = nni.get_next_parameter()
with open(os.path.join(os.environ["E2E_SHARED"], "started.jsonl"), "a") as f:
    f.write(json.dumps({"trial": nni.get_trial_id(), "job": os.environ.get("SLURM_JOB_ID"),
                        "start": time.time()}) + "\n")
for step in range(2):
    nni.report_intermediate_result(params["x"] * step)
time.sleep(float(os.environ.get("E2E_SLEEP", "1")))
nni.report_final_result(params["x"])
with open(os.path.join(os.environ["E2E_SHARED"], "ended.jsonl"), "a") as f:
    f.write(json.dumps({"trial": nni.get_trial_id(), "end": time.time()}) + "\n")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _World:
    def __init__(self, tmp: Path, cluster: Any) -> None:
        self.tmp = tmp
        self.shared = tmp / "shared"
        self.shared.mkdir()
        self.code = tmp / "code"
        self.code.mkdir()
        (self.code / "trial.py").write_text(TRIAL)
        self.home = tmp / "nni-experiments"
        self.env = {**os.environ, **cluster.env, "NNI_EXPERIMENTS_HOME": str(self.home),
                    "E2E_SHARED": str(self.shared)}
        self.port = _free_port()

    def config(self, **fields: Any) -> Path:
        data = {
            "experimentName": "slurm-e2e",
            "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
            "trialCommand": f"{sys.executable} trial.py",
            "trialCodeDirectory": str(self.code),
            "trialConcurrency": 1,
            "maxTrialNumber": 3,
            "tuner": {"name": "Random", "classArgs": {"seed": 3}},
            "trainingService": {"platform": "slurm", "partition": "debug", "timeLimit": "10m",
                                "pollInterval": "1s"},
        }
        data.update(fields)
        path = self.tmp / "config.yml"
        path.write_text(yaml.safe_dump(data))
        return path

    def nnictl(self, *args: Any, timeout: float = 180, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "nni.cli", *map(str, args)], env={**self.env, **(env or {})},
                                text=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, f"nnictl {args} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def rest(self, path: str) -> Any:
        return httpx.get(f"http://127.0.0.1:{self.port}/api/v1/nni{path}", timeout=10, trust_env=False).json()

    def records(self, name: str) -> list[dict[str, Any]]:
        path = self.shared / name
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def wait_for(self, predicate: Any, timeout: float = 120, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        delay = 0.1
        while time.monotonic() < deadline:
            try:
                value = predicate()
            except (httpx.HTTPError, KeyError, ValueError):
                value = None
            if value:
                return value
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_foreground_experiment_keeps_the_queue_at_trial_concurrency(slurm_cluster, tmp_path):
    world = _World(tmp_path, slurm_cluster)
    out = world.nnictl("create", "--config", world.config(maxTrialNumber=3), "--port", world.port,
                       "--foreground", env={"E2E_SLEEP": "2"}).stdout
    assert "DONE" in out
    started, ended = world.records("started.jsonl"), world.records("ended.jsonl")
    assert len(started) == 3 and len({r["job"] for r in started}) == 3  # three different Slurm jobs
    # trialConcurrency 1 on a two-CPU node: Slurm could run two at once, but NNI never queued a second job.
    spans = sorted((s["start"], next(e["end"] for e in ended if e["trial"] == s["trial"])) for s in started)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end
    exp_id = out.split("Experiment ")[1].split()[0]
    world.nnictl("experiment", "export", exp_id, "--type", "json", "--filename", tmp_path / "out.json")
    exported = json.loads((tmp_path / "out.json").read_text())
    assert len(exported) == 3


def test_resume_after_manager_sigkill_reattaches_running_jobs(slurm_cluster, tmp_path):
    world = _World(tmp_path, slurm_cluster)
    env = {"E2E_SLEEP": "8"}
    out = world.nnictl("create", "--config", world.config(trialConcurrency=2, maxTrialNumber=3), "--port",
                       world.port, env=env).stdout
    exp_id = out.split("The experiment id is ")[1].split()[0]
    world.wait_for(lambda: len(world.records("started.jsonl")) >= 2, what="two jobs running")
    registry = json.loads((world.home / ".experiment").read_text())
    os.kill(registry[exp_id]["pid"], signal.SIGKILL)
    running_jobs = {r["trial"]: r["job"] for r in world.records("started.jsonl")}

    world.nnictl("resume", exp_id, "--port", world.port, env=env)
    try:  # the resumed manager is stopped whatever happens, so no process outlives the test
        world.wait_for(lambda: world.rest("/check-status")["status"] in ("DONE", "NO_MORE_TRIAL")
                       and len(world.records("ended.jsonl")) == 3, timeout=180, what="experiment done")
        world.wait_for(lambda: world.rest("/check-status")["status"] == "DONE", what="DONE")
        trials = world.rest("/trial-jobs")
        assert len(trials) == 3 and all(t["status"] == "SUCCEEDED" for t in trials)
        # The jobs that were running when the manager died were followed, not submitted again.
        started = world.records("started.jsonl")
        assert len(started) == 3
        for trial_id, job in running_jobs.items():
            assert [r["job"] for r in started if r["trial"] == trial_id] == [job]
        for trial in trials:
            finals = [m for m in world.rest(f"/metric-data/{trial['trialJobId'] if 'trialJobId' in trial else trial['id']}")
                      if m["type"] == "FINAL"]
            assert len(finals) == 1  # no metric counted twice
    finally:
        world.nnictl("stop", exp_id)
