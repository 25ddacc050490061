"""The scheduling and budget policy: decisions taken from a ``ManagerState`` alone (no store, no platform).

- ``next_step``: what fills a free slot next (a queued trial, new trials from the tuner, nothing) and
  when the experiment is NO_MORE_TRIAL (every trial maxTrialNumber allows is submitted).
- ``after_generate``: what the tuner's answer to a request means (it waits for results, it has no more).
- ``is_done``: nothing runs, nothing is queued and nothing more will come.
- deadlines: maxExperimentDuration for the experiment, maxTrialDuration for each running trial.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nni.status import ExperimentStatus

from ._state import ActiveTrial, ManagerState

__all__ = [
    "Step",
    "next_step",
    "after_generate",
    "is_done",
    "reopens",
    "reopens_after_done",
    "customized_refusal",
    "experiment_deadline",
    "next_deadline_in",
    "overdue_trials",
    "experiment_overdue",
]

_log = logging.getLogger("nni.manager")
_SCHEDULING = (ExperimentStatus.RUNNING, ExperimentStatus.NO_MORE_TRIAL, ExperimentStatus.INITIALIZED)


@dataclass(frozen=True)
class Step:
    """One scheduling step: ``"submit"`` the first queued trial, ``"generate"`` ``count`` new trials, or
    ``"idle"`` (nothing to do now; ``no_more_trial``: the experiment becomes NO_MORE_TRIAL first)."""

    kind: str
    count: int = 0
    no_more_trial: bool = False


_IDLE = Step("idle")
_SUBMIT = Step("submit")


def next_step(state: ManagerState) -> Step:
    """Queued trials first (resumed, customized, st_callback), then new ones from the tuner."""
    if state.status not in _SCHEDULING or state.duration_over:
        return _IDLE
    free = state.free_slots()
    if free <= 0:
        return _IDLE
    if state.queued:
        return _SUBMIT
    budget = state.trial_budget()
    if budget is not None and budget <= 0:
        # as NNI: every trial is submitted, waiting for them
        return Step("idle", no_more_trial=state.status == ExperimentStatus.RUNNING)
    if state.no_more or state.wait_results:
        return _IDLE
    return Step("generate", free if budget is None else min(free, budget))


def after_generate(state: ManagerState, outcome: str, returned: int) -> bool:
    """Record what the tuner's answer (``outcome`` "ok" or "wait", ``returned`` trials) means for the next
    requests; True when the experiment becomes NO_MORE_TRIAL."""
    if outcome == "wait":
        if state.active or state.queued:
            state.wait_results = True
            _log.info("tuner waits for results of running trials")
        else:
            _log.info("tuner waits for results but no trial is running: no more trials")
            state.no_more = True
    elif not returned:
        # A shorter list may mean "no more" or "wait" (the base class hides which): only an empty
        # answer to a new request ends the tuner's trials.
        _log.info("tuner has no more trials")
        state.no_more = True
    return state.no_more and state.status == ExperimentStatus.RUNNING


def is_done(state: ManagerState) -> bool:
    if state.status in ExperimentStatus.final() or state.active or state.queued:
        return False
    return state.no_more or state.duration_over or state.budget_spent()


def reopens(state: ManagerState) -> bool:
    """After maxTrialNumber was raised: a NO_MORE_TRIAL experiment whose tuner has more runs again."""
    return state.status == ExperimentStatus.NO_MORE_TRIAL and not state.no_more and not state.budget_spent()


def reopens_after_done(state: ManagerState) -> bool:
    """After a limit was raised: a DONE experiment runs again when its tuner has more, the trial budget
    allows more and maxExperimentDuration is not reached (as NNI, whose manager stays up after DONE)."""
    if state.status != ExperimentStatus.DONE or state.no_more or state.budget_spent():
        return False
    max_duration = state.limits.get("maxExperimentDuration")
    return max_duration is None or state.elapsed() < float(max_duration)


def customized_refusal(state: ManagerState) -> str | None:
    """Why a customized trial cannot be added now (None: it can)."""
    if state.budget_spent():
        return (f"maxTrialNumber ({state.limits.get('maxTrialNumber')}) is reached; "
                "raise it (nnictl update trialnum) to add a trial")
    if state.status in ExperimentStatus.final() or state.duration_over:
        return f"the experiment is {state.status}; it takes no new trial"
    return None


def experiment_deadline(state: ManagerState) -> float | None:
    """The monotonic time maxExperimentDuration is reached (counting the time before a resume)."""
    max_duration = state.limits.get("maxExperimentDuration")
    if max_duration is None:
        return None
    return state.run_start + float(max_duration) - state.elapsed_before


def _trial_deadlines(state: ManagerState) -> list[tuple[float, ActiveTrial]]:
    max_trial = state.limits.get("maxTrialDuration")
    if max_trial is None:
        return []
    return [(a.started + float(max_trial), a) for a in state.active.values()
            if a.started is not None and a.kill_status is None]


def next_deadline_in(state: ManagerState, now: float) -> float | None:
    """Seconds until the next deadline (0 when one has passed), None when there is none (or the experiment
    has ended: a DONE experiment waits for commands only)."""
    if state.status in ExperimentStatus.final():
        return None
    deadlines = [deadline for deadline, _ in _trial_deadlines(state)]
    exp = experiment_deadline(state)
    if exp is not None and not state.duration_over:
        deadlines.insert(0, exp)
    if not deadlines:
        return None
    return max(0.0, min(deadlines) - now)


def overdue_trials(state: ManagerState, now: float) -> list[ActiveTrial]:
    """Running trials past maxTrialDuration (not being killed already)."""
    return [active for deadline, active in _trial_deadlines(state) if now >= deadline]


def experiment_overdue(state: ManagerState, now: float) -> bool:
    """maxExperimentDuration is reached now (and was not before)."""
    exp = experiment_deadline(state)
    return (exp is not None and now >= exp and not state.duration_over
            and state.status not in ExperimentStatus.final())
