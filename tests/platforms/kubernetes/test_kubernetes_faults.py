"""The Kubernetes platforms against the simulated cluster's faults: pods that never schedule, images that
cannot be pulled, OOMKilled and evicted pods, dropped watches, 410 Gone, an API server restart, objects
deleted behind NNI's back; GPU requests; re-attaching by label; manifests checked against the real schemas;
Kubeflow Trainer v2 TrainJobs (nodes, a restarted node, a missing runtime, what has no v2 runtime)."""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nni.config._base import Context
from nni.config.training_services import training_service_from_json
from nni.errors import ConfigError
from nni.platforms.base import TrialJob, TrialMetric, TrialStarted, TrialWaiting
from nni.platforms.kubernetes import KubeflowPlatform, KubernetesError, KubernetesPlatform
from nni.platforms.kubernetes.platform import FrameworkControllerPlatform
from nni.testing import EventLog, wait_until
from nni.testing.kubernetes_sim import SchemaError, SimulatedCluster, validate_manifest

pytestmark = pytest.mark.slow

TRIAL = r'''
import json, os, sys, time
import nni
params = nni.get_next_parameter()
print("hello from", os.environ.get("NNI_POD_NAME"), flush=True)
with open(os.path.join(os.environ["NNI_OUTPUT_DIR"], "seen.json"), "w") as f:
    json.dump({k: os.environ.get(k) for k in ("NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", "NNI_SYS_DIR",
                                              "NNI_POD_NAME")}, f)
for step in range(int(params.get("steps", 2))):
    nni.report_intermediate_result(step)
    time.sleep(float(params.get("pause", 0)))
nni.report_final_result(params.get("x", 1.0))
sys.exit(int(params.get("exit", 0)))
'''

PLATFORMS = {"kubernetes": KubernetesPlatform, "kubeflow": KubeflowPlatform,
             "frameworkcontroller": FrameworkControllerPlatform}


class World:
    """One platform on the simulated cluster, with its own experiment id, started; ``job(**params)`` makes
    a trial of ``TRIAL``."""

    def __init__(self, cluster: SimulatedCluster, tmp: Path, section: dict[str, Any]) -> None:
        self.cluster = cluster
        self.code = tmp / "code"
        self.code.mkdir(parents=True)
        (self.code / "trial.py").write_text(TRIAL)
        self.experiment_id = "f" + secrets.token_hex(4)[:7]
        self.config = training_service_from_json(section, Context(), "trainingService")
        self.log = EventLog()
        self.platform = self.make()
        self.platform.start(self.log)

    def make(self) -> KubernetesPlatform:
        return PLATFORMS[self.config.platform](self.config, experiment_id=self.experiment_id,
                                               experiment_dir=self.code.parent, trial_code_directory=self.code)

    def job(self, gpus: int = 0, **params: Any) -> TrialJob:
        return TrialJob(trial_job_id=secrets.token_hex(3)[:5], sequence_id=0, parameter_id=1,
                        parameters={"x": 0.5, **params}, command=f"{sys.executable} trial.py", code_dir=str(self.code),
                        gpu_number=gpus)

    def pods(self, trial_job_id: str) -> list[dict[str, Any]]:
        return [p for p in self.cluster.objects("Pod") if p["metadata"]["labels"].get("nni-trial") == trial_job_id]

    def running_pod(self, trial_job_id: str) -> str:
        return wait_until(lambda: next((p["metadata"]["name"] for p in self.pods(trial_job_id)
                                        if p["status"].get("phase") == "Running"), None), 30, "a running pod")

    def leftovers(self) -> list[str]:
        kinds = ("Pod", "Job", "PyTorchJob", "TFJob", "Framework", "TrainJob")
        return [o["metadata"]["name"] for kind in kinds for o in self.cluster.objects(kind)
                if o["metadata"].get("labels", {}).get("nni-experiment") == self.experiment_id]


