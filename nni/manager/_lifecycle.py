"""The end of an experiment, as methods of the manager: its deadlines (maxExperimentDuration,
maxTrialDuration), when it is DONE, and stopping (kill what runs, wait for the exits, stop the platform)."""

from __future__ import annotations

import logging
import queue
import time
from typing import TYPE_CHECKING

from nni.errors import NNIError
from nni.platforms.base import TrialExited, TrialMetric
from nni.status import ExperimentStatus
from nni.storage import NewMetric

from . import commands as cmd

if TYPE_CHECKING:
    from ._manager import ExperimentManager

__all__ = ["Lifecycle"]

_log = logging.getLogger("nni.manager")


class Lifecycle:
    """Mixed into ``ExperimentManager``."""

    def _deadline_for_experiment(self: ExperimentManager) -> float | None:
        max_duration = self._limits.get("maxExperimentDuration")
        if max_duration is None:
            return None
        return self._run_start + float(max_duration) - self._elapsed_before

    def _next_deadline_in(self: ExperimentManager) -> float | None:
        deadlines = []
        exp = self._deadline_for_experiment()
        if exp is not None and not self._duration_over:
            deadlines.append(exp)
        max_trial = self._limits.get("maxTrialDuration")
        if max_trial is not None:
            deadlines += [a.started + float(max_trial) for a in self._active.values()
                          if a.started is not None and a.kill_status is None]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def _check_deadlines(self: ExperimentManager) -> None:
        now = time.monotonic()
        max_trial = self._limits.get("maxTrialDuration")
        if max_trial is not None:
            for active in list(self._active.values()):
                if active.started is not None and active.kill_status is None and \
                        now >= active.started + float(max_trial):
                    self._kill(active, "SYS_CANCELED", f"maxTrialDuration ({max_trial:g}s) reached")
        exp = self._deadline_for_experiment()
        if exp is not None and now >= exp and not self._duration_over and self.status not in ExperimentStatus.final():
            self._duration_over = True
            _log.info("maxExperimentDuration reached: stopping the running trials")
            for active in list(self._active.values()):
                self._kill(active, "SYS_CANCELED", "maxExperimentDuration reached")
            for record in list(self._queued):
                self.store.add_trial_event(record.trial_job_id, "EXITED",
                                           {"status": "SYS_CANCELED", "reason": "maxExperimentDuration reached"})
            self._queued.clear()

    def _check_done(self: ExperimentManager) -> None:
        if self.status in ExperimentStatus.final() or self._active or self._queued:
            return
        budget = self._trial_budget()
        if self._no_more or self._duration_over or (budget is not None and budget <= 0):
            self._finish_done()

    def _finish_done(self: ExperimentManager) -> None:
        assert self._platform is not None
        self._platform.stop()
        self._set_status("DONE", end=True)

    def _stop(self: ExperimentManager) -> None:
        self._set_status("STOPPING")
        self._shutdown("USER_CANCELED", "the experiment was stopped")
        self._set_status("STOPPED", end=True)

    def _shutdown(self: ExperimentManager, status: str, reason: str) -> None:
        """Kill what runs, wait (bounded) for the exits, stop the platform, record whatever remains."""
        platform = self._platform
        for record in list(self._queued):
            self.store.add_trial_event(record.trial_job_id, "EXITED", {"status": status, "reason": reason})
        self._queued.clear()
        if platform is None:
            return
        for active in list(self._active.values()):
            try:
                self._kill(active, status, reason)
            except Exception:  # noqa: BLE001 - keep stopping the others
                _log.exception("killing trial %s failed", active.record.trial_job_id)
        deadline = time.monotonic() + self._stop_grace
        while self._active and time.monotonic() < deadline:
            if self._leftover:
                kind, payload, future = self._leftover.pop(0)
            else:
                try:
                    kind, payload, future = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if kind == "event":
                try:
                    if isinstance(payload, TrialMetric):
                        self._store_metrics_only([payload])
                    elif isinstance(payload, TrialExited) and payload.trial_job_id in self._active:
                        active = self._active.pop(payload.trial_job_id)
                        self.store.add_trial_event(active.record.trial_job_id, "EXITED",
                                                   {"status": payload.status, "exit_code": payload.exit_code,
                                                    "reason": payload.reason}, timestamp=payload.timestamp)
                except Exception:  # noqa: BLE001
                    _log.exception("while stopping: event %r", payload)
            elif kind == "command":
                if isinstance(payload, cmd.StopExperiment):
                    self._stop_futures.append(future)
                else:
                    future.set_exception(NNIError("the experiment is stopping"))
        try:
            platform.stop()
        except Exception:  # noqa: BLE001
            _log.exception("stopping the platform failed")
        for active in list(self._active.values()):
            self.store.add_trial_event(active.record.trial_job_id, "EXITED",
                                       {"status": active.kill_status or status, "exit_code": None,
                                        "reason": reason})
        self._active.clear()

    def _store_metrics_only(self: ExperimentManager, events: list[TrialMetric]) -> None:
        rows = []
        for ev in events:
            active = self._active.get(ev.trial_job_id)
            if active is not None:
                r = ev.record
                rows.append(NewMetric(ev.trial_job_id, active.record.parameter_id, r.type, r.sequence, r.value,
                                      r.timestamp, ev.offset))
        if rows:
            self.store.add_metrics(rows)

    def _drain_commands_after_end(self: ExperimentManager) -> None:
        while True:
            if self._leftover:
                kind, payload, future = self._leftover.pop(0)
            else:
                try:
                    kind, payload, future = self._queue.get_nowait()
                except queue.Empty:
                    return
            if kind == "command" and future is not None and not future.done():
                if isinstance(payload, cmd.StopExperiment):
                    future.set_result(self.status)
                else:
                    future.set_exception(NNIError(f"the experiment has ended ({self.status})"))
