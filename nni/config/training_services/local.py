"""The local platform's config: trials run as processes on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .._base import option
from .._values import to_bool, to_gpu_indices, to_int
from .base import TrainingServiceConfig, platform_field

__all__ = ["LocalConfig"]


@dataclass
class LocalConfig(TrainingServiceConfig):
    platform: str = platform_field("local")
    use_active_gpu: bool | None = option(
        "useActiveGpu", to_bool, help="whether trials may use GPUs that other processes are using")
    max_trial_number_per_gpu: int = option(
        "maxTrialNumberPerGpu", to_int(1), default=1, help="how many trials may share one GPU")
    gpu_indices: list[int] | None = option(
        "gpuIndices", to_gpu_indices, help="the GPUs trials may use, e.g. [0, 1]")

    _renamed: ClassVar[dict[str, str]] = {"maxTrialNumPerGpu": "maxTrialNumberPerGpu"}