def _worlds(cluster: SimulatedCluster, section: Callable[..., dict[str, Any]], tmp_path: Path
            ) -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def make(**keys: Any) -> World:
        made.append(World(cluster, tmp_path / str(len(made)), section(**keys)))
        return made[-1]

    yield make
    for w in made:
        w.platform.stop()
        assert not w.leftovers(), f"left behind in the namespace: {w.leftovers()}"
        assert not w.cluster.refused, w.cluster.refused


@pytest.fixture
def world(cluster: SimulatedCluster, service_section: Callable[..., dict[str, Any]], tmp_path: Path
          ) -> Iterator[Callable[..., World]]:
    yield from _worlds(cluster, service_section, tmp_path)


@pytest.fixture
def tv2_world(trainer_v2_cluster: SimulatedCluster, trainer_v2_section: Callable[..., dict[str, Any]], tmp_path: Path
              ) -> Iterator[Callable[..., World]]:
    """Worlds of ``platform: kubeflow`` (pytorch-operator) on the cluster that serves only Kubeflow Trainer v2."""
    yield from _worlds(trainer_v2_cluster, trainer_v2_section, tmp_path)


def test_unschedulable_pod_waits_with_the_schedulers_reason_and_is_cancelled_cleanly(world):
    w = world()
    job = w.job(gpus=4)  # the node has 2 GPUs
    w.platform.submit(job)
    waiting = w.log.wait(lambda: w.log.of(job.trial_job_id, TrialWaiting), 30, "a waiting event")
    assert "Unschedulable" in waiting[0].reason and "Insufficient nvidia.com/gpu" in waiting[0].reason
    job_manifest = w.cluster.created[-1]
    assert job_manifest["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "4"
    w.platform.kill(job.trial_job_id, "USER_CANCELED")
    exited = w.log.exited(job.trial_job_id, 30)
    assert exited.status == "USER_CANCELED"
    assert not w.log.of(job.trial_job_id, TrialStarted)


def test_gpu_request_reaches_the_pod_and_cuda_visible_devices_is_left_to_the_device_plugin(world):
    w = world(gpuNumber=None)
    job = w.job(gpus=1)  # trialGpuNumber
    w.platform.submit(job)
    assert w.log.exited(job.trial_job_id, 30).status == "SUCCEEDED"
    seen = json.loads(w.platform.read_file(job.trial_job_id, "seen.json"))
    assert seen["NVIDIA_VISIBLE_DEVICES"] in ("0", "1") and seen["CUDA_VISIBLE_DEVICES"] is None


def test_image_that_cannot_be_pulled_fails_the_trial_with_kubernetes_reason(world, cluster):
    cluster.unpullable_images.add("registry.example/missing:1")
    w = world(dockerImage="registry.example/missing:1")
    job = w.job()
    w.platform.submit(job)
    exited = w.log.exited(job.trial_job_id, 30)
    assert exited.status == "FAILED" and "ImagePullBackOff" in exited.reason, exited
    assert "registry.example/missing:1" in exited.reason
    waits = w.log.of(job.trial_job_id, TrialWaiting)
    assert waits and "ErrImagePull" in waits[0].reason


@pytest.mark.parametrize("fault, expected", [("oom_kill", "OOMKilled"), ("evict", "evicted: The node was low on")])
def test_oom_killed_and_evicted_pods_fail_the_trial_with_that_reason(world, cluster, fault, expected):
    w = world()
    job = w.job(steps=100, pause=0.1)
    w.platform.submit(job)
    pod = w.running_pod(job.trial_job_id)
    getattr(cluster, fault)(pod)
    exited = w.log.exited(job.trial_job_id, 30)
    assert exited.status == "FAILED" and expected in exited.reason, exited
    assert exited.exit_code == 137


def test_failed_trial_keeps_its_exit_code_and_the_pods_log(world):
    w = world()
    job = w.job(exit=3)
    w.platform.submit(job)
    exited = w.log.exited(job.trial_job_id, 30)
    assert (exited.status, exited.exit_code) == ("FAILED", 3) and "BackoffLimitExceeded" in exited.reason
    pod = w.cluster.created[-1]["metadata"]["name"]
    assert f"hello from {pod}".encode() in w.platform.read_file(job.trial_job_id, "pod.log")  # through the API


def test_watch_drops_410_gone_and_an_api_server_restart_lose_and_repeat_nothing(world, cluster):
    w = world()
    job = w.job(steps=12, pause=0.25)
    w.platform.submit(job)
    w.log.wait(lambda: w.log.of(job.trial_job_id, TrialMetric), 30, "the first metric")
    cluster.drop_watches()
    cluster.compact()  # resuming from the last version seen now gets 410 Gone: the followers list again
    cluster.restart_apiserver(downtime=1.0)
    exited = w.log.exited(job.trial_job_id, 60)
    assert exited.status == "SUCCEEDED", exited
    metrics = w.log.of(job.trial_job_id, TrialMetric)
    assert [m.record.value for m in metrics] == [*range(12), 0.5]  # each exactly once, in order
    assert len(w.log.of(job.trial_job_id, TrialStarted)) == 1


@pytest.mark.parametrize("lists_late", [False, True], ids=["watched", "before-the-first-list"])
def test_job_deleted_outside_nni_is_sys_canceled(world, cluster, lists_late):
    # lists_late: the API server answers lists late, so the trial's Job is created, runs and is deleted before
    # the platform's first list; neither that list nor the watch after it ever shows the Job
    with cluster.lists_held() if lists_late else contextlib.nullcontext():
        w = world()
        job = w.job(steps=100, pause=0.1)
        w.platform.submit(job)
        w.running_pod(job.trial_job_id)
        name = w.cluster.objects("Job")[-1]["metadata"]["name"]
        cluster.delete("Job", "nni", name, "Background")
    exited = w.log.exited(job.trial_job_id, 30)
    assert exited.status == "SYS_CANCELED" and "deleted outside NNI" in exited.reason


def test_reattach_finds_the_running_job_by_label_without_a_handle(world):
    w = world()
    job = w.job(steps=6, pause=0.3)
    w.platform.submit(job)
    first = w.log.wait(lambda: w.log.of(job.trial_job_id, TrialMetric), 30, "the first metric")
    second_log = EventLog()
    second = w.make()
    second.start(second_log)
    try:
        job.metrics_offset = first[0].offset
        assert second.reattach(job, {}) is True  # found by its nni-trial label
        exited = second_log.exited(job.trial_job_id, 30)
        assert exited.status == "SUCCEEDED"
        values = [m.record.value for m in second_log.of(job.trial_job_id, TrialMetric)]
        assert values[0] == 1 and values[-1] == 0.5
    finally:
        second.stop()


def test_tfjob_parameter_server_and_worker_run_and_only_the_workers_metrics_count(world):
    w = world(platform="kubeflow", operator="tf-operator", apiVersion="v1alpha2", dockerImage=None,
              ps={"replicas": 1, "command": f"{sys.executable} trial.py", "cpuNumber": 1, "memorySize": 512},
              worker={"replicas": 2, "command": f"{sys.executable} trial.py", "cpuNumber": 1, "memorySize": "1G"})
    job = w.job(steps=3)
    w.platform.submit(job)
    assert w.log.exited(job.trial_job_id, 60).status == "SUCCEEDED"
    manifest = w.cluster.created[-1]
    assert manifest["apiVersion"] == "kubeflow.org/v1"  # v1alpha2 is not served: v1 is used
    specs = manifest["spec"]["tfReplicaSpecs"]
    assert specs["PS"]["replicas"] == 1 and specs["Worker"]["replicas"] == 2
    worker = specs["Worker"]["template"]["spec"]["containers"][0]
    assert worker["name"] == "tensorflow" and worker["resources"]["limits"] == {"cpu": "1000m", "memory": "1Gi"}
    assert len(w.log.of(job.trial_job_id, TrialMetric)) == 4  # the lead worker's 3 + final, not 3 x that
    replicas = Path(w.platform.trial_dir(job.trial_job_id)) / "replicas"
    assert sorted(p.name for p in replicas.iterdir()) == sorted(
        f"{manifest['metadata']['name']}-{r}" for r in ("ps-0", "worker-1"))


def test_trainjob_nodes_run_as_one_trial_whose_lead_node_writes_the_metrics(tv2_world):
    w = tv2_world(master={"replicas": 1, "command": f"{sys.executable} trial.py", "cpuNumber": 2},
                  worker={"replicas": 2, "command": f"{sys.executable} trial.py", "cpuNumber": 1, "memorySize": "1G"},
                  nodeSelector={"kubernetes.io/hostname": "sim-node-1"})
    job = w.job(steps=3)
    w.platform.submit(job)
    assert w.log.exited(job.trial_job_id, 60).status == "SUCCEEDED"
    manifest = w.cluster.created[-1]
    assert (manifest["apiVersion"], manifest["kind"]) == ("trainer.kubeflow.org/v1alpha1", "TrainJob")
    assert manifest["spec"]["runtimeRef"]["name"] == "torch-distributed"
    trainer = manifest["spec"]["trainer"]
    assert trainer["numNodes"] == 3 and trainer["resourcesPerNode"]["limits"] == {"cpu": "1000m", "memory": "1Gi"}
    assert len(w.log.of(job.trial_job_id, TrialMetric)) == 4  # node 0's 3 + final, not 3 x that
    replicas = sorted(p.name for p in (Path(w.platform.trial_dir(job.trial_job_id)) / "replicas").iterdir())
    name = manifest["metadata"]["name"]
    assert len(replicas) == 2 and all(r.startswith((f"{name}-node-0-1-", f"{name}-node-0-2-")) for r in replicas)
    seen = json.loads(w.platform.read_file(job.trial_job_id, "seen.json"))
    assert seen["NNI_POD_NAME"].startswith(f"{name}-node-0-0-")


def test_trainjob_node_restarted_after_oom_fails_the_trial_at_once_and_unschedulable_nodes_wait(tv2_world, cluster):
    w = tv2_world()
    job = w.job(steps=100, pause=0.1)
    w.platform.submit(job)
    pod = w.running_pod(job.trial_job_id)
    w.cluster.oom_kill(pod)  # restartPolicy OnFailure: the kubelet would run the trial again in the same pod
    exited = w.log.exited(job.trial_job_id, 30)
    assert exited.status == "FAILED" and "OOMKilled" in exited.reason and exited.exit_code == 137, exited
    w = tv2_world(worker={"replicas": 1, "gpuNumber": 4})  # the node has 2 GPUs
    waiting_job = w.job()
    w.platform.submit(waiting_job)
    waiting = w.log.wait(lambda: w.log.of(waiting_job.trial_job_id, TrialWaiting), 30, "a waiting event")
    assert "Unschedulable" in waiting[0].reason and "Insufficient nvidia.com/gpu" in waiting[0].reason
    assert w.cluster.created[-1]["spec"]["trainer"]["resourcesPerNode"]["limits"]["nvidia.com/gpu"] == "4"
    w.platform.kill(waiting_job.trial_job_id, "USER_CANCELED")
    assert w.log.exited(waiting_job.trial_job_id, 30).status == "USER_CANCELED"


def test_trainjob_refusals_name_the_reason_and_what_to_do(tv2_world, trainer_v2_cluster, trainer_v2_section,
                                                         service_section):
    def config(section: dict[str, Any]) -> Any:
        return training_service_from_json(section, Context(), "trainingService")

    tf = config(trainer_v2_section(operator="tf-operator", master=None, worker={"replicas": 1}))
    with pytest.raises(KubernetesError, match="only Kubeflow Trainer v2.*no runtime for tf-operator.*training "
                                              "operator v1.x.*platform: kubernetes"):
        KubeflowPlatform.check_requirements(tf)
    with pytest.raises(KubernetesError, match="no ClusterTrainingRuntime 'deepspeed-distributed'.*trainerRuntime"):
        KubeflowPlatform.check_requirements(config(trainer_v2_section(trainerRuntime="deepspeed-distributed")))
    with pytest.raises(KubernetesError, match="does not serve trainer.kubeflow.org/v1alpha1; install Kubeflow Trainer"):
        KubeflowPlatform.check_requirements(config(service_section(
            platform="kubeflow", operator="pytorch-operator", dockerImage=None, worker={"replicas": 1},
            trainerRuntime="torch-distributed")))
    with pytest.raises(ConfigError, match="trainerRuntime.*no runtime for tf-operator"):
        config(trainer_v2_section(operator="tf-operator", master=None, worker={"replicas": 1},
                                  trainerRuntime="torch-distributed"))
    trainer_v2_cluster.training_runtimes.add("torch-custom")
    w = tv2_world(trainerRuntime="torch-custom")
    trainer_v2_cluster.training_runtimes.discard("torch-custom")  # removed by the cluster's admin meanwhile
    job = w.job()
    w.platform.submit(job)
    exited = w.log.exited(job.trial_job_id, 30)
    assert exited.status == "FAILED" and "validator.trainjob.trainer.kubeflow.org" in exited.reason, exited
    assert "must be created before the TrainJob" in exited.reason and "trainingService.trainerRuntime" in exited.reason


def test_missing_credentials_and_unmounted_storage_are_refused_in_one_line(tmp_path, service_section, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    config = training_service_from_json(service_section(kubeconfig=None), Context(), "trainingService")
    with pytest.raises(ConfigError, match="no Kubernetes credentials found"):
        KubernetesPlatform.check_requirements(config)
    unmounted = training_service_from_json(service_section(storage={"storageType": "nfs", "server": "10.9.9.9",
                                                                    "path": "/nowhere"}), Context(), "trainingService")
    with pytest.raises(ConfigError, match="not mounted on this machine.*localMountPath"):
        KubernetesPlatform.check_requirements(unmounted)


def test_credentials_stay_out_of_the_experiment_and_its_logs(world, cluster, caplog):
    w = world()
    job = w.job()
    w.platform.submit(job)
    assert w.log.exited(job.trial_job_id, 30).status == "SUCCEEDED"
    w.platform.stop()
    written = b"".join(p.read_bytes() for p in (w.code.parent).rglob("*") if p.is_file())
    written += b"".join(p.read_bytes() for p in Path(w.platform.root).rglob("*") if p.is_file())
    assert cluster.token.encode() not in written and cluster.token not in caplog.text
    assert cluster.token not in json.dumps(w.cluster.created)


def test_schema_check_refuses_what_the_api_server_would_drop():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i", "comand": ["sh"]}]}}}}
    with pytest.raises(SchemaError, match="comand: unknown field"):
        validate_manifest(job)
    del job["spec"]["template"]["spec"]["containers"][0]["comand"]
    validate_manifest(job)
    del job["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(SchemaError, match="name"):
        validate_manifest(job)
    framework = {"apiVersion": "frameworkcontroller.microsoft.com/v1", "kind": "Framework", "metadata": {"name": "f"},
                 "spec": {"executionType": "Start", "taskRoles": [{"name": "w", "taskNumber": 1, "task": {"pod": {
                     "spec": {"containers": [{"name": "c", "image": "i"}]}}}}]}}
    with pytest.raises(SchemaError, match="frameworkAttemptCompletionPolicy: required"):
        validate_manifest(framework)
