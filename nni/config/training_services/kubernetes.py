"""Configs of the Kubernetes platforms: plain ``kubernetes`` (a ``batch/v1`` Job per trial), ``kubeflow``
(a PyTorchJob or TFJob of the Kubeflow training operator) and ``frameworkcontroller`` (a Framework).

NNI's keys are read as NNI wrote them (``operator``, ``apiVersion``, ``worker``/``ps``/``master``,
``taskRoles``, ``storage`` with ``storageType: nfs``, ``namespace``, ``reuseMode``...); the keys this
build adds are shared by the three: ``kubeconfig``/``context`` (credentials stay in the kubeconfig and are
never copied into the experiment), ``nodeSelector``, ``tolerations``, ``serviceAccountName``,
``imagePullSecrets``, and ``storage.localMountPath`` (where this machine sees the shared volume);
``kubeflow`` adds ``trainerRuntime`` (each trial a Kubeflow Trainer v2 TrainJob on that ClusterTrainingRuntime).

Example (plain Kubernetes, v2)::

    trainingService:
      platform: kubernetes
      namespace: nni
      dockerImage: my-registry/trainer:1.0     # an image with python3 and nni installed
      cpuNumber: 2
      memorySize: 8G
      gpuNumber: 1                             # default: trialGpuNumber
      nodeSelector: {gpu-type: a100}
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      serviceAccountName: nni-trial
      imagePullSecrets: [my-registry]
      storage: {storageType: pvc, claimName: nni-shared, localMountPath: /mnt/nni-shared}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from .._base import ConfigBase, Context, _show, option
from .._values import (
    to_bool,
    to_choice,
    to_config,
    to_config_list,
    to_duration,
    to_int,
    to_mapping,
    to_nonempty_str,
    to_path,
    to_str,
)
from .base import TrainingServiceConfig, platform_field

__all__ = [
    "KubernetesStorageConfig",
    "KubernetesConfig",
    "KubeflowRoleConfig",
    "KubeflowConfig",
    "FrameworkAttemptCompletionPolicy",
    "FrameworkControllerRoleConfig",
    "FrameworkControllerConfig",
    "to_memory_quantity",
]

DEFAULT_IMAGE = "msranni/nni:latest"  # NNI's default image for the kubeflow and frameworkcontroller roles

_AZURE_KEYS = ("azureAccount", "azureShare", "keyVaultName", "keyVaultKey", "azureStorage", "keyVault")
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|[KMGT]i?)?$", re.IGNORECASE)
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def to_memory_quantity(value: Any, ctx: Context, path: str) -> str:
    """A memory size as a Kubernetes quantity: a bare number is megabytes (NNI's ``memoryMB``/``memorySize``),
    ``8g``/``8gb``/``8G``/``8Gi`` are gibibytes, ``512m``/``512Mi`` mebibytes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return f"{int(value)}Mi"
    if isinstance(value, str):
        match = _QUANTITY.match(value.strip())
        if match and float(match.group(1)) > 0:
            number, unit = match.group(1), (match.group(2) or "m").lower()
            return f"{number}{unit[0].upper()}i"
    raise ctx.error(path, f"expected a memory size such as 8192 (megabytes), 512Mi or 8G, got {_show(value)}")


def _to_cpu(value: Any, ctx: Context, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ctx.error(path, f"expected a number of CPUs > 0 such as 1 or 0.5, got {_show(value)}")
    return float(value)


def _to_string_map(value: Any, ctx: Context, path: str) -> dict[str, str]:
    mapping = to_mapping(value, ctx, path)
    bad = [k for k, v in mapping.items() if not isinstance(v, str)]
    if bad:
        raise ctx.error(f"{path}.{bad[0]}", f"expected a string label value, got {_show(mapping[bad[0]])}; "
                                            "quote it (e.g. \"true\")")
    return mapping


_TOLERATION_KEYS = ("key", "operator", "value", "effect", "tolerationSeconds")


def _to_tolerations(value: Any, ctx: Context, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ctx.error(path, f"expected a list of tolerations such as [{{key: nvidia.com/gpu, operator: Exists}}], "
                              f"got {_show(value)}")
    out = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        mapping = to_mapping(item, ctx, item_path)
        unknown = [k for k in mapping if k not in _TOLERATION_KEYS]
        if unknown:
            raise ctx.error(f"{item_path}.{unknown[0]}", f"unknown toleration key; expected one of: "
                                                         f"{', '.join(_TOLERATION_KEYS)}")
        if mapping.get("operator", "Equal") not in ("Equal", "Exists"):
            raise ctx.error(f"{item_path}.operator", f"expected Equal or Exists, got {_show(mapping['operator'])}")
        if mapping.get("effect") not in (None, "NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ctx.error(f"{item_path}.effect", "expected NoSchedule, PreferNoSchedule or NoExecute, "
                                                   f"got {_show(mapping['effect'])}")
        out.append(mapping)
    return out


def _to_name_list(value: Any, ctx: Context, path: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ctx.error(path, f"expected a list of secret names such as [my-registry], got {_show(value)}")
    return list(value)


def _to_namespace(value: Any, ctx: Context, path: str) -> str:
    text = to_nonempty_str(value, ctx, path)
    if not _DNS_LABEL.match(text) or len(text) > 63:
        raise ctx.error(path, f"expected a Kubernetes namespace name (lower-case letters, digits and '-'), got {text!r}")
    return text


def _placeholder_check(value: Any, ctx: Context, path: str) -> str:
    """NNI's sample configs write ``server: {your_nfs_server_ip}``, which YAML reads as a mapping."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) is None:
        raise ctx.error(path, f"is still the sample config's placeholder {{{next(iter(value))}}}; "
                              "put your NFS server's address or export path there")
    return to_nonempty_str(value, ctx, path)


@dataclass
class KubernetesStorageConfig(ConfigBase):
    """The volume shared by the trials' pods and this machine: code goes in, metrics and logs come out.

    ``storageType: nfs`` with ``server`` and ``path`` (the pods mount it directly), or ``storageType: pvc``
    with ``claimName`` (a ReadWriteMany PersistentVolumeClaim). ``localMountPath`` is where this machine
    sees the same files; for NFS it may be left out when ``server:path`` is mounted here already."""

    storage_type: str | None = option(
        "storageType", to_choice("nfs", "pvc", "azureStorage"), required=True,
        help="the shared volume: nfs (with server and path) or pvc (with claimName)")
    server: str | None = option("server", _placeholder_check, help="the NFS server's address")
    path: str | None = option("path", _placeholder_check, help="the folder the NFS server exports")
    claim_name: str | None = option("claimName", to_nonempty_str, help="the PersistentVolumeClaim to mount (pvc)")
    local_mount_path: str | None = option(
        "localMountPath", to_path("dir"), help="where this machine sees the shared volume (a mounted folder)")
    azure_account: str | None = option("azureAccount", to_str)
    azure_share: str | None = option("azureShare", to_str)
    key_vault_name: str | None = option("keyVaultName", to_str)
    key_vault_key: str | None = option("keyVaultKey", to_str, secret=True)

    # NNI's sample configs write the type as 'storage' inside the storage section
    _renamed: ClassVar[dict[str, str]] = {"storage": "storageType"}

    @classmethod
    def _label(cls) -> str:
        return "storage"

    @classmethod
    def from_json(cls, data: Any, **kwargs: Any) -> KubernetesStorageConfig:  # type: ignore[override]
        if isinstance(data, dict) and "storage" in data and "storageType" not in data:
            data = {("storageType" if k == "storage" else k): v for k, v in data.items()}
        return super().from_json(data, **kwargs)  # type: ignore[return-value]

    def _check(self, ctx: Context, path: str) -> None:
        if self.storage_type == "azureStorage" or any(getattr(self, f) for f in (
                "azure_account", "azure_share", "key_vault_name", "key_vault_key")):
            raise ctx.error(f"{path}.storageType", "Azure File storage (azureStorage with keyVault) is not supported by "
                                                   "this build: it needs Azure Key Vault calls at every start; mount "
                                                   "the Azure file share through a PersistentVolumeClaim (the azurefile "
                                                   "CSI driver) and give storageType: pvc with its claimName")
        if self.storage_type == "nfs":
            for key, value in (("server", self.server), ("path", self.path)):
                if not value:
                    raise ctx.error(f"{path}.{key}", "missing; NFS storage needs server and path (the export), "
                                                     "e.g. {storageType: nfs, server: 10.0.0.2, path: /exports/nni}")
            if self.claim_name:
                raise ctx.error(f"{path}.claimName", "claimName is for storageType: pvc; NFS storage takes server and path")
        if self.storage_type == "pvc":
            if not self.claim_name:
                raise ctx.error(f"{path}.claimName", "missing; pvc storage mounts a PersistentVolumeClaim: give its "
                                                     "claimName, e.g. {storageType: pvc, claimName: nni-shared, "
                                                     "localMountPath: /mnt/nni-shared}")
            if not self.local_mount_path:
                raise ctx.error(f"{path}.localMountPath", "missing; with pvc storage, give the folder where this machine "
                                                          "sees the claim's volume (e.g. its NFS export mounted here)")


def _to_storage(value: Any, ctx: Context, path: str) -> KubernetesStorageConfig:
    return to_config(KubernetesStorageConfig)(value, ctx, path)  # type: ignore[return-value]


@dataclass
class _ClusterConfig(TrainingServiceConfig):
    """What the three Kubernetes platforms share: where (cluster, namespace), the shared volume, pod placement."""

    namespace: str = option("namespace", _to_namespace, default="default", help="the namespace trials run in")
    storage: KubernetesStorageConfig | None = option(
        "storage", _to_storage, required=True,
        help="the shared volume, e.g. {storageType: nfs, server: 10.0.0.2, path: /exports/nni}")
    kubeconfig: str | None = option(
        "kubeconfig", to_path("file", must_exist=True),
        help="the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the pod's service account in a cluster)")
    context: str | None = option("context", to_nonempty_str, help="the kubeconfig context to use (default: current)")
    node_selector: dict[str, str] = option("nodeSelector", _to_string_map, default_factory=dict)
    tolerations: list[dict[str, Any]] = option("tolerations", _to_tolerations, default_factory=list)
    service_account_name: str | None = option("serviceAccountName", to_nonempty_str)
    image_pull_secrets: list[str] = option("imagePullSecrets", _to_name_list, default_factory=list)
    reuse_mode: bool = option("reuseMode", to_bool, default=False,
                              help="accepted for NNI's configs; each trial is its own job here")
    poll_interval: float = option(
        "pollInterval", to_duration, default=1.0,
        help="longest wait before a metric written on the shared volume is read (NFS sends no file events)")

    def role_commands(self) -> list[str]:
        """The trial commands the roles give (none for plain Kubernetes, which runs trialCommand)."""
        return []


@dataclass
class KubernetesConfig(_ClusterConfig):
    platform: str = platform_field("kubernetes")
    docker_image: str | None = option(
        "dockerImage", to_nonempty_str, required=True,
        help="the image trials run in; it needs python3 and nni (pip install nni), e.g. my-registry/trainer:1.0")
    cpu_number: float | None = option("cpuNumber", _to_cpu, help="CPUs per trial (requests and limits)")
    memory_size: str | None = option("memorySize", to_memory_quantity, help="memory per trial, e.g. 8G")
    gpu_number: int | None = option("gpuNumber", to_int(0), help="GPUs per trial (nvidia.com/gpu); default trialGpuNumber")

    _renamed: ClassVar[dict[str, str]] = {"image": "dockerImage", "cpuNum": "cpuNumber", "memoryMB": "memorySize",
                                          "gpuNum": "gpuNumber"}


# ---------------------------------------------------------------------------------------------- kubeflow
def _refuse_registry_auth(value: Any, ctx: Context, path: str) -> None:
    raise ctx.error(path, "privateRegistryAuthPath is not supported by this build (it would copy your registry "
                          "credentials into the cluster); create a docker-registry secret once (kubectl create secret "
                          "docker-registry ...) and name it in trainingService.imagePullSecrets")


@dataclass
class _RoleConfig(ConfigBase):
    """What a kubeflow role and a frameworkcontroller task role share: each pod's command, image and resources."""

    command: str | None = option("command", to_nonempty_str, help="the command each pod runs (default: trialCommand)")
    gpu_number: int = option("gpuNumber", to_int(0), default=0)
    cpu_number: float | None = option("cpuNumber", _to_cpu)
    memory_size: str | None = option("memorySize", to_memory_quantity)
    docker_image: str = option("dockerImage", to_nonempty_str, default=DEFAULT_IMAGE)
    private_registry_auth_path: None = option("privateRegistryAuthPath", _refuse_registry_auth)

    _renamed: ClassVar[dict[str, str]] = {"gpuNum": "gpuNumber", "cpuNum": "cpuNumber", "memoryMB": "memorySize",
                                          "image": "dockerImage"}


@dataclass
class KubeflowRoleConfig(_RoleConfig):
    """One replica type of a PyTorchJob/TFJob (NNI's ``worker``, ``ps`` or ``master``)."""

    replicas: int = option("replicas", to_int(1), default=1)
    code_directory: str | None = option("codeDirectory", to_path("dir", must_exist=True))

    _renamed: ClassVar[dict[str, str]] = {**_RoleConfig._renamed, "codeDir": "codeDirectory"}

    @classmethod
    def _label(cls) -> str:
        return "role"


def _to_role(value: Any, ctx: Context, path: str) -> KubeflowRoleConfig:
    return to_config(KubeflowRoleConfig)(value, ctx, path)  # type: ignore[return-value]


def _to_runtime_name(value: Any, ctx: Context, path: str) -> str:
    text = to_nonempty_str(value, ctx, path)
    if not _DNS_LABEL.match(text) or len(text) > 253:
        raise ctx.error(path, f"expected the name of a ClusterTrainingRuntime such as torch-distributed, got {text!r}")
    return text


_KUBEFLOW_ROLES = {"tf-operator": ("ps", "worker"), "pytorch-operator": ("master", "worker")}


@dataclass
class KubeflowConfig(_ClusterConfig):
    platform: str = platform_field("kubeflow")
    operator: str | None = option(
        "operator", to_choice("tf-operator", "pytorch-operator"), required=True,
        help="the Kubeflow training operator: tf-operator (TFJob) or pytorch-operator (PyTorchJob)")
    api_version: str = option(
        "apiVersion", to_nonempty_str, default="v1",
        help="the kubeflow.org API version; a version the cluster does not serve falls back to one it serves")
    worker: KubeflowRoleConfig | None = option("worker", _to_role)
    ps: KubeflowRoleConfig | None = option("ps", _to_role)
    master: KubeflowRoleConfig | None = option("master", _to_role)
    reuse_mode: bool = option("reuseMode", to_bool, default=True,
                              help="accepted for NNI's configs; each trial is its own job here")
    trainer_runtime: str | None = option(
        "trainerRuntime", _to_runtime_name,
        help="run each trial as a Kubeflow Trainer v2 TrainJob on this ClusterTrainingRuntime (pytorch-operator only; "
             "default: torch-distributed, used by itself where the cluster serves only Trainer v2)")

    def roles(self) -> dict[str, KubeflowRoleConfig]:
        """The configured roles in the order the operator names them (``Master``/``PS`` first)."""
        order = ("master", "ps", "worker")
        return {name: getattr(self, name) for name in order if getattr(self, name) is not None}

    def role_commands(self) -> list[str]:
        return [role.command for role in self.roles().values() if role.command]

    def _check(self, ctx: Context, path: str) -> None:
        super()._check(ctx, path)
        allowed = _KUBEFLOW_ROLES[self.operator or "tf-operator"]
        for name in ("worker", "ps", "master"):
            if getattr(self, name) is not None and name not in allowed:
                raise ctx.error(f"{path}.{name}", f"{self.operator} has no {name!r} role; it takes "
                                                  f"{' and '.join(allowed)}")
        if self.worker is None and self.master is None:
            raise ctx.error(f"{path}.worker", "missing; give at least a worker role, e.g. {replicas: 1, command: "
                                              "python3 mnist.py, dockerImage: msranni/nni, cpuNumber: 1, memorySize: 4G}")
        if self.master is not None and self.master.replicas != 1:
            raise ctx.error(f"{path}.master.replicas", f"a PyTorchJob has exactly one master, got {self.master.replicas}")
        if self.trainer_runtime is not None and self.operator != "pytorch-operator":
            raise ctx.error(f"{path}.trainerRuntime", f"Kubeflow Trainer v2 has no runtime for {self.operator} (TFJob) "
                                                      "trials; remove trainerRuntime to create TFJobs on the training "
                                                      "operator v1, or use operator: pytorch-operator")


# ------------------------------------------------------------------------------------- frameworkcontroller
@dataclass
class FrameworkAttemptCompletionPolicy(ConfigBase):
    min_failed_task_count: int = option("minFailedTaskCount", to_int(-1), default=1,
                                        help="failed tasks that fail the trial (-1: never)")
    min_succeeded_task_count: int = option("minSucceededTaskCount", to_int(-1), default=-1,
                                           help="succeeded tasks that end the trial as succeeded (-1: all)")

    _renamed: ClassVar[dict[str, str]] = {"minSucceedTaskCount": "minSucceededTaskCount"}

    @classmethod
    def from_json(cls, data: Any, **kwargs: Any) -> FrameworkAttemptCompletionPolicy:  # type: ignore[override]
        if isinstance(data, dict) and "minSucceedTaskCount" in data:  # NNI v2 spells it so
            data = {("minSucceededTaskCount" if k == "minSucceedTaskCount" else k): v for k, v in data.items()}
        return super().from_json(data, **kwargs)  # type: ignore[return-value]


@dataclass
class FrameworkControllerRoleConfig(_RoleConfig):
    name: str | None = option("name", to_nonempty_str, required=True, help="the task role's name, e.g. worker")
    task_number: int = option("taskNumber", to_int(1), default=1)
    framework_attempt_completion_policy: FrameworkAttemptCompletionPolicy = option(
        "frameworkAttemptCompletionPolicy", to_config(FrameworkAttemptCompletionPolicy),
        default_factory=FrameworkAttemptCompletionPolicy)

    _renamed: ClassVar[dict[str, str]] = {**_RoleConfig._renamed, "taskNum": "taskNumber"}

    @classmethod
    def _label(cls) -> str:
        return "task role"

    def _check(self, ctx: Context, path: str) -> None:
        if self.name is not None and not _DNS_LABEL.match(self.name):
            raise ctx.error(f"{path}.name", f"expected a lower-case name of letters, digits and '-' (it names pods), "
                                            f"got {self.name!r}")


def _refuse_config_path(value: Any, ctx: Context, path: str) -> None:
    raise ctx.error(path, "configPath (a hand-written Framework template) is not supported by this build; describe the "
                          "task roles in taskRoles and the volume in storage")


@dataclass
class FrameworkControllerConfig(_ClusterConfig):
    platform: str = platform_field("frameworkcontroller")
    task_roles: list[FrameworkControllerRoleConfig] = option(
        "taskRoles", to_config_list(FrameworkControllerRoleConfig), default_factory=list, required=True,
        help="the task roles, e.g. [{name: worker, taskNumber: 1, command: python3 mnist.py, cpuNumber: 1, "
             "memorySize: 4G}]")
    config_path: None = option("configPath", _refuse_config_path)
    reuse_mode: bool = option("reuseMode", to_bool, default=True,
                              help="accepted for NNI's configs; each trial is its own Framework here")

    def role_commands(self) -> list[str]:
        return [role.command for role in self.task_roles if role.command]

    def _check(self, ctx: Context, path: str) -> None:
        super()._check(ctx, path)
        names = [role.name for role in self.task_roles]
        duplicates = sorted({n for n in names if names.count(n) > 1 and n})
        if duplicates:
            raise ctx.error(f"{path}.taskRoles", f"task role names must differ; {duplicates[0]!r} is given twice")
