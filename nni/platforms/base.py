"""The training platform interface: where and how trial processes run.

The manager owns one platform per experiment. Contract (every platform passes the shared conformance
suite in ``nni.testing.platform_conformance``):

- ``start(sink)`` once; from then on the platform reports what happens by calling ``sink(event)``
  from any thread. ``sink`` is thread-safe and never blocks for long.
- ``submit(job)`` hands over a trial. It returns quickly. The platform may keep the job waiting (no
  free slot or GPU on any machine) and then reports ``TrialWaiting`` with the reason; when the trial
  process really starts it reports ``TrialStarted``; each metric record the trial writes becomes a
  ``TrialMetric`` (in order, each exactly once per platform instance); when the process is over it
  reports exactly one ``TrialExited``.
- Before starting the trial command the platform writes ``parameter.cfg`` (``nni.runtime.trial_channel``)
  into the trial's folder and sets NNI's environment variables (``NNI_PLATFORM``, ``NNI_EXP_ID``,
  ``NNI_TRIAL_JOB_ID``, ``NNI_SYS_DIR``, ``NNI_OUTPUT_DIR``, ``NNI_TRIAL_SEQ_ID``, ``NNI_CODE_DIR``,
  ``CUDA_VISIBLE_DEVICES`` when GPUs are assigned), built by ``nni.platforms._common.trial_environment``:
  the job's ``env`` is added, but NNI's own variables win over an entry of the same name.
- ``kill(trial_job_id)`` ends the trial and everything it started; the ``TrialExited`` that follows
  carries the status given to ``kill`` (USER_CANCELED, EARLY_STOPPED or SYS_CANCELED).
- ``reattach(job, handle)`` (after a manager restart) follows a trial started by an earlier platform
  instance, from the ``handle`` its ``TrialStarted`` carried; metrics already read are skipped using
  ``job.metrics_offset``. It returns False when the trial is gone without an exit record; the manager
  then runs it again.
- ``stop()`` kills every trial it runs and releases connections and ports; no process is left behind.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nni.runtime.trial_channel import MetricRecord

__all__ = [
    "TrialJob",
    "TrialWaiting",
    "TrialStarted",
    "TrialMetric",
    "TrialExited",
    "PlatformEvent",
    "EventSink",
    "Platform",
]

@dataclass
class TrialJob:
    """What the manager asks a platform to run."""

    trial_job_id: str
    sequence_id: int
    parameter_id: int
    parameters: dict[str, Any]
    command: str
    code_dir: str
    gpu_number: int = 0
    parameter_source: str = "algorithm"
    env: dict[str, str] = field(default_factory=dict)
    max_duration: float | None = None  # seconds; the platform kills a trial running longer (SYS_CANCELED)
    metrics_offset: int = 0  # bytes of the metrics file already consumed (set on reattach)


@dataclass(frozen=True)
class TrialWaiting:
    trial_job_id: str
    reason: str  # e.g. "no free GPU: needs 2, 1 free on this machine"


@dataclass(frozen=True)
class TrialStarted:
    trial_job_id: str
    timestamp: float
    handle: dict[str, Any]  # what reattach needs: pid, host, slurm job id, trial folder...


@dataclass(frozen=True)
class TrialMetric:
    trial_job_id: str
    record: MetricRecord
    offset: int  # byte offset in the metrics file just after this record


@dataclass(frozen=True)
class TrialExited:
    trial_job_id: str
    timestamp: float
    status: str  # a final TrialStatus
    exit_code: int | None = None
    reason: str = ""


PlatformEvent = TrialWaiting | TrialStarted | TrialMetric | TrialExited
EventSink = Callable[[PlatformEvent], None]


class Platform(abc.ABC):
    """Runs trials somewhere; see the module docstring for the contract."""

    name: str = "abstract"

    @classmethod
    def from_config(cls, config: Any, context: Any) -> Platform:
        """The platform for ``config`` (its typed ``trainingService`` section) in ``context``
        (a ``nni.platforms.PlatformContext``: experiment id and folder, trial code folder, GPU inventory)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a config")

    @classmethod
    def check_requirements(cls, config: Any) -> None:
        """Refuse ``config`` (its typed ``trainingService`` section) with one clear line (a ``ConfigError``)
        when what the platform needs here is missing (a package, a command, a readable key file...).
        The launcher calls it before it creates and reports an experiment; the default needs nothing."""
        return None

    @abc.abstractmethod
    def start(self, sink: EventSink) -> None: ...

    @abc.abstractmethod
    def submit(self, job: TrialJob) -> None: ...

    def submit_many(self, jobs: Sequence[TrialJob]) -> None:
        """Trials submitted together (the manager fills every free slot in one pass). A platform that can
        start them as one unit (Slurm: one job array) overrides this; by default each is submitted alone."""
        for job in jobs:
            self.submit(job)

    @abc.abstractmethod
    def kill(self, trial_job_id: str, status: str = "USER_CANCELED") -> None: ...

    @abc.abstractmethod
    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool: ...

    @abc.abstractmethod
    def read_file(self, trial_job_id: str, name: str) -> bytes:
        """A file of the trial's folder (``stdout``, ``stderr``, ``trial.log``...), for logs and the UI."""

    @abc.abstractmethod
    def stop(self) -> None: ...

    def trial_dir(self, trial_job_id: str) -> str | None:
        """Where the trial's folder is, as the user would look for it (may be on another host)."""
        return None
