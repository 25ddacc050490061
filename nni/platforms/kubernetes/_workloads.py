"""What runs one trial on the cluster, per platform: a ``batch/v1`` Job, a Kubeflow PyTorchJob or TFJob, a
Kubeflow Trainer v2 TrainJob, or a FrameworkController Framework. Each :class:`Workload` knows its roles (the pods it asks for), its manifest
around the pod templates the platform builds, the API calls that create, list and delete it, and how to
read the controller's verdict from its status."""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from typing import Any

from nni.config.training_services.kubernetes import (
    FrameworkControllerConfig,
    KubeflowConfig,
    KubernetesConfig,
)
from nni.platforms.base import TrialJob
from nni.status import TrialStatus

__all__ = ["PodRole", "Workload", "JobWorkload", "KubeflowWorkload", "TrainJobWorkload", "FrameworkWorkload",
           "workload_for", "DEFAULT_TRAINER_RUNTIME"]

DEFAULT_TRAINER_RUNTIME = "torch-distributed"  # the ClusterTrainingRuntime Kubeflow Trainer installs for PyTorch


@dataclass(frozen=True)
class PodRole:
    """One kind of pod of a trial: ``replicas`` pods run ``command`` in ``image`` with these resources."""

    name: str
    replicas: int
    command: str
    image: str
    cpu: float | None
    memory: str | None
    gpus: int
    code_directory: str | None  # None: the experiment's trialCodeDirectory
    extra: tuple[tuple[str, Any], ...] = ()  # workload-specific settings (the Framework completion policy)
    lead_command: str | None = None  # what the lead replica runs instead of ``command`` (a TrainJob's master)


