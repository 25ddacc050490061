"""What the web UI reads: plain records and the small ``WebuiSource`` interface a store adapter fills.

The web UI never talks SQL. It asks a source for the experiment's profile, for the trials that
changed since a cursor (all of them the first time), and for one trial's metrics. Everything else
(sorting, filtering, paging, columns, summaries, importance) is done by the web UI's own code on an
in-memory table that is refreshed incrementally, so 10,000 trials cost one full read per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ExperimentView",
    "TrialRow",
    "MetricPoint",
    "WebuiSource",
    "default_metric",
    "other_metrics",
]

@dataclass
class ExperimentView:
    """The experiment's profile as the UI shows it. Times are seconds since the epoch."""

    id: str
    name: str
    status: str
    start_time: float | None = None
    end_time: float | None = None
    error: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # camelCase, as on disk and over REST
    search_space: dict[str, Any] = field(default_factory=dict)
    max_duration: float | None = None  # seconds
    max_trials: int | None = None
    concurrency: int = 1
    optimize_mode: str = "maximize"
    folder: str | None = None
    platform: str = "local"


@dataclass
class TrialRow:
    """One trial as the table shows it. ``final`` is the reported final metric (number or dict)."""

    id: str
    seq: int
    status: str
    parameters: dict[str, Any] = field(default_factory=dict)
    start: float | None = None
    end: float | None = None
    final: Any = None
    intermediate_count: int | None = None  # known for trials without a final metric
    latest: Any = None  # latest intermediate result (number or dict) of trials without a final metric
    source: str = "algorithm"  # "algorithm", "customized", "resumed"
    message: str | None = None  # waiting reason or error


@dataclass(frozen=True)
class MetricPoint:
    type: str  # "PERIODICAL" or "FINAL"
    sequence: int
    value: Any
    timestamp: float


class WebuiSource(Protocol):
    """Read access to one experiment (a running manager's store, or a stopped experiment's folder)."""

    def experiment(self) -> ExperimentView: ...

    def trials_since(self, cursor: Any) -> tuple[list[TrialRow], Any]:
        """Trials changed after ``cursor`` (every trial when ``cursor`` is None) and the new cursor."""
        ...

    def metrics(self, trial_id: str) -> list[MetricPoint]:
        """Every metric of one trial, in report order."""
        ...

    def intermediates(self, trial_ids: Sequence[str]) -> dict[str, list[tuple[int, float]]]:
        """Default-metric intermediate series ``[(sequence, value), ...]`` of several trials."""
        ...

    def trial_folder(self, trial_id: str) -> Path | None:
        """The trial's folder on this machine (None when unknown or remote)."""
        ...


def default_metric(value: Any) -> float | None:
    """The number a metric stands for: itself, or its ``"default"`` key (None when there is none)."""
    if isinstance(value, dict):
        value = value.get("default")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def other_metrics(value: Any) -> dict[str, Any]:
    """The keys of a dict metric other than ``default`` (shown and exported as extra columns)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "default"}
    return {}
