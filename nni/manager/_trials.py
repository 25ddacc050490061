"""``TrialOps``: creating, submitting, killing and ending trials, each written to the store before the
platform is asked (persist, then act)."""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Sequence
from typing import Any

from nni.errors import NNIError
from nni.objectives import OBJECTIVES_VARIABLE
from nni.platforms.base import Platform, TrialJob
from nni.status import TrialStatus
from nni.storage import ExperimentStore, TrialRecord

from ._state import ActiveTrial, ManagerState

__all__ = ["TrialOps"]

_log = logging.getLogger("nni.manager")
_ID_CHARS = string.ascii_letters + string.digits


class TrialOps:
    """The trials of one experiment: ``state`` follows them, ``store`` records them, ``platform`` runs them
    (``config``: the typed ``ExperimentConfig``, for the trial command, code folder and GPU number)."""

    def __init__(self, state: ManagerState, store: ExperimentStore, config: Any, platform: Platform) -> None:
        self._state = state
        self._store = store
        self._config = config
        self.platform = platform

    def job(self, record: TrialRecord) -> TrialJob:
        config = self._config
        objectives = config.objective_spec()
        env = {OBJECTIVES_VARIABLE: ",".join(objectives.names)} if objectives is not None else {}
        return TrialJob(
            trial_job_id=record.trial_job_id, sequence_id=record.sequence_id, parameter_id=record.parameter_id,
            parameters=record.parameters, command=str(config.trial_command or ""),
            code_dir=str(config.trial_code_directory), gpu_number=int(config.trial_gpu_number or 0),
            parameter_source=record.parameter_source, metrics_offset=record.metrics_offset, env=env,
        )

    def _new_id(self) -> str:
        while True:
            trial_id = "".join(secrets.choice(_ID_CHARS) for _ in range(5))
            if trial_id not in self._state.active and self._store.trial(trial_id) is None:
                return trial_id

    def create(self, parameter_id: int, parameters: dict[str, Any], source: str,
               resumed_from: str | None = None) -> TrialRecord:
        """Persist a new trial (inside the caller's transaction when there is one)."""
        parameters = _plain(parameters)
        trial_id = self._new_id()
        data: dict[str, Any] = {"sequence_id": self._state.take_sequence_id(), "parameter_id": parameter_id,
                                "parameters": parameters, "parameter_source": source}
        if resumed_from:
            data["resumed_from"] = resumed_from
        record = self._store.add_trial_event(trial_id, "CREATED", data)
        if source != "resumed":
            self._state.counted += 1
        return record

    def follow(self, record: TrialRecord) -> TrialRecord:
        """Count the trial as active (it takes a slot at once); :meth:`start` hands it to the platform."""
        self._state.active[record.trial_job_id] = ActiveTrial(record)
        _log.info("trial %s (sequence %d, parameter %d, %s) submitted: %s", record.trial_job_id,
                  record.sequence_id, record.parameter_id, record.parameter_source, record.parameters)
        return record

    def start(self, records: Sequence[TrialRecord]) -> None:
        """Submit followed trials to the platform together (one scheduling pass: one Slurm job array)."""
        if records:
            self.platform.submit_many([self.job(record) for record in records])

    def kill(self, active: ActiveTrial, status: TrialStatus | str, reason: str) -> None:
        if active.kill_status is not None:
            return
        active.kill_status = status
        active.record = self._store.add_trial_event(active.record.trial_job_id, "KILL",
                                                    {"status": status, "reason": reason})
        self.platform.kill(active.record.trial_job_id, status)

    def end_queued(self, record: TrialRecord, status: TrialStatus, reason: str) -> None:
        """A trial created but never submitted just ends."""
        self._state.queued.remove(record)
        self._end_unsubmitted(record, status, reason)

    def end_all_queued(self, status: TrialStatus, reason: str) -> None:
        for record in list(self._state.queued):
            self._end_unsubmitted(record, status, reason)
        self._state.queued.clear()

    def _end_unsubmitted(self, record: TrialRecord, status: TrialStatus, reason: str) -> None:
        self._store.add_trial_event(record.trial_job_id, "EXITED", {"status": status, "reason": reason})


def _plain(value: Any) -> Any:
    """Parameters as plain JSON values: numpy scalars and arrays (which tuners often return) become
    Python numbers and lists, tuples become lists, dict keys strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    for method in ("tolist", "item"):  # numpy arrays / scalars, without importing numpy
        fn = getattr(value, method, None)
        if callable(fn):
            return _plain(fn())
    raise NNIError(f"the tuner returned a parameter value that is not JSON data: {value!r} ({type(value).__name__})")