class Workload(abc.ABC):
    """One trial's object on the cluster; see the module docstring."""

    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    container_name = "trial"
    # The pod field (downward API) that tells a workload's replicas apart; ``lead_replica`` is its value on the
    # lead replica, ``replica_of`` reads it from a pod.
    replica_field = "metadata.name"

    @abc.abstractmethod
    def roles(self, job: TrialJob) -> list[PodRole]: ...

    @abc.abstractmethod
    def manifest(self, name: str, labels: dict[str, str], templates: dict[str, dict[str, Any]],
                 roles: list[PodRole]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def verdict(self, obj: dict[str, Any]) -> tuple[str, str] | None:
        """``(final TrialStatus, reason)`` once the controller says the workload is over, else None."""

    def lead_replica(self, name: str, roles: list[PodRole]) -> str | None:
        """The ``replica_field`` value of the pod whose metrics and exit code are the trial's (None: the workload
        has one pod)."""
        return None

    def replica_of(self, pod: dict[str, Any]) -> str:
        return pod["metadata"]["name"]

    def explain_refusal(self, text: str) -> str:
        """The API server's reason for refusing the workload, with what to do where this build knows it."""
        return text

    def waiting_reason(self, obj: dict[str, Any]) -> str | None:
        """Why the controller holds the workload back before any pod runs (e.g. suspended by a queue), if it does."""
        return None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    # -- API calls (the official client's) --------------------------------------------------------
    def _custom(self, api_client: Any) -> Any:
        from kubernetes import client

        return client.CustomObjectsApi(api_client)

    def create(self, api_client: Any, namespace: str, body: dict[str, Any]) -> None:
        self._custom(api_client).create_namespaced_custom_object(self.group, self.version, namespace, self.plural, body)

    def delete(self, api_client: Any, namespace: str, name: str) -> None:
        self._custom(api_client).delete_namespaced_custom_object(
            self.group, self.version, namespace, self.plural, name, propagation_policy="Foreground")

    def get(self, api_client: Any, namespace: str, name: str) -> dict[str, Any]:
        return self._custom(api_client).get_namespaced_custom_object(self.group, self.version, namespace, self.plural,
                                                                     name)

    def list_fn(self, api_client: Any, namespace: str, selector: str) -> Any:
        custom = self._custom(api_client)

        def list_objects(**kwargs: Any) -> Any:
            return custom.list_namespaced_custom_object(self.group, self.version, namespace, self.plural,
                                                        label_selector=selector, **kwargs)
        return list_objects


def _true_condition(obj: dict[str, Any], *types: str) -> dict[str, Any] | None:
    for condition in reversed((obj.get("status") or {}).get("conditions") or []):
        if condition.get("type") in types and str(condition.get("status")) == "True":
            return condition
    return None


def _condition_text(condition: dict[str, Any]) -> str:
    return ": ".join(part for part in (condition.get("reason"), condition.get("message")) if part)


def _verdict_of_conditions(obj: dict[str, Any], kind: str, succeeded: str) -> tuple[str, str] | None:
    if _true_condition(obj, succeeded):
        return TrialStatus.SUCCEEDED, ""
    failed = _true_condition(obj, "Failed")
    return (TrialStatus.FAILED, f"{kind} {_condition_text(failed)}") if failed else None


# ------------------------------------------------------------------------------------------ batch/v1 Job
class JobWorkload(Workload):
    kind, group, version, plural = "Job", "batch", "v1", "jobs"

    def __init__(self, config: KubernetesConfig) -> None:
        self.config = config

    def roles(self, job: TrialJob) -> list[PodRole]:
        c = self.config
        gpus = c.gpu_number if c.gpu_number is not None else job.gpu_number
        return [PodRole("trial", 1, job.command, c.docker_image or "", c.cpu_number, c.memory_size, gpus, None)]

    def manifest(self, name: str, labels: dict[str, str], templates: dict[str, dict[str, Any]],
                 roles: list[PodRole]) -> dict[str, Any]:
        template = templates["trial"]
        template["spec"]["restartPolicy"] = "Never"
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "labels": labels},
                "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1, "template": template}}

    def verdict(self, obj: dict[str, Any]) -> tuple[str, str] | None:
        if _true_condition(obj, "Complete", "SuccessCriteriaMet"):
            return TrialStatus.SUCCEEDED, ""
        failed = _true_condition(obj, "Failed", "FailureTarget")
        if failed:
            return TrialStatus.FAILED, f"Job {_condition_text(failed)}"
        return None

    def _batch(self, api_client: Any) -> Any:
        from kubernetes import client

        return client.BatchV1Api(api_client)

    def create(self, api_client: Any, namespace: str, body: dict[str, Any]) -> None:
        self._batch(api_client).create_namespaced_job(namespace, body)

    def delete(self, api_client: Any, namespace: str, name: str) -> None:
        self._batch(api_client).delete_namespaced_job(name, namespace, propagation_policy="Foreground")

    def get(self, api_client: Any, namespace: str, name: str) -> dict[str, Any]:
        return json.loads(self._batch(api_client).read_namespaced_job(name, namespace, _preload_content=False).data)

    def list_fn(self, api_client: Any, namespace: str, selector: str) -> Any:
        batch = self._batch(api_client)

        def list_jobs(**kwargs: Any) -> Any:
            return batch.list_namespaced_job(namespace, label_selector=selector, **kwargs)
        return list_jobs


# ---------------------------------------------------------------------------- Kubeflow PyTorchJob / TFJob
class KubeflowWorkload(Workload):
    group, version = "kubeflow.org", "v1"

    def __init__(self, config: KubeflowConfig, version: str = "v1") -> None:
        self.config = config
        self.version = version
        pytorch = config.operator == "pytorch-operator"
        self.kind = "PyTorchJob" if pytorch else "TFJob"
        self.plural = "pytorchjobs" if pytorch else "tfjobs"
        self.container_name = "pytorch" if pytorch else "tensorflow"  # the operators' default container names
        self._specs_key = "pytorchReplicaSpecs" if pytorch else "tfReplicaSpecs"

    def roles(self, job: TrialJob) -> list[PodRole]:
        return [PodRole(name, role.replicas, role.command or job.command, role.docker_image, role.cpu_number,
                        role.memory_size, role.gpu_number, role.code_directory)
                for name, role in self.config.roles().items()]

    def lead_replica(self, name: str, roles: list[PodRole]) -> str | None:
        lead = "master" if any(r.name == "master" for r in roles) else "worker"
        return f"{name}-{lead}-0"

    def manifest(self, name: str, labels: dict[str, str], templates: dict[str, dict[str, Any]],
                 roles: list[PodRole]) -> dict[str, Any]:
        replica_type = {"master": "Master", "worker": "Worker", "ps": "PS"}
        specs = {replica_type[role.name]: {"replicas": role.replicas, "restartPolicy": "Never",
                                           "template": templates[role.name]} for role in roles}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": {"name": name, "labels": labels},
                "spec": {"runPolicy": {"backoffLimit": 0, "cleanPodPolicy": "None"}, self._specs_key: specs}}

    def verdict(self, obj: dict[str, Any]) -> tuple[str, str] | None:
        return _verdict_of_conditions(obj, self.kind, "Succeeded")


