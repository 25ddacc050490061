"""Training platforms: local processes, remote machines over SSH, Slurm clusters."""

from .base import (
    EXIT_STATUSES,
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
    "EXIT_STATUSES",
    "EventSink",
    "Platform",
    "PlatformEvent",
    "TrialExited",
    "TrialJob",
    "TrialMetric",
    "TrialStarted",
    "TrialWaiting",
]
