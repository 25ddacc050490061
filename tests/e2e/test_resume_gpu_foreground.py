"""Resume after kill -9 of the manager, GPU waiting with a fixed GPU set, the foreground mode (and its
Ctrl-C), and the Python API, all with real trial processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from nni._os import os_seam
from nni.testing import free_port, pid_alive, port_free, wait_until

pytestmark = pytest.mark.slow


def test_resume_after_kill_9_keeps_every_metric_and_counts_no_trial_twice(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=6)
    exp_id = e2e.create(config, port, env={"E2E_SLEEP": "1.5"})
    wait_until(lambda: len(e2e.records("ended.jsonl")) >= 2, what="two finished trials")
    before = e2e.rest(port, "/metric-data")
    manager_pid = e2e.registry()[exp_id]["pid"]
    os.kill(manager_pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(manager_pid), timeout=10, what="manager gone")
    port2 = free_port()
    e2e.nnictl("resume", exp_id, "--port", port2, env={"E2E_SLEEP": "1.5"})
    assert e2e.wait_status(port2, ("DONE",), timeout=120) == "DONE"
    after = e2e.rest(port2, "/metric-data")
    key = lambda m: (m["trialJobId"], m["type"], m["sequence"])  # noqa: E731
    assert len({key(m) for m in after}) == len(after), "a metric was stored twice"
    after_by_key = {key(m): m["data"] for m in after}
    assert all(after_by_key.get(key(m)) == m["data"] for m in before), "a metric stored before the kill was lost"
    jobs = e2e.rest(port2, "/trial-jobs")
    counted = [j for j in jobs if not j.get("replacedBy")]
    assert len(counted) == 6 and all(j["status"] == "SUCCEEDED" for j in counted), jobs
    assert len([m for m in after if m["type"] == "FINAL" and m["trialJobId"] in {j["id"] for j in counted}]) == 6
    assert len({j["sequenceId"] for j in jobs}) == len(jobs)
    # the managers followed the trials through the OS seam this run forces (NNI_OS_SEAM=portable: psutil)
    handles = [json.loads(p.read_text()) for p in (e2e.home / exp_id / "trials").glob("*/.nni/handle.json")]
    assert len(handles) == len(jobs)
    assert all(str(h["start_ticks"]).startswith("psutil:") == (os_seam().name == "portable") for h in handles)
    e2e.nnictl("stop", exp_id)
    assert not any(pid_alive(r["pid"]) for r in e2e.records())


def test_gpu_waiting_with_a_fixed_gpu_set(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=2, trialGpuNumber=1,
                        trainingService={"platform": "local", "useActiveGpu": True})
    exp_id = e2e.create(config, port, env={"NNI_FAKE_GPUS": "1", "E2E_SLEEP": "4"})

    def waiting() -> list:
        jobs = e2e.rest(port, "/trial-jobs")
        return [j for j in jobs if j["status"] == "WAITING" and "GPU" in (j["message"] or "")] and \
            [j for j in jobs if j["status"] == "RUNNING"] and jobs

    jobs = wait_until(waiting, timeout=60, what="one trial running and one waiting for a GPU")
    reason = next(j["message"] for j in jobs if j["status"] == "WAITING")
    table = e2e.nnictl("trial", "ls", exp_id).stdout
    assert reason in table.replace("\n", "") or "GPU" in table
    assert e2e.wait_status(port, ("DONE",), timeout=90) == "DONE"
    records = e2e.records()
    assert [r["cuda"] for r in records] == ["0", "0"]
    ended = {r["trial"]: r["end"] for r in e2e.records("ended.jsonl")}
    first, second = sorted(records, key=lambda r: r["start"])
    assert second["start"] >= ended[first["trial"]] - 0.05, "the second trial started before the GPU was free"
    e2e.nnictl("stop", exp_id)


def test_foreground_runs_to_done_and_exits(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=3)
    result = e2e.nnictl("create", "--config", config, "--port", port, "--foreground", timeout=120)
    assert f"http://127.0.0.1:{port}" in result.stdout
    assert "ended: DONE" in result.stdout and "nnictl view" in result.stdout
    assert port_free(port)
    (entry,) = e2e.registry().values()
    assert entry["status"] == "DONE" and not entry.get("pid")


def test_foreground_ctrl_c_stops_cleanly(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=5)
    proc = subprocess.Popen([sys.executable, "-m", "nni.cli", "create", "--config", str(config), "--port", str(port),
                             "--foreground"], env={**e2e.env, "E2E_SLEEP": "60"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        running = wait_until(lambda: len(e2e.records()) == 2 and e2e.records(), what="two trials")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "ended: STOPPED" in out
    assert not any(pid_alive(r["pid"]) for r in running)
    assert port_free(port)
    (entry,) = e2e.registry().values()
    assert entry["status"] == "STOPPED"


def test_python_api(e2e, port, monkeypatch) -> None:
    from nni.experiment import Experiment

    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(e2e.home))
    monkeypatch.setenv("E2E_SHARED", str(e2e.shared))
    monkeypatch.chdir(e2e.code)
    experiment = Experiment("local")
    experiment.config.experiment_name = "api"
    experiment.config.trial_command = f"{sys.executable} trial.py"
    experiment.config.trial_code_directory = "."
    experiment.config.search_space = {"x": {"_type": "uniform", "_value": [0, 1]}}
    experiment.config.tuner.name = "Random"
    experiment.config.tuner.class_args["seed"] = 5
    experiment.config.max_trial_number = 3
    experiment.config.trial_concurrency = 2
    try:
        assert experiment.run(port) is True
        assert experiment.get_status() == "DONE"
        jobs = experiment.list_trial_jobs()
        assert len(jobs) == 3 and {j.status for j in jobs} == {"SUCCEEDED"}
        assert all(j.hyperParameters[0].parameters["x"] == j.finalMetricData[0].data["default"] for j in jobs)
        metrics = experiment.get_job_metrics()
        assert set(metrics) == {j.trialJobId for j in jobs}
        results = experiment.export_data()
        assert sorted(r.trialJobId for r in results) == sorted(j.trialJobId for j in jobs)
        connected = Experiment.connect(port)
        assert connected.id == experiment.id and len(connected.list_trial_jobs()) == 3
    finally:
        experiment.stop()
    listed = json.loads(e2e.nnictl("experiment", "list", "--all", "--json").stdout)
    assert [e["status"] for e in listed] == ["DONE"]
    viewer = Experiment.view(experiment.id, port=port, non_blocking=True)
    try:
        assert viewer.get_status() == "VIEWED" and len(viewer.list_trial_jobs()) == 3
    finally:
        viewer.stop()


def test_python_api_resume_of_a_stopped_experiment(e2e, port, monkeypatch) -> None:
    from nni.experiment import Experiment

    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(e2e.home))
    monkeypatch.setenv("E2E_SHARED", str(e2e.shared))
    exp_id = e2e.create(e2e.config(trialConcurrency=1, maxTrialNumber=4), port, env={"E2E_SLEEP": "1.5"})
    wait_until(lambda: len(e2e.records("ended.jsonl")) >= 1, what="a finished trial")
    e2e.nnictl("stop", exp_id)
    assert e2e.registry()[exp_id]["status"] == "STOPPED"
    monkeypatch.setenv("E2E_SLEEP", "0.2")
    resumed = Experiment.resume(exp_id, port=port, wait_completion=False)
    try:
        assert e2e.wait_status(port, ("DONE",), timeout=90) == "DONE"
        jobs = resumed.list_trial_jobs()
        assert len({j.sequenceId for j in jobs}) == len(jobs)
        assert len([j for j in jobs if j.status == "SUCCEEDED"]) >= 3  # the first run's and the resumed ones
    finally:
        resumed.stop()
