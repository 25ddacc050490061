"""Resume: the state and the algorithms from the store (``resume_state``, through the journal's replay),
then the trials an earlier manager left unfinished (``reattach_trials``)."""

from __future__ import annotations

import logging
import time
from typing import Any

from nni.platforms.base import Platform
from nni.status import TrialStatus
from nni.storage import ExperimentStore

from ._journal import AlgorithmJournal
from ._state import ActiveTrial, ManagerState
from ._trials import TrialOps

__all__ = ["resume_state", "reattach_trials"]

_log = logging.getLogger("nni.manager")


def resume_state(state: ManagerState, store: ExperimentStore, journal: AlgorithmJournal, experiment_id: str) -> None:
    """Limits, counters and the algorithms' state from the store (before the platform starts)."""
    profile = store.profile()
    assert profile is not None
    state.limits = {**state.limits, **profile.limits}
    state.elapsed_before = float(profile.stats.get("elapsed", 0.0))
    journal.calls.restore_stats(profile.stats)
    state.stats["resumes"] = int(profile.stats.get("resumes", 0)) + 1
    store.clear_end()
    state.next_sequence, state.next_parameter = store.next_ids()
    state.counted = sum(1 for t in store.trials() if t.parameter_source != "resumed")
    start = time.perf_counter()
    count = journal.replay(state)
    state.stats["replaySeconds"] = time.perf_counter() - start
    _log.info("resumed %s: replayed %d journal entries into the tuner in %.3fs", experiment_id, count,
              state.stats["replaySeconds"])


def reattach_trials(state: ManagerState, store: ExperimentStore, platform: Platform, trials: TrialOps,
                    journal: AlgorithmJournal) -> None:
    """Follow the trials an earlier manager left unfinished (after ``platform.start``)."""
    for record in store.trials(status=[TrialStatus.WAITING, TrialStatus.RUNNING]):
        if record.status == TrialStatus.WAITING:
            if record.kill_requested:
                _end(store, journal, record, record.kill_requested, "killed before it started")
            elif platform.reattach(trials.job(record), record.handle or {}):
                # Still queued on the platform (a Slurm job pending in the queue): follow it, do not resubmit.
                state.active[record.trial_job_id] = ActiveTrial(record, history=[])
                _log.info("trial %s re-attached while waiting", record.trial_job_id)
            else:
                state.queued.append(record)  # never reached the platform: submit it again, same id
            continue
        if platform.reattach(trials.job(record), record.handle or {}):
            active = ActiveTrial(record, history=store.intermediate_history(record.trial_job_id))
            if record.start_time is not None:
                active.started = time.monotonic() - max(0.0, time.time() - record.start_time)
            state.active[record.trial_job_id] = active
            _log.info("trial %s re-attached", record.trial_job_id)
            if record.kill_requested:
                trials.kill(active, record.kill_requested, "kill asked before the manager restarted")
            continue
        if record.final_metric is not None:
            _end(store, journal, record, TrialStatus.SUCCEEDED,
                 "the final result was in; the process was gone when the manager resumed")
        elif record.kill_requested:
            _end(store, journal, record, record.kill_requested, "killed while the manager was down")
        else:
            with store.transaction():
                new = trials.create(record.parameter_id, record.parameters, "resumed", resumed_from=record.trial_job_id)
                store.add_trial_event(record.trial_job_id, "EXITED", {
                    "status": TrialStatus.SYS_CANCELED, "exit_code": None, "replaced_by": new.trial_job_id,
                    "reason": f"lost while the manager was down; run again as trial {new.trial_job_id}"})
            _log.info("trial %s was lost; its parameters run again as trial %s", record.trial_job_id,
                      new.trial_job_id)
            state.queued.append(new)


def _end(store: ExperimentStore, journal: AlgorithmJournal, record: Any, status: str, reason: str) -> None:
    success = status == TrialStatus.SUCCEEDED
    with store.transaction():
        store.add_trial_event(record.trial_job_id, "EXITED", {"status": status, "exit_code": None, "reason": reason})
        journal.record_trial_end(record.trial_job_id, success)
    journal.trial_end(record, success)
