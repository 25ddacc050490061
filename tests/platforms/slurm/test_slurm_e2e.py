"""Real experiments on the real one-node Slurm through ``nnictl``: trials as jobs, the queue capped by
trialConcurrency, and resume after the manager was killed with SIGKILL (running jobs re-attached)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from nni.testing import Nnictl, Workspace, free_port, wait_until

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
_NOT_UP = (httpx.HTTPError, KeyError, ValueError)  # the resumed manager's REST server is not up yet

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


class _World(Workspace):
    def __init__(self, tmp: Path, cluster: Any) -> None:
        super().__init__(tmp, TRIAL, {
            "experimentName": "slurm-e2e",
            "tuner": {"name": "Random", "classArgs": {"seed": 3}},
            "trainingService": {"platform": "slurm", "partition": "debug", "timeLimit": "10m", "pollInterval": "1s"},
        }, env=cluster.env, timeout=180)
        self.port = free_port()

    nnictl = Nnictl.run

    def get(self, path: str) -> Any:
        """GET ``/api/v1/nni<path>`` of this world's experiment."""
        return self.rest(self.port, path)


def test_foreground_experiment_keeps_the_queue_at_trial_concurrency(slurm_cluster, tmp_path):
    world = _World(tmp_path, slurm_cluster)
    exp_id = world.foreground(world.config(maxTrialNumber=3), port=world.port, env={"E2E_SLEEP": "2"}).experiment_id
    started, ended = world.records("started.jsonl"), world.records("ended.jsonl")
    assert len(started) == 3 and len({r["job"] for r in started}) == 3  # three different Slurm jobs
    # trialConcurrency 1 on a two-CPU node: Slurm could run two at once, but NNI never queued a second job.
    spans = sorted((s["start"], next(e["end"] for e in ended if e["trial"] == s["trial"])) for s in started)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end
    world.nnictl("experiment", "export", exp_id, "--type", "json", "--filename", tmp_path / "out.json")
    exported = json.loads((tmp_path / "out.json").read_text())
    assert len(exported) == 3


def test_resume_after_manager_sigkill_reattaches_running_jobs(slurm_cluster, tmp_path):
    world = _World(tmp_path, slurm_cluster)
    env = {"E2E_SLEEP": "8"}
    exp_id = world.create(world.config(trialConcurrency=2, maxTrialNumber=3), world.port, env=env)
    wait_until(lambda: len(world.records("started.jsonl")) >= 2, timeout=120, what="two jobs running")
    os.kill(world.registry()[exp_id]["pid"], signal.SIGKILL)
    running_jobs = {r["trial"]: r["job"] for r in world.records("started.jsonl")}

    world.nnictl("resume", exp_id, "--port", world.port, env=env)
    try:  # the resumed manager is stopped whatever happens, so no process outlives the test
        wait_until(lambda: world.get("/check-status")["status"] in ("DONE", "NO_MORE_TRIAL")
                       and len(world.records("ended.jsonl")) == 3, timeout=180, what="experiment done",
                   errors=_NOT_UP)
        wait_until(lambda: world.get("/check-status")["status"] == "DONE", timeout=120, what="DONE", errors=_NOT_UP)
        trials = world.get("/trial-jobs")
        assert len(trials) == 3 and all(t["status"] == "SUCCEEDED" for t in trials)
        # The jobs that were running when the manager died were followed, not submitted again.
        started = world.records("started.jsonl")
        assert len(started) == 3
        for trial_id, job in running_jobs.items():
            assert [r["job"] for r in started if r["trial"] == trial_id] == [job]
        for trial in trials:
            finals = [m for m in world.get(f"/metric-data/{trial['trialJobId'] if 'trialJobId' in trial else trial['id']}")
                      if m["type"] == "FINAL"]
            assert len(finals) == 1  # no metric counted twice
    finally:
        world.nnictl("stop", exp_id)
