"""What runs one trial on the cluster, per platform: a ``batch/v1`` Job, a Kubeflow PyTorchJob or TFJob, or a
FrameworkController Framework. Each :class:`Workload` knows its roles (the pods it asks for), its manifest
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

__all__ = ["PodRole", "Workload", "JobWorkload", "KubeflowWorkload", "FrameworkWorkload", "workload_for"]


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


class Workload(abc.ABC):
    """One trial's object on the cluster; see the module docstring."""

    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    container_name = "trial"

    @abc.abstractmethod
    def roles(self, job: TrialJob) -> list[PodRole]: ...

    @abc.abstractmethod
    def manifest(self, name: str, labels: dict[str, str], templates: dict[str, dict[str, Any]],
                 roles: list[PodRole]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def verdict(self, obj: dict[str, Any]) -> tuple[str, str] | None:
        """``(final TrialStatus, reason)`` once the controller says the workload is over, else None."""

    def lead_pod(self, name: str, roles: list[PodRole]) -> str | None:
        """The pod whose metrics and exit code are the trial's (None: the workload has one pod)."""
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

    def lead_pod(self, name: str, roles: list[PodRole]) -> str | None:
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
        if _true_condition(obj, "Succeeded"):
            return TrialStatus.SUCCEEDED, ""
        failed = _true_condition(obj, "Failed")
        if failed:
            return TrialStatus.FAILED, f"{self.kind} {_condition_text(failed)}"
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

    def lead_pod(self, name: str, roles: list[PodRole]) -> str | None:
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