# -------------------------------------------------------------------------------- Kubeflow Trainer v2 TrainJob
_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"


class TrainJobWorkload(Workload):
    """A ``trainer.kubeflow.org/v1alpha1`` TrainJob on a ClusterTrainingRuntime (``torch-distributed`` unless
    ``trainerRuntime`` names another): the PyTorchJob roles become ``numNodes`` = master + worker replicas, each
    node with the worker role's image and resources (the master's where there is no worker); node 0 is the lead
    replica and runs the master's command. Trainer builds the pods from the runtime's JobSet, so NNI's labels,
    the shared volume and the placement keys go in as a runtime patch of the ``node`` replicated job (Trainer
    2.2 and later); a Trainer that does not know ``runtimePatches`` refuses the TrainJob (strict field
    validation) instead of silently running pods without the shared volume."""

    kind, group, version, plural = "TrainJob", "trainer.kubeflow.org", "v1alpha1", "trainjobs"
    container_name = "node"  # the trainer container of Trainer's runtimes
    replicated_job = "node"  # and their trainer replicated job
    replica_field = f"metadata.annotations['{_COMPLETION_INDEX}']"  # the node rank of an Indexed Job's pod
    patch_manager = "nni"

    def __init__(self, config: KubeflowConfig) -> None:
        self.config = config
        self.runtime = config.trainer_runtime or DEFAULT_TRAINER_RUNTIME

    def roles(self, job: TrialJob) -> list[PodRole]:
        roles = self.config.roles()
        node = roles.get("worker") or roles["master"]
        lead = roles.get("master") or node
        command, lead_command = node.command or job.command, lead.command or job.command
        return [PodRole("node", sum(r.replicas for r in roles.values()), command, node.docker_image,
                        node.cpu_number, node.memory_size, node.gpu_number, node.code_directory,
                        lead_command=lead_command if lead_command != command else None)]

    def lead_replica(self, name: str, roles: list[PodRole]) -> str | None:
        return "0"

    def replica_of(self, pod: dict[str, Any]) -> str:
        meta = pod["metadata"]
        return (meta.get("annotations") or {}).get(_COMPLETION_INDEX) or (meta.get("labels") or {}).get(
            _COMPLETION_INDEX) or meta["name"]

    def manifest(self, name: str, labels: dict[str, str], templates: dict[str, dict[str, Any]],
                 roles: list[PodRole]) -> dict[str, Any]:
        template = templates["node"]
        pod_spec, container = template["spec"], template["spec"]["containers"][0]
        trainer: dict[str, Any] = {"image": container["image"], "command": container["command"],
                                   "env": container["env"], "numNodes": roles[0].replicas}
        if "resources" in container:
            trainer["resourcesPerNode"] = container["resources"]
        pod_patch: dict[str, Any] = {key: pod_spec[key] for key in (
            "volumes", "nodeSelector", "tolerations", "serviceAccountName", "imagePullSecrets") if key in pod_spec}
        pod_patch["containers"] = [{"name": self.container_name, "volumeMounts": container["volumeMounts"]}]
        replicated_job = {"name": self.replicated_job, "template": {"spec": {"template": {
            "metadata": template["metadata"], "spec": pod_patch}}}}
        patch = {"manager": self.patch_manager,
                 "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [replicated_job]}}}}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": {"name": name, "labels": labels},
                "spec": {"runtimeRef": {"apiGroup": self.group, "kind": "ClusterTrainingRuntime", "name": self.runtime},
                         "trainer": trainer, "runtimePatches": [patch]}}

    def verdict(self, obj: dict[str, Any]) -> tuple[str, str] | None:
        return _verdict_of_conditions(obj, self.kind, "Complete")

    def waiting_reason(self, obj: dict[str, Any]) -> str | None:
        suspended = _true_condition(obj, "Suspended")
        return f"TrainJob suspended: {_condition_text(suspended) or 'Suspended'}" if suspended else None

    def create(self, api_client: Any, namespace: str, body: dict[str, Any]) -> None:
        self._custom(api_client).create_namespaced_custom_object(self.group, self.version, namespace, self.plural, body,
                                                                 field_validation="Strict")

    def explain_refusal(self, text: str) -> str:
        if "runtimePatches" in text:
            return (f"{text} (this Kubeflow Trainer predates 2.2, which added spec.runtimePatches; NNI needs it to "
                    "mount the shared volume into the nodes: upgrade Kubeflow Trainer)")
        if "runtime" in text.lower() and ("not found" in text or "unsupported runtime" in text):
            return f"{text} (name an installed ClusterTrainingRuntime in trainingService.trainerRuntime)"
        return text

    def runtime_problem(self, api_client: Any) -> str | None:
        """Why the runtime cannot be used (it does not exist), or None; an account that may not read
        ClusterTrainingRuntimes learns it from the admission webhook at the first trial instead."""
        try:
            self._custom(api_client).get_cluster_custom_object(self.group, self.version, "clustertrainingruntimes",
                                                               self.runtime)
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                return (f"this cluster has no ClusterTrainingRuntime {self.runtime!r}, which the trials' TrainJobs "
                        f"would run on; install Kubeflow Trainer's runtimes (kubectl get clustertrainingruntimes "
                        f"lists them) or name an installed one in trainingService.trainerRuntime")
        return None


