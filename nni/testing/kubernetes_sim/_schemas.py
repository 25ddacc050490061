"""Strict validation of what the platform sends to the API server, against the real schemas: the OpenAPI
models of the official ``kubernetes`` client (Job, Pod template...), the Kubeflow training SDK's models
(PyTorchJob, TFJob) and, for FrameworkController's Framework and Kubeflow Trainer's TrainJob (no Python
models in the test environment), schemas written from their API types with the pod parts checked by the
Kubernetes models again.

Unlike the client's own deserializer, an unknown field is an error here (the API server would drop it
silently, so a misspelt key would never reach the cluster), and so is a missing required field or a
value of the wrong type."""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["SchemaError", "validate_manifest"]


class SchemaError(ValueError):
    pass


_MODEL_MODULES = ("kubernetes.client.models", "kubeflow.training.models")
_KIND_MODELS = {"Job": "V1Job", "PyTorchJob": "KubeflowOrgV1PyTorchJob", "TFJob": "KubeflowOrgV1TFJob"}
_LIST = re.compile(r"^list\[(.+)\]$")
_DICT = re.compile(r"^dict\((\w+), (.+)\)$")
_PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object, "datetime": str}


def _model(name: str) -> Any:
    for module in _MODEL_MODULES:
        cls = getattr(importlib.import_module(module), name, None)
        if cls is not None:
            return cls
    raise SchemaError(f"no model named {name}")


