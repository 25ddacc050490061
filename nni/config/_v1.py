"""Legacy v1 configs (``authorName``, ``maxExecDuration``, ``trainingServicePlatform``, ``trial: {command}``,
``machineList`` ...): detect them by their keys and convert them to v2.

The conversion also returns, for each v2 key path it produced, the v1 key path the user wrote, so
that any later error names the key as it appears in the file (``maxTrialNum``, not ``maxTrialNumber``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._base import Context, _show

__all__ = ["detect_dialect", "convert_v1", "V1_KEYS"]

# Top-level v1 keys -> v2 key (None: accepted and dropped; a dict/list section is converted below).
_TOP: dict[str, str | None] = {
    "authorName": None,
    "experimentName": "experimentName",
    "trialConcurrency": "trialConcurrency",
    "maxExecDuration": "maxExperimentDuration",
    "maxTrialNum": "maxTrialNumber",
    "maxTrialDuration": "maxTrialDuration",
    "trainingServicePlatform": "trainingService.platform",
    "searchSpacePath": "searchSpaceFile",
    "searchSpace": "searchSpace",
    "useAnnotation": "useAnnotation",
    "multiThread": None,
    "multiPhase": None,
    "nniManagerIp": "nniManagerIp",
    "logDir": "experimentWorkingDirectory",
    "logLevel": "logLevel",
    "debug": "debug",
    "versionCheck": None,
    "logCollection": None,
    "tuner": "tuner",
    "assessor": "assessor",
    "advisor": "advisor",
    "trial": "trial",
    "localConfig": "localConfig",
    "remoteConfig": "remoteConfig",
    "machineList": "machineList",
    "kubeflowConfig": "kubeflowConfig",
    "frameworkcontrollerConfig": "frameworkcontrollerConfig",
}
V1_KEYS = tuple(_TOP)

# Sections of platforms this build does not run.
_OTHER_PLATFORM_SECTIONS = {
    "paiConfig": "pai", "paiYarnConfig": "paiYarn", "amlConfig": "aml", "adlConfig": "adl",
    "dlcConfig": "dlc", "hybridConfig": "hybrid", "dltsConfig": "dlts",
}

_V1_ONLY = {
    "authorName", "maxExecDuration", "maxTrialNum", "trainingServicePlatform", "searchSpacePath",
    "multiThread", "multiPhase", "trial", "localConfig", "remoteConfig", "machineList", "logDir",
    "versionCheck", "logCollection", "kubeflowConfig", "frameworkcontrollerConfig", *_OTHER_PLATFORM_SECTIONS,
}
_V2_ONLY = {
    "trialCommand", "trainingService", "searchSpaceFile", "maxExperimentDuration", "maxTrialNumber",
    "trialCodeDirectory", "trialGpuNumber", "experimentWorkingDirectory", "tunerGpuIndices",
}

_ALGORITHM_KEYS = {
    "tuner": ("builtinTunerName", "classArgs", "codeDir", "classFileName", "className", "gpuIndices", "gpuNum",
              "includeIntermediateResults"),
    "assessor": ("builtinAssessorName", "classArgs", "codeDir", "classFileName", "className", "gpuNum"),
    "advisor": ("builtinAdvisorName", "classArgs", "codeDir", "classFileName", "className", "gpuIndices", "gpuNum"),
}
_TRIAL = {"command": "trialCommand", "codeDir": "trialCodeDirectory", "gpuNum": "trialGpuNumber"}
_LOCAL = {"gpuIndices": "gpuIndices", "maxTrialNumPerGpu": "maxTrialNumberPerGpu", "useActiveGpu": "useActiveGpu"}
_MACHINE = {
    "ip": "host", "port": "port", "username": "user", "passwd": "password", "sshKeyPath": "sshKeyFile",
    "passphrase": "passphrase", "gpuIndices": "gpuIndices", "maxTrialNumPerGpu": "maxTrialNumberPerGpu",
    "useActiveGpu": "useActiveGpu", "pythonPath": "pythonPath",
}
_REMOTE = {"reuse": "reuseMode"}
# kubeflow / frameworkcontroller: the roles sit in the trial section in v1, in trainingService in v2
_ROLE = {"replicas": "replicas", "command": "command", "gpuNum": "gpuNumber", "cpuNum": "cpuNumber",
         "memoryMB": "memorySize", "image": "dockerImage", "privateRegistryAuthPath": "privateRegistryAuthPath"}
_TASK_ROLE = {"name": "name", "taskNum": "taskNumber", "command": "command", "gpuNum": "gpuNumber",
              "cpuNum": "cpuNumber", "memoryMB": "memorySize", "image": "dockerImage",
              "frameworkAttemptCompletionPolicy": "frameworkAttemptCompletionPolicy",
              "privateRegistryAuthPath": "privateRegistryAuthPath"}
_TRIAL_ROLES = ("worker", "ps", "master", "taskRoles")
_K8S_SECTION = {"operator": "operator", "apiVersion": "apiVersion", "namespace": "namespace", "reuse": "reuseMode",
                "serviceAccountName": "serviceAccountName", "configPath": "configPath"}
_K8S_STORAGE = ("storage", "nfs", "pvc", "keyVault", "azureStorage", "uploadRetryCount")


def detect_dialect(data: Any, ctx: Context) -> str:
    """'v1' or 'v2' from the keys of ``data``; a mix of v1-only and v2-only keys is refused."""
    if not isinstance(data, Mapping):
        return "v2"
    keys = {k for k in data if isinstance(k, str)}
    v1 = sorted(keys & _V1_ONLY)
    v2 = sorted(keys & _V2_ONLY)
    if not v1:
        for kind, fields in _ALGORITHM_KEYS.items():
            section = data.get(kind)
            if isinstance(section, Mapping) and (fields[0] in section or "codeDir" in section
                                                 or "classFileName" in section):
                v1 = [f"{kind}.{fields[0] if fields[0] in section else 'codeDir'}"]
                break
    if v1 and v2:
        raise ctx.error("", f"mixes legacy v1 keys ({', '.join(v1)}) with v2 keys ({', '.join(v2)}); "
                            "write the whole config in one format (v2: trialCommand, trainingService, ...)")
    return "v1" if v1 else "v2"


def _unknown(ctx: Context, path: str, key: str, known: tuple[str, ...] | list[str], what: str) -> Exception:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"
    return ctx.error(path, f"unknown key in a v1 {what}; {hint}")


def convert_v1(data: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, str]]:
    """The v2 form of a v1 config, and the map from v2 key paths to the v1 key paths written."""
    out: dict[str, Any] = {}
    names: dict[str, str] = {}
    service: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key in _OTHER_PLATFORM_SECTIONS:
            from .training_services import unsupported_platform_message

            raise ctx.error(key, unsupported_platform_message(_OTHER_PLATFORM_SECTIONS[key]))
        if key not in _TOP:
            raise _unknown(ctx, key, key, V1_KEYS, "config")
        if key == "multiPhase" and value:
            raise ctx.error(key, "multiPhase trials are not supported by this build; remove multiPhase")
        target = _TOP[key]
        if target is None:
            continue
        if key in ("tuner", "assessor", "advisor"):
            out[key] = _algorithm(key, value, ctx, out, names)
        elif key == "trial":
            if isinstance(value, Mapping):
                value = _trial_roles(value, ctx, service, names)
            _section(value, ctx, key, _TRIAL, out, names, "", "trial section")
        elif key in ("kubeflowConfig", "frameworkcontrollerConfig"):
            _kubernetes_section(key, value, ctx, service, names)
        elif key == "localConfig":
            _section(value, ctx, key, _LOCAL, service, names, "trainingService.", "localConfig section")
        elif key == "remoteConfig":
            _section(value, ctx, key, _REMOTE, service, names, "trainingService.", "remoteConfig section")
        elif key == "machineList":
            service["machineList"] = _machines(value, ctx, names)
        elif key == "trainingServicePlatform":
            service["platform"] = value
            names["trainingService.platform"] = key
        else:
            out[target] = value
            names[target] = key
    if "trainingServicePlatform" not in data:
        raise ctx.error("trainingServicePlatform", "missing; the platform trials run on, e.g. local")
    names.setdefault("trainingService", "trainingServicePlatform")
    names.setdefault("trialCommand", "trial.command")
    names.setdefault("searchSpaceFile", "searchSpacePath")
    names.setdefault("trainingService.machineList", "machineList")
    out["trainingService"] = service
    if "trial" not in data:
        raise ctx.error("trial", "missing; the trial section, e.g. {command: python3 trial.py, codeDir: .}")
    return out, names


def _section(value: Any, ctx: Context, path: str, mapping: dict[str, str], out: dict[str, Any],
             names: dict[str, str], prefix: str, what: str) -> None:
    if not isinstance(value, Mapping):
        raise ctx.error(path, f"expected a mapping ({', '.join(mapping)}), got {_show(value)}")
    for key, item in value.items():
        if key not in mapping:
            raise _unknown(ctx, f"{path}.{key}", str(key), list(mapping), what)
        out[mapping[key]] = item
        names[prefix + mapping[key]] = f"{path}.{key}"


def _trial_roles(trial: Mapping[str, Any], ctx: Context, service: dict[str, Any], names: dict[str, str]
                 ) -> dict[str, Any]:
    """Move the kubeflow roles (``trial.worker``/``ps``/``master``) and frameworkcontroller ``trial.taskRoles``
    to the training service; return the rest of the trial section."""
    for role in ("worker", "ps", "master"):
        if role in trial:
            service[role] = {}
            _section(trial[role], ctx, f"trial.{role}", _ROLE, service[role], {}, "", f"{role} role")
            for v1_key, v2_key in _ROLE.items():
                names[f"trainingService.{role}.{v2_key}"] = f"trial.{role}.{v1_key}"
            names[f"trainingService.{role}"] = f"trial.{role}"
    if "taskRoles" in trial:
        roles = trial["taskRoles"]
        if not isinstance(roles, list):
            raise ctx.error("trial.taskRoles", f"expected a list of task roles ({{name, taskNum, command, gpuNum, cpuNum, "
                                               f"memoryMB, image}}), got {_show(roles)}")
        service["taskRoles"] = []
        for index, role in enumerate(roles):
            converted: dict[str, Any] = {}
            _section(role, ctx, f"trial.taskRoles[{index}]", _TASK_ROLE, converted, {}, "", "task role")
            for v1_key, v2_key in _TASK_ROLE.items():
                names[f"trainingService.taskRoles[{index}].{v2_key}"] = f"trial.taskRoles[{index}].{v1_key}"
            service["taskRoles"].append(converted)
        names["trainingService.taskRoles"] = "trial.taskRoles"
    return {k: v for k, v in trial.items() if k not in _TRIAL_ROLES}


def _kubernetes_section(key: str, value: Any, ctx: Context, service: dict[str, Any], names: dict[str, str]) -> None:
    """``kubeflowConfig`` / ``frameworkcontrollerConfig``: the operator and cluster keys, and the storage written
    as ``storage: nfs`` + ``nfs: {server, path}`` (or ``azureStorage`` + ``keyVault``)."""
    known = (*_K8S_SECTION, *_K8S_STORAGE)
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"expected a mapping ({', '.join(known)}), got {_show(value)}")
    storage: dict[str, Any] = {}
    for item_key, item in value.items():
        if item_key in _K8S_SECTION:
            service[_K8S_SECTION[item_key]] = item
            names[f"trainingService.{_K8S_SECTION[item_key]}"] = f"{key}.{item_key}"
        elif item_key == "storage":
            storage["storageType"] = item
        elif item_key in ("nfs", "pvc"):
            if not isinstance(item, Mapping):
                raise ctx.error(f"{key}.{item_key}", f"expected a mapping ({{server, path}}), got {_show(item)}")
            storage.update(item)
            storage.setdefault("storageType", item_key)
            for sub in item:
                names[f"trainingService.storage.{sub}"] = f"{key}.{item_key}.{sub}"
        elif item_key in ("keyVault", "azureStorage"):
            storage["storageType"] = "azureStorage"
        elif item_key == "uploadRetryCount":
            continue
        else:
            raise _unknown(ctx, f"{key}.{item_key}", str(item_key), list(known), key)
    storage.setdefault("storageType", "nfs")  # NNI's v1 default
    service["storage"] = storage
    names["trainingService.storage"] = f"{key}.storage"
    names["trainingService.storage.storageType"] = f"{key}.storage"


def _machines(value: Any, ctx: Context, names: dict[str, str]) -> Any:
    if not isinstance(value, list):
        raise ctx.error("machineList", f"expected a list of machines ({{ip, port, username, passwd | sshKeyPath}}), "
                                       f"got {_show(value)}")
    machines = []
    for index, machine in enumerate(value):
        path = f"machineList[{index}]"
        converted: dict[str, Any] = {}
        _section(machine, ctx, path, _MACHINE, converted, {}, "", "machine")
        for v1_key, v2_key in _MACHINE.items():
            names[f"trainingService.machineList[{index}].{v2_key}"] = f"{path}.{v1_key}"
        names[f"trainingService.machineList[{index}]"] = path
        machines.append(converted)
    return machines


def _algorithm(kind: str, value: Any, ctx: Context, out: dict[str, Any], names: dict[str, str]) -> Any:
    fields = _ALGORITHM_KEYS[kind]
    if not isinstance(value, Mapping):
        raise ctx.error(kind, f"expected a mapping ({fields[0]} or codeDir + classFileName + className, and classArgs), "
                              f"got {_show(value)}")
    converted: dict[str, Any] = {}
    names[kind] = kind
    for key, item in value.items():
        if key not in fields:
            raise _unknown(ctx, f"{kind}.{key}", str(key), fields, f"{kind} section")
        if key == fields[0]:
            converted["name"] = item
            names[f"{kind}.name"] = f"{kind}.{key}"
        elif key == "classArgs":
            converted["classArgs"] = item
        elif key == "includeIntermediateResults":
            converted["includeIntermediateResults"] = item
        elif key == "codeDir":
            converted["codeDirectory"] = item
            names[f"{kind}.codeDirectory"] = f"{kind}.codeDir"
        elif key == "gpuIndices":
            out["tunerGpuIndices"] = item
            names["tunerGpuIndices"] = f"{kind}.gpuIndices"
    class_file, class_name = value.get("classFileName"), value.get("className")
    if class_file is not None or class_name is not None:
        if class_file is None or class_name is None:
            missing = "classFileName" if class_file is None else "className"
            raise ctx.error(f"{kind}.{missing}", "missing; a custom v1 algorithm needs codeDir, classFileName "
                                                 "(e.g. my_tuner.py) and className (e.g. MyTuner)")
        if not isinstance(class_file, str) or not class_file.endswith(".py"):
            raise ctx.error(f"{kind}.classFileName", f"expected a Python file name like my_tuner.py, got {_show(class_file)}")
        if not isinstance(class_name, str):
            raise ctx.error(f"{kind}.className", f"expected a class name like MyTuner, got {_show(class_name)}")
        converted["className"] = f"{Path(class_file).stem}.{class_name}"
        if "codeDirectory" not in converted:
            converted["codeDirectory"] = "."
    return converted
