"""The Kubernetes platform on a real cluster: runs only when ``NNI_TEST_KUBECONFIG`` names a kubeconfig (see
"Running on Kubernetes" in the README for the other variables); skipped otherwise, saying so.

    NNI_TEST_KUBECONFIG=~/.kube/config NNI_TEST_K8S_IMAGE=my-registry/nni-trial:1 \\
    NNI_TEST_K8S_PVC=nni-shared NNI_TEST_K8S_MOUNT=/mnt/nni-shared \\
    python3 -m pytest tests/platforms/kubernetes/test_kubernetes_live.py
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from nni.config._base import Context
from nni.config.training_services import training_service_from_json
from nni.platforms.base import TrialJob, TrialMetric
from nni.testing import EventLog

KUBECONFIG = os.environ.get("NNI_TEST_KUBECONFIG")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not KUBECONFIG, reason="no live cluster: set NNI_TEST_KUBECONFIG (and NNI_TEST_K8S_IMAGE, NNI_TEST_K8S_PVC or "
                           "NNI_TEST_K8S_NFS, NNI_TEST_K8S_MOUNT) to run against a real one; the platform is tested "
                           "against the simulated API server otherwise")]

TRIAL = """
import nni
params = nni.get_next_parameter()
for step in range(3):
    nni.report_intermediate_result(params["x"] * step)
nni.report_final_result(params["x"])
"""


def _section() -> dict[str, object]:
    mount = os.environ.get("NNI_TEST_K8S_MOUNT")
    if not mount:
        pytest.fail("NNI_TEST_K8S_MOUNT must name the folder where this machine sees the shared volume")
    if os.environ.get("NNI_TEST_K8S_NFS"):
        server, _, path = os.environ["NNI_TEST_K8S_NFS"].partition(":")
        storage = {"storageType": "nfs", "server": server, "path": path, "localMountPath": mount}
    else:
        storage = {"storageType": "pvc", "claimName": os.environ.get("NNI_TEST_K8S_PVC", "nni-shared"),
                   "localMountPath": mount}
    return {"platform": "kubernetes", "kubeconfig": os.path.expanduser(KUBECONFIG or ""),
            "namespace": os.environ.get("NNI_TEST_K8S_NAMESPACE", "default"),
            "dockerImage": os.environ.get("NNI_TEST_K8S_IMAGE", "msranni/nni:latest"), "cpuNumber": 0.5,
            "memorySize": "512Mi", "storage": storage}


def test_trials_run_as_jobs_on_the_live_cluster_and_leave_nothing(tmp_path: Path) -> None:
    from kubernetes import client

    from nni.platforms.kubernetes import KubernetesPlatform
    from nni.platforms.kubernetes._api import connect

    config = training_service_from_json(_section(), Context(), "trainingService")
    KubernetesPlatform.check_requirements(config)
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    experiment_id = "live" + secrets.token_hex(2)
    platform = KubernetesPlatform(config, experiment_id=experiment_id, experiment_dir=tmp_path,
                                  trial_code_directory=code)
    log = EventLog()
    platform.start(log)
    jobs = [TrialJob(f"t{i}" + secrets.token_hex(2), i, i, {"x": 0.5 + i}, "python3 trial.py", str(code))
            for i in range(2)]
    try:
        for job in jobs:
            platform.submit(job)
        for job in jobs:
            exited = log.exited(job.trial_job_id, 600)
            assert exited.status == "SUCCEEDED", (exited, platform.read_file(job.trial_job_id, "stderr"))
            assert len(log.of(job.trial_job_id, TrialMetric)) == 4
            assert json.loads(platform.read_file(job.trial_job_id, "parameter.cfg"))["parameters"] == job.parameters
    finally:
        platform.stop()
    api = connect(config.kubeconfig)
    selector = f"nni-experiment={experiment_id}"
    assert not client.BatchV1Api(api).list_namespaced_job(config.namespace, label_selector=selector).items
    assert not client.CoreV1Api(api).list_namespaced_pod(config.namespace, label_selector=selector).items
