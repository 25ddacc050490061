"""The scheduling and budget policy on a bare ``ManagerState`` (no store, no platform, no tuner)."""

from __future__ import annotations

from typing import Any

from nni.manager import _policy as policy
from nni.manager._state import ActiveTrial, ManagerState
from nni.status import ExperimentStatus
from nni.storage import TrialRecord


def _state(**limits: Any) -> ManagerState:
    base = {"trialConcurrency": 2, "maxTrialNumber": None, "maxExperimentDuration": None, "maxTrialDuration": None}
    return ManagerState(limits={**base, **limits}, status=ExperimentStatus.RUNNING, run_start=100.0)


def _record(trial_id: str) -> TrialRecord:
    return TrialRecord(trial_job_id=trial_id, sequence_id=0, parameter_id=0, parameters={}, parameter_source="algorithm",
                       status="WAITING", submit_time=0.0)


def test_queued_first_then_generate_up_to_the_budget() -> None:
    state = _state(trialConcurrency=3, maxTrialNumber=5)
    state.queued.append(_record("aaaaa"))
    assert policy.next_step(state) == policy.Step("submit")
    state.queued.clear()
    state.counted = 3
    assert policy.next_step(state) == policy.Step("generate", 2)  # free 3, budget 2
    state.active = {i: ActiveTrial(_record(i)) for i in ("a", "b", "c")}
    assert policy.next_step(state).kind == "idle"  # no free slot


def test_budget_spent_is_no_more_trial_once_then_done_when_all_ended() -> None:
    state = _state(maxTrialNumber=2)
    state.counted = 2
    state.active = {"a": ActiveTrial(_record("a"))}
    assert policy.next_step(state) == policy.Step("idle", no_more_trial=True)
    state.status = ExperimentStatus.NO_MORE_TRIAL
    assert policy.next_step(state) == policy.Step("idle")
    assert not policy.is_done(state)
    state.active.clear()
    assert policy.is_done(state)
    state.limits["maxTrialNumber"] = 3
    assert policy.reopens(state) and not policy.is_done(state)


def test_the_tuners_answer() -> None:
    state = _state()
    state.active = {"a": ActiveTrial(_record("a"))}
    assert policy.after_generate(state, "wait", 0) is False and state.wait_results and not state.no_more
    assert policy.next_step(state).kind == "idle"
    state = _state()
    assert policy.after_generate(state, "wait", 0) is True and state.no_more  # waits, but nothing runs
    state = _state()
    assert policy.after_generate(state, "ok", 1) is False and not state.no_more
    assert policy.after_generate(state, "ok", 0) is True and state.no_more


def test_customized_trials_are_refused_when_the_budget_is_spent_or_the_time_is_over() -> None:
    state = _state(maxTrialNumber=1)
    assert policy.customized_refusal(state) is None
    state.counted = 1
    assert "maxTrialNumber (1) is reached" in policy.customized_refusal(state)
    state = _state()
    state.duration_over = True
    assert policy.customized_refusal(state) == "the experiment is RUNNING; it takes no new trial"


def test_deadlines() -> None:
    state = _state(maxExperimentDuration=60.0, maxTrialDuration=10.0)
    state.elapsed_before = 20.0  # resumed after 20 s
    assert policy.experiment_deadline(state) == 140.0
    trial = ActiveTrial(_record("a"), started=110.0)
    killed = ActiveTrial(_record("b"), started=101.0, kill_status="USER_CANCELED")
    state.active = {"a": trial, "b": killed}
    assert policy.next_deadline_in(state, 115.0) == 5.0
    assert policy.overdue_trials(state, 119.0) == [] and policy.overdue_trials(state, 120.0) == [trial]
    assert not policy.experiment_overdue(state, 139.0) and policy.experiment_overdue(state, 140.0)
    state.duration_over = True
    state.active.clear()
    assert policy.next_deadline_in(state, 150.0) is None and not policy.experiment_overdue(state, 150.0)
