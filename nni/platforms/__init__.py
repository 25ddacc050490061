"""Training platforms: local processes, remote machines over SSH, Slurm clusters, Kubernetes (Jobs, Kubeflow
training-operator jobs, FrameworkController frameworks)."""

from ._registry import (
    PlatformContext,
    check_requirements,
    create_platform,
    platform_class,
    registered_platforms,
)
from .base import (
    EventSink,
    Platform,
    PlatformEvent,
    TrialExited,
    TrialJob,
    TrialMetric,
    TrialStarted,
    TrialWaiting,
)

__all__ = [
    "PlatformContext",
    "check_requirements",
    "create_platform",
    "platform_class",
    "registered_platforms",
    "EventSink",
    "Platform",
    "PlatformEvent",
    "TrialExited",
    "TrialJob",
    "TrialMetric",
    "TrialStarted",
    "TrialWaiting",
]
