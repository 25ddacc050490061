"""What the REST app reads: a small, store-neutral view of one experiment.

The REST routes only see :class:`ExperimentData`; ``nni.rest._store_adapter`` builds one from the
engine's SQLite store reader, tests may build one from plain objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["MetricView", "TrialView", "ProfileView", "ExperimentData"]


@dataclass(frozen=True)
class MetricView:
    trial_job_id: str
    parameter_id: int | None
    type: str  # PERIODICAL | FINAL
    sequence: int
    value: Any  # number or dict with "default"
    timestamp: float  # seconds since the epoch


@dataclass(frozen=True)
class TrialView:
    trial_job_id: str
    sequence_id: int
    status: str
    parameter_id: int | None
    parameters: dict[str, Any]
    parameter_source: str = "algorithm"
    start_time: float | None = None  # seconds since the epoch
    end_time: float | None = None
    message: str = ""  # why it waits, why it failed
    trial_dir: str | None = None
    final_metrics: tuple[MetricView, ...] = ()
    intermediate_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProfileView:
    id: str
    config: dict[str, Any]  # camelCase, passwords redacted
    status: str
    errors: tuple[str, ...] = ()
    start_time: float | None = None
    end_time: float | None = None
    revision: int = 0
    next_sequence_id: int = 0
    exec_duration: float = 0.0
    log_dir: str = ""


class ExperimentData(Protocol):
    def profile(self) -> ProfileView: ...

    def trials(self, status: str | None = None) -> list[TrialView]: ...

    def trial(self, trial_job_id: str) -> TrialView | None: ...

    def metrics(self, trial_job_id: str | None = None) -> list[MetricView]: ...

    def latest_metrics(self) -> list[MetricView]:
        """Per trial, its last metric record."""
        ...

    def statistics(self) -> dict[str, int]:
        """Trial status -> number of trials."""
        ...
