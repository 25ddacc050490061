"""A scripted in-process platform for fast manager tests (no processes; each trial is a thread).

A script maps a ``TrialJob`` to steps::

    def script(job):
        return [Metric(0.1), Metric(0.2), Final(job.parameters["x"]), Exit(0)]

Steps: ``Metric(value)`` (PERIODICAL), ``Final(value)``, ``Sleep(seconds)``, ``Gate()`` (blocks until the
test calls ``open_gate(trial_id)`` or ``open_all()``), ``Exit(code)`` (0 -> SUCCEEDED, else FAILED).
A trial with no ``Exit`` step exits 0 after its last step. ``kill`` ends a trial at once with the
status given. Offsets are record counts (the n-th record ends at offset n).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nni.platforms.base import (
    EventSink,
    Platform,
    TrialExited,
    TrialJob,
    TrialMetric,
    TrialStarted,
    TrialWaiting,
)
from nni.runtime.trial_channel import MetricRecord

__all__ = ["FakePlatform", "Metric", "Final", "Sleep", "Gate", "Exit", "Step", "default_script"]


@dataclass(frozen=True)
class Metric:
    value: Any


@dataclass(frozen=True)
class Final:
    value: Any


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Gate:
    pass


@dataclass(frozen=True)
class Exit:
    code: int = 0


Step = Metric | Final | Sleep | Gate | Exit


def default_script(job: TrialJob) -> list[Step]:
    """Report the parameter ``x`` (or 0) as the final result and exit 0."""
    return [Final(job.parameters.get("x", 0)), Exit(0)]


@dataclass
class _Run:
    job: TrialJob
    steps: list[Step]
    killed: threading.Event = field(default_factory=threading.Event)
    kill_status: str = "USER_CANCELED"
    gate: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    done: bool = False


class FakePlatform(Platform):
    """See the module docstring. ``waiting_reason``: report ``TrialWaiting`` with it before each start.

    ``reattach_alive(job, handle) -> bool`` decides what ``reattach`` finds (default: nothing alive); a
    re-attached trial runs its script again, skipping the records before ``job.metrics_offset``.
    """

    name = "fake"

    def __init__(self, script: Callable[[TrialJob], list[Step]] = default_script, *,
                 waiting_reason: str | None = None,
                 reattach_alive: Callable[[TrialJob, dict[str, Any]], bool] | None = None,
                 record: bool = True) -> None:
        self.script = script
        self.waiting_reason = waiting_reason
        self.reattach_alive = reattach_alive or (lambda job, handle: False)
        self.submitted: list[TrialJob] = []
        self.reattached: list[TrialJob] = []
        self.kills: list[tuple[str, str]] = []
        self.stopped = False
        self.record = record  # keep ``submitted`` / ``kills`` (False for long runs: memory stays flat)
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._sink: EventSink | None = None
        self._all_open = threading.Event()

    # -- test controls --------------------------------------------------------------------------------
    def open_gate(self, trial_job_id: str) -> None:
        with self._lock:
            run = self._runs.get(trial_job_id)
        if run is not None:
            run.gate.set()

    def open_all(self) -> None:
        """Open every gate, now and for trials submitted later."""
        self._all_open.set()
        with self._lock:
            for run in self._runs.values():
                run.gate.set()

    def running(self) -> list[str]:
        with self._lock:
            return [tid for tid, run in self._runs.items() if not run.done]


    # -- Platform -------------------------------------------------------------------------------------
    def start(self, sink: EventSink) -> None:
        self._sink = sink

    def submit(self, job: TrialJob) -> None:
        if self.record:
            self.submitted.append(job)
        self._launch(job, skip=0)

    def _launch(self, job: TrialJob, skip: int) -> None:
        run = _Run(job, list(self.script(job)))
        if self._all_open.is_set():
            run.gate.set()
        with self._lock:
            self._runs[job.trial_job_id] = run
        run.thread = threading.Thread(target=self._execute, args=(run, skip), daemon=True,
                                      name=f"fake-trial-{job.trial_job_id}")
        run.thread.start()

    def _emit(self, event: Any) -> None:
        assert self._sink is not None
        self._sink(event)

    def _execute(self, run: _Run, skip: int) -> None:
        job = run.job
        if skip == 0:
            if self.waiting_reason:
                self._emit(TrialWaiting(job.trial_job_id, self.waiting_reason))
            self._emit(TrialStarted(job.trial_job_id, time.time(), {"fake": job.trial_job_id}))
        offset = 0
        sequence = 0
        code = 0
        for step in run.steps:
            if run.killed.is_set():
                break
            if isinstance(step, (Metric, Final)):
                kind = "FINAL" if isinstance(step, Final) else "PERIODICAL"
                seq = 0 if kind == "FINAL" else sequence
                if kind == "PERIODICAL":
                    sequence += 1
                offset += 1
                if offset > skip:
                    record = MetricRecord(job.trial_job_id, job.parameter_id, kind, seq, step.value, time.time())
                    self._emit(TrialMetric(job.trial_job_id, record, offset))
            elif isinstance(step, Sleep):
                run.killed.wait(step.seconds)
            elif isinstance(step, Gate):
                while not run.gate.wait(0.05):
                    if run.killed.is_set():
                        break
            elif isinstance(step, Exit):
                code = step.code
                break
        with self._lock:
            if run.done:
                return
            run.done = True
            if self._runs.get(job.trial_job_id) is run:
                del self._runs[job.trial_job_id]  # finished runs are not kept
        if run.killed.is_set():
            self._emit(TrialExited(job.trial_job_id, time.time(), run.kill_status, None, "killed"))
        else:
            self._emit(TrialExited(job.trial_job_id, time.time(), "SUCCEEDED" if code == 0 else "FAILED", code))

    def kill(self, trial_job_id: str, status: str = "USER_CANCELED") -> None:
        if self.record:
            self.kills.append((trial_job_id, status))
        with self._lock:
            run = self._runs.get(trial_job_id)
        if run is None or run.done:
            return
        run.kill_status = status
        run.killed.set()

    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        if not self.reattach_alive(job, handle):
            return False
        self.reattached.append(job)
        self._launch(job, skip=job.metrics_offset)
        return True

    def read_file(self, trial_job_id: str, name: str) -> bytes:
        raise FileNotFoundError(f"the fake platform keeps no files ({trial_job_id}/{name})")

    def stop(self) -> None:
        self.stopped = True
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if not run.done:
                run.kill_status = "USER_CANCELED"
                run.killed.set()
        for run in runs:
            if run.thread is not None:
                run.thread.join(timeout=5)