def _check(value: Any, type_name: str, path: str) -> None:
    if value is None:
        return
    if (match := _LIST.match(type_name)) is not None:
        if not isinstance(value, list):
            raise SchemaError(f"{path}: expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            _check(item, match.group(1), f"{path}[{index}]")
        return
    if (match := _DICT.match(type_name)) is not None:
        if not isinstance(value, dict):
            raise SchemaError(f"{path}: expected a mapping, got {type(value).__name__}")
        for key, item in value.items():
            _check(item, match.group(2), f"{path}.{key}")
        return
    if type_name in _PRIMITIVES:
        expected = _PRIMITIVES[type_name]
        if isinstance(value, bool) and type_name != "bool" and type_name != "object":
            raise SchemaError(f"{path}: expected {type_name}, got bool")
        if not isinstance(value, expected):  # type: ignore[arg-type]
            raise SchemaError(f"{path}: expected {type_name}, got {type(value).__name__} {value!r}")
        return
    cls = _model(type_name)
    if not isinstance(value, dict):
        raise SchemaError(f"{path}: expected an object ({type_name}), got {type(value).__name__}")
    by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    for key, item in value.items():
        if key not in by_json:
            raise SchemaError(f"{path}.{key}: unknown field of {type_name} (known: {', '.join(sorted(by_json))})")
        _check(item, cls.openapi_types[by_json[key]], f"{path}.{key}")
    # the model's constructor enforces required fields and enumerations
    try:
        _construct(cls, value)
    except ValueError as exc:
        raise SchemaError(f"{path}: {exc}") from None


def _construct(cls: Any, value: dict[str, Any]) -> None:
    by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    cls(**{by_json[k]: v for k, v in value.items()})


# FrameworkController's Framework (frameworkcontroller.microsoft.com/v1), from its documentation
_FRAMEWORK = {
    "apiVersion": "str", "kind": "str", "metadata": "V1ObjectMeta", "status": "object",
    "spec": {
        "description": "str", "executionType": ("Start", "Stop"),
        "retryPolicy": {"fancyRetryPolicy": "bool", "maxRetryCount": "int"},
        "taskRoles": [{
            "name": "str", "taskNumber": "int",
            "frameworkAttemptCompletionPolicy": {"minFailedTaskCount": "int", "minSucceededTaskCount": "int"},
            "task": {"retryPolicy": {"fancyRetryPolicy": "bool", "maxRetryCount": "int"},
                     "podGracefulDeletionTimeoutSec": "int", "pod": "V1PodTemplateSpec"},
        }],
    },
}
_REQUIRED_FRAMEWORK = {"spec": ("taskRoles",), "spec.taskRoles[]": ("name", "taskNumber",
                                                                    "frameworkAttemptCompletionPolicy", "task"),
                       "spec.taskRoles[].task": ("pod",),
                       "spec.taskRoles[].frameworkAttemptCompletionPolicy": ("minFailedTaskCount",
                                                                             "minSucceededTaskCount")}


# Kubeflow Trainer's TrainJob (trainer.kubeflow.org/v1alpha1, Trainer 2.2 and later: spec.runtimePatches), from
# pkg/apis/trainer/v1alpha1/trainjob_types.go
_CONTAINER_PATCH = {"name": "str", "env": "list[V1EnvVar]", "volumeMounts": "list[V1VolumeMount]",
                    "securityContext": "V1SecurityContext"}
_POD_SPEC_PATCH = {
    "serviceAccountName": "str", "volumes": "list[V1Volume]", "initContainers": [_CONTAINER_PATCH],
    "containers": [_CONTAINER_PATCH], "imagePullSecrets": "list[V1LocalObjectReference]",
    "securityContext": "V1PodSecurityContext", "nodeSelector": "dict(str, str)", "affinity": "V1Affinity",
    "tolerations": "list[V1Toleration]", "schedulingGates": "list[V1PodSchedulingGate]",
}
_META_PATCH = {"labels": "dict(str, str)", "annotations": "dict(str, str)"}
_TRAINJOB = {
    "apiVersion": "str", "kind": "str", "metadata": "V1ObjectMeta", "status": "object",
    "spec": {
        "runtimeRef": {"name": "str", "apiGroup": "str", "kind": "str"},
        "initializer": "object", "suspend": "bool", "activeDeadlineSeconds": "int", "managedBy": "str",
        "trainer": {"image": "str", "command": "list[str]", "args": "list[str]", "env": "list[V1EnvVar]",
                    "numNodes": "int", "resourcesPerNode": "V1ResourceRequirements", "numProcPerNode": "int"},
        "runtimePatches": [{"manager": "str", "time": "str", "trainingRuntimeSpec": {"template": {
            "metadata": _META_PATCH, "spec": {"replicatedJobs": [{"name": "str", "template": {
                "metadata": _META_PATCH, "spec": {"template": {"metadata": _META_PATCH, "spec": _POD_SPEC_PATCH}}}}]},
        }}}],
    },
}
_REQUIRED_TRAINJOB = {
    "spec": ("runtimeRef",), "spec.runtimeRef": ("name",), "spec.runtimePatches[]": ("manager",),
    "spec.runtimePatches[].trainingRuntimeSpec.template.spec.replicatedJobs[]": ("name",),
    "spec.runtimePatches[].trainingRuntimeSpec.template.spec.replicatedJobs[].template.spec.template.spec."
    "containers[]": ("name",),
}
_WRITTEN_SCHEMAS = {"Framework": (_FRAMEWORK, _REQUIRED_FRAMEWORK), "TrainJob": (_TRAINJOB, _REQUIRED_TRAINJOB)}


def _check_schema(value: Any, schema: Any, path: str, shape: str, required: dict[str, tuple[str, ...]]) -> None:
    if isinstance(schema, str):
        _check(value, schema, path)
    elif isinstance(schema, tuple):
        if value not in schema:
            raise SchemaError(f"{path}: expected one of {', '.join(schema)}, got {value!r}")
    elif isinstance(schema, list):
        if not isinstance(value, list):
            raise SchemaError(f"{path}: expected a list")
        for index, item in enumerate(value):
            _check_schema(item, schema[0], f"{path}[{index}]", f"{shape}[]", required)
    else:
        if not isinstance(value, dict):
            raise SchemaError(f"{path}: expected an object")
        for key, item in value.items():
            if key not in schema:
                raise SchemaError(f"{path}.{key}: unknown field (known: {', '.join(sorted(schema))})")
            _check_schema(item, schema[key], f"{path}.{key}" if path else key, f"{shape}.{key}" if shape else key,
                          required)
        for key in required.get(shape, ()):
            if key not in value:
                raise SchemaError(f"{path}.{key}: required field missing")


def validate_manifest(body: Any) -> None:
    """Raise :class:`SchemaError` naming the first problem of the object ``body`` (by its ``kind``)."""
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        raise SchemaError("expected an object with a kind")
    kind = body["kind"]
    if kind in _WRITTEN_SCHEMAS:
        schema, required = _WRITTEN_SCHEMAS[kind]
        _check_schema(body, schema, "", "", required)
        return
    if kind not in _KIND_MODELS:
        raise SchemaError(f"kind {kind} is not served here")
    _check(body, _KIND_MODELS[kind], kind)
