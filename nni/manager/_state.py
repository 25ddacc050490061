"""``ManagerState``: what one experiment's loop knows and changes, as plain data.

The loop thread is its only writer. The parts read and change it explicitly: the scheduling policy
(``_policy``) decides from it, the trial operations (``_trials``) follow trials in it, the journal
(``_journal``) sets its flags while replaying, resume (``_resume``) fills it from the store.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from nni.status import ExperimentStatus, TrialStatus
from nni.storage import TrialRecord

__all__ = ["ActiveTrial", "ManagerState", "limits_of"]


def limits_of(config: Any) -> dict[str, Any]:
    """The limits of a typed ``ExperimentConfig`` as the store keeps them (camelCase; durations in seconds;
    None = no limit). ``nnictl update`` changes them while the experiment runs."""
    return {
        "trialConcurrency": config.trial_concurrency,
        "maxTrialNumber": config.max_trial_number,
        "maxExperimentDuration": config.max_experiment_duration,
        "maxTrialDuration": config.max_trial_duration,
    }


@dataclass
class ActiveTrial:
    """A trial the loop follows (submitted or re-attached, not yet exited)."""

    record: TrialRecord
    history: list[Any] = field(default_factory=list)  # its intermediate results, for the assessor
    started: float | None = None  # monotonic time it started running (for maxTrialDuration)
    kill_status: TrialStatus | str | None = None  # set once a kill was asked


@dataclass
class ManagerState:
    """Trials followed and queued, counters, limits and the tuner's flags of one running experiment."""

    limits: dict[str, Any]
    status: ExperimentStatus = ExperimentStatus.INITIALIZED
    active: dict[str, ActiveTrial] = field(default_factory=dict)
    queued: deque[TrialRecord] = field(default_factory=deque)  # created, not yet submitted (no free slot yet)
    # Trials whose last intermediate result went to the tuner as their result (includeIntermediateResults).
    early_results: set[str] = field(default_factory=set)
    counted: int = 0  # trials that count toward maxTrialNumber
    next_sequence: int = 0
    next_parameter: int = 0
    no_more: bool = False  # the tuner has no more trials (until a new search space or imported data)
    wait_results: bool = False  # the tuner waits for results of running trials
    duration_over: bool = False  # maxExperimentDuration reached
    run_start: float = field(default_factory=time.monotonic)
    elapsed_before: float = 0.0  # seconds this experiment ran before a resume
    paused_at: float | None = None  # monotonic time the clock stopped (DONE): time while DONE does not count
    stats: dict[str, Any] = field(default_factory=dict)  # resumes, replaySeconds

    def free_slots(self) -> int:
        return int(self.limits["trialConcurrency"]) - len(self.active)

    def trial_budget(self) -> int | None:
        """Trials maxTrialNumber still allows (None: no limit)."""
        max_trials = self.limits.get("maxTrialNumber")
        return None if max_trials is None else int(max_trials) - self.counted

    def budget_spent(self) -> bool:
        budget = self.trial_budget()
        return budget is not None and budget <= 0

    def take_parameter_ids(self, count: int) -> list[int]:
        ids = list(range(self.next_parameter, self.next_parameter + count))
        self.next_parameter += count
        return ids

    def take_sequence_id(self) -> int:
        self.next_sequence += 1
        return self.next_sequence - 1

    def elapsed(self) -> float:
        now = time.monotonic() if self.paused_at is None else self.paused_at
        return self.elapsed_before + (now - self.run_start)

    def pause_clock(self) -> None:
        """Stop counting toward maxExperimentDuration (the experiment is DONE)."""
        if self.paused_at is None:
            self.paused_at = time.monotonic()

    def resume_clock(self) -> None:
        """Count again from where the clock stopped (a DONE experiment runs again)."""
        if self.paused_at is not None:
            self.run_start += time.monotonic() - self.paused_at
            self.paused_at = None

    def queued_trial(self, trial_job_id: str) -> TrialRecord | None:
        return next((r for r in self.queued if r.trial_job_id == trial_job_id), None)
