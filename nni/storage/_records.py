"""What the store hands out (plain dataclasses) and how a trial's state derives from its events."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from nni.status import TrialStatus

__all__ = [
    "TRIAL_EVENTS",
    "ExperimentProfile",
    "TrialRecord",
    "TrialEvent",
    "MetricRow",
    "TrialChanges",
    "apply_event",
]

# CREATED: sequence_id, parameter_id, parameters, parameter_source ("algorithm" | "customized" | "resumed"),
#          resumed_from (for "resumed"). WAITING: reason. RUNNING: handle. KILL: status (a kill was asked).
# EXITED: status, exit_code, reason, replaced_by (a lost trial run again under another id).
_FINAL = frozenset(TrialStatus.final())
TRIAL_EVENTS = ("CREATED", "WAITING", "RUNNING", "KILL", "EXITED")


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


@dataclass(frozen=True)
class ExperimentProfile:
    """The experiment as a whole. Times are seconds since the epoch."""

    experiment_id: str
    name: str | None
    config: dict[str, Any]  # canonical camelCase config, secrets redacted
    search_space: dict[str, Any]  # the current one (``nnictl update searchspace`` changes it)
    limits: dict[str, Any]  # trialConcurrency, maxTrialNumber, maxExperimentDuration (s), maxTrialDuration (s)
    status: str
    start_time: float | None
    end_time: float | None
    error: str | None
    traceback: str | None
    stats: dict[str, Any]  # tuner/assessor call counts and seconds, elapsed running seconds...
    revision: int  # grows with every write; pass it to ``*_since`` queries
    updated: float

    def running_seconds(self, now: float, *, live: bool) -> float:
        """How long the experiment has run (NNI's ``execDuration``, what ``maxExperimentDuration`` counts):
        downtime between runs and time spent DONE excluded. ``live``: its manager runs now, so the clock
        goes on from when the manager last recorded it (``stats``: elapsed, elapsedAt, clockRunning)."""
        stats = self.stats or {}
        elapsed, at = stats.get("elapsed"), stats.get("elapsedAt")
        if not isinstance(elapsed, int | float):  # written before the manager recorded its clock
            return max(0.0, (self.end_time or now) - self.start_time) if self.start_time is not None else 0.0
        if live and stats.get("clockRunning") and isinstance(at, int | float):
            return float(elapsed) + max(0.0, now - at)
        return float(elapsed)


@dataclass(slots=True)
class TrialRecord:
    """A trial's current state, derived from its events (and its metrics for ``final_metric``)."""

    trial_job_id: str
    sequence_id: int
    parameter_id: int
    parameters: dict[str, Any]
    parameter_source: str  # "algorithm", "customized" or "resumed"
    status: str
    submit_time: float
    start_time: float | None = None
    end_time: float | None = None
    exit_code: int | None = None
    reason: str = ""  # why it waits, or why it ended
    handle: dict[str, Any] | None = None  # the platform's, for reattach
    final_metric: Any = None  # the FINAL value as reported (number or dict), None if none yet
    metrics_offset: int = 0
    resumed_from: str | None = None
    replaced_by: str | None = None
    kill_requested: str | None = None  # the status a pending kill asked for
    revision: int = 0

    @property
    def finished(self) -> bool:
        return self.status in _FINAL


@dataclass(frozen=True)
class TrialEvent:
    id: int
    trial_job_id: str
    event: str
    timestamp: float
    data: dict[str, Any]
    revision: int


@dataclass(slots=True)
class MetricRow:
    """One reported metric; ``value`` is kept whole (number or dict) as the trial reported it."""

    id: int
    trial_job_id: str
    parameter_id: int | None
    type: str  # "PERIODICAL" or "FINAL"
    sequence: int
    value: Any
    timestamp: float
    file_offset: int  # byte offset in the trial's metrics file just after this record
    revision: int


@dataclass(frozen=True)
class TrialChanges:
    """The trials changed after a revision, read in one snapshot (``StoreReader.trial_changes``).

    ``intermediate``: ``{trial id: (number of PERIODICAL results, the latest one)}`` of the changed trials
    that are still going or have no final result (only when asked for, and only trials with results)."""

    revision: int  # pass it back as ``since_revision`` for the next changes
    trials: list[TrialRecord]
    intermediate: dict[str, tuple[int, Any]]


def apply_event(record: TrialRecord | None, event: str, timestamp: float, data: dict[str, Any],
                trial_job_id: str) -> TrialRecord:
    """The trial's state after ``event``; the single definition of how state derives from events."""
    if event == "CREATED":
        return TrialRecord(
            trial_job_id=trial_job_id,
            sequence_id=int(data["sequence_id"]),
            parameter_id=int(data["parameter_id"]),
            parameters=data["parameters"],
            parameter_source=str(data.get("parameter_source", "algorithm")),
            status=TrialStatus.WAITING,
            submit_time=timestamp,
            resumed_from=data.get("resumed_from"),
        )
    if record is None:
        raise ValueError(f"trial {trial_job_id}: event {event} before CREATED")
    if record.finished:
        return record  # nothing changes a finished trial
    if event == "WAITING":
        return replace(record, status=TrialStatus.WAITING, reason=str(data.get("reason", "")))
    if event == "RUNNING":
        return replace(record, status=TrialStatus.RUNNING, start_time=timestamp, handle=data.get("handle"), reason="")
    if event == "KILL":
        return replace(record, kill_requested=str(data.get("status", TrialStatus.USER_CANCELED)))
    if event == "EXITED":
        return replace(
            record,
            status=str(data["status"]),
            end_time=timestamp,
            exit_code=data.get("exit_code"),
            reason=str(data.get("reason", "")),
            replaced_by=data.get("replaced_by"),
        )
    raise ValueError(f"unknown trial event {event!r}; expected one of {', '.join(TRIAL_EVENTS)}")
