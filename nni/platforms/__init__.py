"""Training platforms: local processes, remote machines over SSH, Slurm clusters."""

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
    "EventSink",
    "Platform",
    "PlatformEvent",
    "TrialExited",
    "TrialJob",
    "TrialMetric",
    "TrialStarted",
    "TrialWaiting",
]