# ------------------------------------------------------------------------------ FrameworkController Framework
class FrameworkWorkload(Workload):
    kind, group, version, plural = "Framework", "frameworkcontroller.microsoft.com", "v1", "frameworks"
    container_name = "framework"

    def __init__(self, config: FrameworkControllerConfig) -> None:
        self.config = config

    def roles(self, job: TrialJob) -> list[PodRole]:
        out = []
        for role in self.config.task_roles:
            policy = role.framework_attempt_completion_policy
            out.append(PodRole(role.name or "worker", role.task_number, role.command or job.command, role.docker_image,
                               role.cpu_number, role.memory_size, role.gpu_number, None,
                               (("minFailedTaskCount", policy.min_failed_task_count),
                                ("minSucceededTaskCount", policy.min_succeeded_task_count))))
        return out

    def lead_replica(self, name: str, roles: list[PodRole]) -> str | None:
        return f"{name}-{roles[0].name}-0"

    def manifest(self, name: str, labels: dict[str, str], templates: dict[str, dict[str, Any]],
                 roles: list[PodRole]) -> dict[str, Any]:
        no_retry = {"fancyRetryPolicy": False, "maxRetryCount": 0}
        task_roles = []
        for role in roles:
            template = templates[role.name]
            template["spec"]["restartPolicy"] = "Never"
            task_roles.append({"name": role.name, "taskNumber": role.replicas,
                               "frameworkAttemptCompletionPolicy": dict(role.extra),
                               "task": {"retryPolicy": no_retry, "pod": template}})
        spec: dict[str, Any] = {"executionType": "Start", "retryPolicy": no_retry, "taskRoles": task_roles}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": {"name": name, "labels": labels},
                "spec": spec}

    def verdict(self, obj: dict[str, Any]) -> tuple[str, str] | None:
        status = obj.get("status") or {}
        if status.get("state") != "Completed":
            return None
        completion = (status.get("attemptStatus") or {}).get("completionStatus") or {}
        kind = ((completion.get("type") or {}).get("name")) or "Failed"
        if kind == "Succeeded":
            return TrialStatus.SUCCEEDED, ""
        text = ": ".join(str(p) for p in (completion.get("phrase"), completion.get("diagnostics")) if p)
        return TrialStatus.FAILED, f"Framework {text or 'failed'}"


def workload_for(config: Any) -> Workload:
    if isinstance(config, KubeflowConfig):
        return KubeflowWorkload(config)
    if isinstance(config, FrameworkControllerConfig):
        return FrameworkWorkload(config)
    return JobWorkload(config)
