"""Resume: rebuild the tuner and assessor from the store's algorithm journal, then follow the trials.

The journal (``algorithm_log``) records every call into the tuner in order, each written before the
call was made: ``update_search_space``, ``generate`` (the parameter ids asked and how many came back),
``receive`` (a FINAL result), ``receive_intermediate`` (the last intermediate result of a trial the
assessor stopped, with ``includeIntermediateResults``), ``trial_end``, ``import_data``. Replaying it on a fresh tuner makes the
same calls with the same ids and values, so a seeded tuner ends in exactly the state it had; trials are
never created again by the replay (st_callback is ignored) and no result is counted twice.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from nni.errors import NoMoreTrialError, WaitForResults

if TYPE_CHECKING:
    from ._manager import ExperimentManager

__all__ = ["resume_state", "reattach_trials"]

_log = logging.getLogger("nni.manager")


def resume_state(m: ExperimentManager) -> None:
    """Limits, counters and the algorithms' state from the store (before the platform starts)."""
    profile = m.store.profile()
    assert profile is not None and m._calls is not None
    m._limits = {**m._limits, **profile.limits}
    m._elapsed_before = float(profile.stats.get("elapsed", 0.0))
    for key in ("tunerCalls", "tunerSeconds", "assessorCalls", "assessorSeconds"):
        m._calls.stats[key] = profile.stats.get(key, 0)
    m._stats["resumes"] = int(profile.stats.get("resumes", 0)) + 1
    m.store.clear_end()
    m._next_sequence, m._next_parameter = m.store.next_ids()
    m._counted = sum(1 for t in m.store.trials() if t.parameter_source != "resumed")
    start = time.perf_counter()
    m._replaying = True
    try:
        count = _replay(m)
    finally:
        m._replaying = False
    m._stats["replaySeconds"] = time.perf_counter() - start
    _log.info("resumed %s: replayed %d journal entries into the tuner in %.3fs", m.experiment_id, count,
              m._stats["replaySeconds"])


def _replay(m: ExperimentManager) -> int:
    calls = m._calls
    assert calls is not None
    by_parameter: dict[int, Any] = {}
    for t in m.store.trials():
        if t.parameter_source == "algorithm":
            by_parameter.setdefault(t.parameter_id, t)
    warned = False
    entries = m.store.algorithm_log()
    for _id, call, data in entries:
        if call == "update_search_space":
            calls.tuner_call("update_search_space", data["search_space"])
            m._no_more = False
        elif call == "generate":
            ids = list(data["ids"])
            try:
                params = list(calls.tuner_call("generate_multiple_parameters", ids, st_callback=m._st_callback))
            except (WaitForResults, NoMoreTrialError):
                params = []
            for pid, got in zip(ids, params[: data.get("returned", len(params))], strict=False):
                stored = by_parameter.get(pid)
                if stored is not None and stored.parameters != got and not warned:
                    warned = True
                    _log.warning("the tuner made other parameters on replay than in the first run (parameter %d); "
                                 "it is not deterministic (set a seed in classArgs?), so its rebuilt state may "
                                 "differ a little", pid)
            if data.get("outcome") == "ok" and data.get("returned", 0) == 0:
                m._no_more = True
        elif call == "receive":
            record = m.store.trial(data["trial_job_id"])
            if record is not None and record.final_metric is not None:
                m._receive_final(record, record.final_metric)
        elif call == "receive_intermediate":
            record = m.store.trial(data["trial_job_id"])
            if record is not None:
                m._early_results.add(record.trial_job_id)
                m._receive_final(record, data["value"])
        elif call == "trial_end":
            record = m.store.trial(data["trial_job_id"])
            if record is not None:
                if m._assessor is not None:
                    history = m.store.intermediate_history(record.trial_job_id)
                    if history:
                        calls.assessor_call("assess_trial", record.trial_job_id, history)
                m._trial_end(record, bool(data["success"]))
        elif call == "import_data":
            calls.tuner_call("import_data", data["data"])
            m._no_more = False
    return len(entries)


def reattach_trials(m: ExperimentManager) -> None:
    """Follow the trials an earlier manager left unfinished (after ``platform.start``)."""
    from ._manager import _Active

    assert m._platform is not None
    for record in m.store.trials(status=["WAITING", "RUNNING"]):
        if record.status == "WAITING":
            if record.kill_requested:
                _end(m, record, record.kill_requested, "killed before it started")
            elif m._platform.reattach(m._job(record), record.handle or {}):
                # Still queued on the platform (a Slurm job pending in the queue): follow it, do not resubmit.
                m._active[record.trial_job_id] = _Active(record, history=[])
                _log.info("trial %s re-attached while waiting", record.trial_job_id)
            else:
                m._queued.append(record)  # never reached the platform: submit it again, same id
            continue
        job = m._job(record)
        if m._platform.reattach(job, record.handle or {}):
            active = _Active(record, history=m.store.intermediate_history(record.trial_job_id))
            if record.start_time is not None:
                active.started = time.monotonic() - max(0.0, time.time() - record.start_time)
            m._active[record.trial_job_id] = active
            _log.info("trial %s re-attached", record.trial_job_id)
            if record.kill_requested:
                m._kill(active, record.kill_requested, "kill asked before the manager restarted")
            continue
        if record.final_metric is not None:
            _end(m, record, "SUCCEEDED", "the final result was in; the process was gone when the manager resumed")
        elif record.kill_requested:
            _end(m, record, record.kill_requested, "killed while the manager was down")
        else:
            with m.store.transaction():
                new = m._create(record.parameter_id, record.parameters, "resumed", resumed_from=record.trial_job_id)
                m.store.add_trial_event(record.trial_job_id, "EXITED", {
                    "status": "SYS_CANCELED", "exit_code": None, "replaced_by": new.trial_job_id,
                    "reason": f"lost while the manager was down; run again as trial {new.trial_job_id}"})
            _log.info("trial %s was lost; its parameters run again as trial %s", record.trial_job_id,
                      new.trial_job_id)
            m._queued.append(new)


def _end(m: ExperimentManager, record: Any, status: str, reason: str) -> None:
    success = status == "SUCCEEDED"
    with m.store.transaction():
        m.store.add_trial_event(record.trial_job_id, "EXITED", {"status": status, "exit_code": None,
                                                                 "reason": reason})
        m.store.log_algorithm("trial_end", {"trial_job_id": record.trial_job_id, "success": success})
    m._trial_end(record, success)
