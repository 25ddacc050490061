"""The platform an experiment config names (``trainingService.platform``)."""

from __future__ import annotations

from pathlib import Path

from nni.errors import ConfigError
from nni.platforms.base import Platform

from ._config_view import ManagerConfig, platform_option

__all__ = ["create_platform"]


def create_platform(config: ManagerConfig, experiment_dir: Path, experiment_id: str) -> Platform:
    name = config.platform
    if name == "local":
        from nni.platforms.local import LocalPlatform

        return LocalPlatform(
            experiment_dir, experiment_id,
            gpu_indices=platform_option(config, "gpu_indices"),
            max_trial_number_per_gpu=int(platform_option(config, "max_trial_number_per_gpu", 1)),
            use_active_gpu=bool(platform_option(config, "use_active_gpu", False)),
        )
    if name == "remote":
        from nni.platforms.remote import RemotePlatform

        return RemotePlatform(config.training_service, experiment_id=experiment_id,
                              trial_code_directory=config.trial_code_directory,
                              experiment_dir=str(experiment_dir))
    if name == "slurm":
        from nni.platforms.slurm import SlurmPlatform

        return SlurmPlatform(config.training_service, experiment_id=experiment_id, experiment_dir=experiment_dir,
                             trial_code_directory=config.trial_code_directory)
    raise ConfigError(f"training service platform {name!r} is not available here; expected local, remote or slurm",
                      key="trainingService.platform")
