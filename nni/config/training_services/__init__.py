"""Training service (platform) configs: platform name -> config class, imported lazily.

``local`` and ``remote`` live here; ``slurm`` is ``nni.config.training_services.slurm:SlurmConfig``; the
Kubernetes platforms (``kubernetes``, ``kubeflow``, ``frameworkcontroller``) are in ``kubernetes.py``.
Platforms NNI has but this build does not run (pai, adl, aml, ...) are refused by name, archived ones
with their replacement.
"""

from __future__ import annotations

import importlib
from typing import Any

from .._base import Context, _show
from .base import TrainingServiceConfig, platform_field

__all__ = [
    "TRAINING_SERVICES",
    "UNSUPPORTED_PLATFORMS",
    "TrainingServiceConfig",
    "platform_field",
    "platform_names",
    "config_class",
    "register_training_service",
    "training_service_from_json",
    "unsupported_platform_message",
]

TRAINING_SERVICES: dict[str, str] = {
    "local": "nni.config.training_services.local:LocalConfig",
    "remote": "nni.config.training_services.remote:RemoteConfig",
    "slurm": "nni.config.training_services.slurm:SlurmConfig",
    "kubernetes": "nni.config.training_services.kubernetes:KubernetesConfig",
    "kubeflow": "nni.config.training_services.kubernetes:KubeflowConfig",
    "frameworkcontroller": "nni.config.training_services.kubernetes:FrameworkControllerConfig",
}

# NNI platforms this build does not run.
UNSUPPORTED_PLATFORMS = ("pai", "openpai", "paiYarn", "adl", "aml", "dlc", "dlts", "hybrid")

# Platforms whose upstream project is archived: the refusal says so and names what replaces them here.
ARCHIVED_PLATFORMS = {
    "pai": "OpenPAI is archived upstream (no releases since 2021)",
    "openpai": "OpenPAI is archived upstream (no releases since 2021)",
    "paiyarn": "OpenPAI's YARN mode is archived upstream",
    "adl": "AdaptDL is archived upstream",
}
_REPLACEMENT = ("run the trials on Kubernetes instead: platform: kubernetes (a Job per trial) or platform: kubeflow "
                "(a PyTorchJob/TFJob); see 'Running on Kubernetes' in the README")


def unsupported_platform_message(platform: str) -> str:
    """Why ``platform`` (one of NNI's) is refused, and what to use instead."""
    runs = ", ".join(platform_names(available_only=True))
    archived = ARCHIVED_PLATFORMS.get(platform.lower())
    if archived:
        return f"platform {platform!r} is not supported: {archived}; {_REPLACEMENT}"
    return f"platform {platform!r} is not supported by this build; it runs: {runs}"


class _Unavailable(Exception):
    pass


def register_training_service(platform: str, class_path: str) -> None:
    """Add (or replace) a platform: ``class_path`` is ``'module:Class'``."""
    if ":" not in class_path:
        raise ValueError(f"class_path must be 'module:Class', got {class_path!r}")
    TRAINING_SERVICES[platform] = class_path


def _import(platform: str) -> type[TrainingServiceConfig]:
    module_name, _, class_name = TRAINING_SERVICES[platform].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise _Unavailable(f"module {module_name} is missing") from None
        raise
    cls = getattr(module, class_name, None)
    if cls is None:
        raise _Unavailable(f"{module_name} has no {class_name}")
    return cls


def platform_names(*, available_only: bool = False) -> list[str]:
    """The platforms this build knows (``available_only``: whose config class imports now)."""
    names = list(TRAINING_SERVICES)
    if not available_only:
        return names
    out = []
    for name in names:
        try:
            _import(name)
        except _Unavailable:
            continue
        out.append(name)
    return out


def config_class(platform: Any, *, context: Context | None = None, path: str = "trainingService.platform"
                 ) -> type[TrainingServiceConfig]:
    """The config class of ``platform``; an unknown or unsupported platform is refused by name."""
    ctx = context or Context()
    runs = ", ".join(platform_names(available_only=True))
    if not isinstance(platform, str):
        raise ctx.error(path, f"expected a platform name (one of {runs}), got {_show(platform)}")
    if platform not in TRAINING_SERVICES:
        lowered = {name.lower(): name for name in TRAINING_SERVICES}
        if platform.lower() in lowered:
            platform = lowered[platform.lower()]
        elif platform.lower() in {p.lower() for p in UNSUPPORTED_PLATFORMS}:
            raise ctx.error(path, unsupported_platform_message(platform))
        else:
            raise ctx.error(path, f"unknown platform {platform!r}; this build runs: {runs}")
    try:
        return _import(platform)
    except _Unavailable as exc:
        raise ctx.error(path, f"platform {platform!r} is not available in this build ({exc}); it runs: {runs}") from None


def training_service_from_json(data: Any, ctx: Context, path: str) -> TrainingServiceConfig:
    """Parse ``trainingService``: one mapping with ``platform`` (a list, NNI's hybrid mode, is refused)."""
    if isinstance(data, TrainingServiceConfig):
        data = data.to_json()
    if isinstance(data, (list, tuple)):
        runs = ", ".join(platform_names(available_only=True))
        raise ctx.error(path, f"a list of training services (NNI's hybrid mode) is not supported by this build; "
                              f"give one training service, with platform one of {runs}")
    if not isinstance(data, dict):
        raise ctx.error(path, f"expected a mapping with 'platform' and the platform's keys, got {_show(data)}")
    if "platform" not in data:
        runs = ", ".join(platform_names(available_only=True))
        raise ctx.error(f"{path}.platform", f"missing; the platform to run trials on, one of {runs}")
    cls = config_class(data["platform"], context=ctx, path=f"{path}.platform")
    data = dict(data, platform=cls.__dataclass_fields__["platform"].default)  # type: ignore[attr-defined]
    return cls.from_json(data, context=ctx, path=path)
