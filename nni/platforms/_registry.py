"""One registry that builds a platform from its typed config: ``create_platform(config, context)``.

The launcher, the manager and the Python API all build platforms through it (fake GPUs for tests
included, through ``PlatformContext.gpu_inventory``). A platform class registers by name; each offers
``from_config(training_service_config, context)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nni.errors import ConfigError

if TYPE_CHECKING:
    from nni.config import ExperimentConfig

    from .base import Platform

__all__ = ["PlatformContext", "check_requirements", "create_platform", "platform_class", "registered_platforms"]

# platform name -> "module:Class" (imported only when that platform is used)
_PLATFORMS: dict[str, str] = {
    "local": "nni.platforms.local:LocalPlatform",
    "remote": "nni.platforms.remote:RemotePlatform",
    "slurm": "nni.platforms.slurm:SlurmPlatform",
    "kubernetes": "nni.platforms.kubernetes:KubernetesPlatform",
    "kubeflow": "nni.platforms.kubernetes:KubeflowPlatform",
    "frameworkcontroller": "nni.platforms.kubernetes:FrameworkControllerPlatform",
}


@dataclass(frozen=True)
class PlatformContext:
    """What a platform needs besides its own config section."""

    experiment_id: str
    experiment_dir: Path
    trial_code_directory: str
    gpu_inventory: Any = None  # a ``GpuInventory`` standing in for NVML (tests with a fixed GPU set)


def registered_platforms() -> list[str]:
    return list(_PLATFORMS)


def platform_class(name: str) -> type[Platform]:
    target = _PLATFORMS.get(name)
    if target is None:
        raise ConfigError(f"training service platform {name!r} is not available here; expected one of "
                          f"{', '.join(_PLATFORMS)}", key="trainingService.platform")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def create_platform(config: ExperimentConfig, context: PlatformContext) -> Platform:
    """The platform ``config.training_service`` names, built from that typed section."""
    service = config.training_service
    return platform_class(service.platform).from_config(service, context)


def check_requirements(config: ExperimentConfig) -> None:
    """Refuse, with one clear line, a config whose platform cannot run here (see
    ``Platform.check_requirements``); the launcher calls it before it reports an experiment started."""
    service = config.training_service
    if service is not None:  # none at all is the config's own error, reported where it is validated
        platform_class(service.platform).check_requirements(service)
