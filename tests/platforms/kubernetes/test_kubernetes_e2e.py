"""Whole experiments through the real ``nnictl`` on the simulated cluster: a plain-Kubernetes v2 config, NNI's
kubeflow (v2) and frameworkcontroller (v1) example configs, NNI's PyTorch kubeflow example on a cluster that
serves only Kubeflow Trainer v2 (and its TFJob example refused there), maxTrialDuration, and ``nnictl resume`` after
the manager was killed with SIGKILL re-attaching to the running Jobs; nothing is left in the namespace."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from nni.testing import Workspace, free_port, wait_until
from nni.testing.kubernetes_sim import SimulatedCluster
from nni.testing.kubernetes_sim.nni_examples import (
    frameworkcontroller_v1_example,
    kubeflow_pytorch_v1_example,
    kubeflow_v2_example,
)

pytestmark = pytest.mark.slow
_NOT_UP = (httpx.HTTPError, KeyError, ValueError)

TRIAL = r'''
import json, os, time
import nni
params = nni.get_next_parameter()
with open(os.path.join(os.environ["E2E_SHARED"], "started.jsonl"), "a") as f:
    f.write(json.dumps({"trial": nni.get_trial_id(), "pod": os.environ.get("NNI_POD_NAME"),
                        "platform": os.environ["NNI_PLATFORM"]}) + "\n")
nni.report_intermediate_result(params.get("x", 0.5))
time.sleep(float(os.environ.get("E2E_SLEEP", "0")))
nni.report_final_result(params.get("x", 0.5))
'''


def _world(tmp_path: Path, cluster: SimulatedCluster, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch,
           sleep: float = 0) -> Workspace:
    world = Workspace(tmp_path, TRIAL, env={"KUBECONFIG": str(kubeconfig)}, timeout=240)
    # the simulated kubelet runs pods in this process's environment (the "image"): what the trials read
    monkeypatch.setenv("E2E_SHARED", str(world.shared))
    monkeypatch.setenv("E2E_SLEEP", str(sleep))
    (world.code / "mnist.py").write_text(TRIAL)
    (world.code / "search_space.json").write_text(json.dumps({"x": {"_type": "uniform", "_value": [0, 1]}}))
    return world


def _assert_nothing_left(cluster: SimulatedCluster, exp_id: str) -> None:
    kinds = ("Pod", "Job", "PyTorchJob", "TFJob", "Framework", "TrainJob")
    left = [o["metadata"]["name"] for kind in kinds for o in cluster.objects(kind)
            if o["metadata"].get("labels", {}).get("nni-experiment") == exp_id]
    assert not left, f"left behind in the namespace: {left}"


def _storage(cluster: SimulatedCluster) -> dict[str, str]:
    return {"storageType": "nfs", "server": "10.0.0.2", "path": "/exports/nni",
            "localMountPath": str(cluster.shared)}  # type: ignore[attr-defined]


def test_plain_kubernetes_experiment_with_max_trial_duration(cluster, kubeconfig, tmp_path, monkeypatch):
    world = _world(tmp_path, cluster, kubeconfig, monkeypatch, sleep=30)
    config = world.config(
        trialCommand=f"{sys.executable} trial.py", trialConcurrency=2, maxTrialNumber=3, maxTrialDuration="4s",
        trainingService={"platform": "kubernetes", "namespace": "nni", "dockerImage": "python:3.11", "cpuNumber": 0.5,
                         "memorySize": "256Mi", "storage": _storage(cluster), "pollInterval": "0.2s"})
    ended = world.foreground(config, timeout=180)
    world.run("experiment", "export", ended.experiment_id, "--type", "json", "--filename", tmp_path / "out.json")
    exported = json.loads((tmp_path / "out.json").read_text())
    assert len(exported) == 3
    assert {t["status"] for t in exported} == {"SYS_CANCELED"}, exported  # each ran past maxTrialDuration
    assert {r["platform"] for r in world.records()} == {"kubernetes"}
    _assert_nothing_left(cluster, ended.experiment_id)


def test_nni_kubeflow_and_frameworkcontroller_example_configs_run(cluster, kubeconfig, tmp_path, monkeypatch):
    world = _world(tmp_path, cluster, kubeconfig, monkeypatch)
    storage = _storage(cluster)
    cluster_keys = {"command": f"{sys.executable} mnist.py", "server": storage["server"], "path": storage["path"],
                    "local_mount_path": storage["localMountPath"], "namespace": "nni"}
    kubeflow = world.code / "config_kubeflow.yml"  # NNI's v2 example: a TFJob, apiVersion v1alpha2
    kubeflow.write_text(kubeflow_v2_example(**cluster_keys))
    framework = world.code / "config_frameworkcontroller.yml"  # NNI's v1 example
    framework.write_text(frameworkcontroller_v1_example(**cluster_keys).replace("maxTrialNum: 10", "maxTrialNum: 2"))
    for config, kind, trials in ((kubeflow, "TFJob", 1), (framework, "Framework", 2)):
        before, seen = len(cluster.created), len(world.records())
        ended = world.foreground(config, timeout=180)
        created = cluster.created[before:]
        assert len(created) == trials and {c["kind"] for c in created} == {kind}
        assert all(c["apiVersion"].endswith("/v1") for c in created)
        records = world.records()[seen:]
        assert len(records) == trials and {r["platform"] for r in records} == {config.stem.split("_")[1]}
        assert all(r["pod"].endswith("-worker-0") for r in records)
        _assert_nothing_left(cluster, ended.experiment_id)


def test_resume_after_manager_sigkill_reattaches_running_jobs_and_stop_cleans_up(cluster, kubeconfig, tmp_path,
                                                                                 monkeypatch):
    world = _world(tmp_path, cluster, kubeconfig, monkeypatch, sleep=6)
    port = free_port()
    config = world.config(
        trialCommand=f"{sys.executable} trial.py", trialConcurrency=2, maxTrialNumber=3,
        trainingService={"platform": "kubernetes", "namespace": "nni", "dockerImage": "python:3.11",
                         "storage": _storage(cluster), "pollInterval": "0.2s"})
    exp_id = world.create(config, port)
    wait_until(lambda: len(world.records()) >= 2, timeout=90, what="two trials running")
    os.kill(world.registry()[exp_id]["pid"], signal.SIGKILL)
    jobs_before = {j["metadata"]["name"] for j in cluster.objects("Job")
                   if j["metadata"]["labels"].get("nni-experiment") == exp_id}
    assert len(jobs_before) == 2

    world.run("resume", exp_id, "--port", port)
    try:
        wait_until(lambda: world.rest(port, "/check-status")["status"] == "DONE", timeout=150, what="DONE",
                   errors=_NOT_UP)
        trials = world.rest(port, "/trial-jobs")
        assert len(trials) == 3 and {t["status"] for t in trials} == {"SUCCEEDED"}, trials
        assert len(world.records()) == 3  # the two running trials were followed, not run again
    finally:
        world.stop_all()
    _assert_nothing_left(cluster, exp_id)


def test_nni_pytorch_kubeflow_example_runs_as_trainjobs_on_a_trainer_v2_only_cluster(
        trainer_v2_cluster, trainer_v2_kubeconfig, tmp_path, monkeypatch):
    world = _world(tmp_path, trainer_v2_cluster, trainer_v2_kubeconfig, monkeypatch)
    storage = _storage(trainer_v2_cluster)
    cluster_keys = {"command": f"{sys.executable} mnist.py", "server": storage["server"], "path": storage["path"],
                    "local_mount_path": storage["localMountPath"], "namespace": "nni"}
    pytorch = world.code / "config_kubeflow_pytorch.yml"  # NNI's v1 example: master + worker, apiVersion v1alpha2
    pytorch.write_text(kubeflow_pytorch_v1_example(**cluster_keys))
    before = len(trainer_v2_cluster.created)
    ended = world.foreground(pytorch, timeout=180)
    created = trainer_v2_cluster.created[before:]
    assert [(c["kind"], c["spec"]["trainer"]["numNodes"]) for c in created] == [("TrainJob", 2)]
    records = world.records()
    assert len(records) == 2 and {r["platform"] for r in records} == {"kubeflow"}  # both nodes ran the trial
    world.run("experiment", "export", ended.experiment_id, "--type", "json", "--filename", tmp_path / "out.json")
    exported = json.loads((tmp_path / "out.json").read_text())
    assert [t["status"] for t in exported] == ["SUCCEEDED"]
    _assert_nothing_left(trainer_v2_cluster, ended.experiment_id)

    tensorflow = world.code / "config_kubeflow.yml"  # NNI's v2 example is a TFJob: Trainer v2 has no runtime for it
    tensorflow.write_text(kubeflow_v2_example(**cluster_keys))
    refused = world.run("create", "--config", tensorflow, "--port", free_port(), check=False)
    assert refused.returncode != 0
    assert "no runtime for tf-operator (TFJob) trials" in refused.stdout + refused.stderr
    assert len(trainer_v2_cluster.created) == before + 1  # nothing was created for it
