"""The commands a running experiment takes (``nni.manager.commands``), as methods of the manager.

Each runs in the manager loop: validate, persist, then act; the result (or an ``NNIError`` for the
user) resolves the caller's future.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from nni.errors import NNIError
from nni.status import ExperimentStatus

from . import commands as cmd
from ._algorithm_calls import AlgorithmFailure

if TYPE_CHECKING:
    from ._manager import ExperimentManager

__all__ = ["CommandHandlers"]

_log = logging.getLogger("nni.manager")


class CommandHandlers:
    """Mixed into ``ExperimentManager``."""

    def _run_command(self: ExperimentManager, command: Any, future: Future[Any]) -> None:
        handler: Callable[[Any], Any] | None = {
            cmd.UpdateConcurrency: self._cmd_concurrency,
            cmd.UpdateMaxTrialNumber: self._cmd_max_trials,
            cmd.UpdateMaxDuration: self._cmd_duration,
            cmd.UpdateSearchSpace: self._cmd_search_space,
            cmd.KillTrial: self._cmd_kill,
            cmd.AddCustomizedTrial: self._cmd_customized,
            cmd.ImportData: self._cmd_import,
        }.get(type(command))
        if handler is None:
            future.set_exception(NNIError(f"unknown command {command!r}"))
            return
        try:
            result = handler(command)
        except AlgorithmFailure:
            future.set_exception(NNIError("the tuner failed on this command; the experiment is in ERROR"))
            raise
        except NNIError as exc:
            future.set_exception(exc)
            return
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            _log.exception("command %r failed", command)
            future.set_exception(NNIError(f"{type(command).__name__} failed: {exc}"))
            return
        future.set_result(result)

    def _update_limit(self: ExperimentManager, key: str, value: Any) -> Any:
        self._limits = self.store.update_limits(**{key: value})
        _log.info("%s updated to %s", key, value)
        return value

    def _cmd_concurrency(self: ExperimentManager, c: cmd.UpdateConcurrency) -> Any:
        if isinstance(c.value, bool) or not isinstance(c.value, int) or c.value < 1:
            raise NNIError(f"trialConcurrency must be a positive integer, got {c.value!r}")
        return self._update_limit("trialConcurrency", c.value)

    def _cmd_max_trials(self: ExperimentManager, c: cmd.UpdateMaxTrialNumber) -> Any:
        if isinstance(c.value, bool) or not isinstance(c.value, int) or c.value < 0:
            raise NNIError(f"maxTrialNumber must be a non-negative integer, got {c.value!r}")
        value = self._update_limit("maxTrialNumber", c.value)
        budget = self._trial_budget()
        if self.status == "NO_MORE_TRIAL" and not self._no_more and (budget is None or budget > 0):
            self._set_status("RUNNING")
        return value

    def _cmd_duration(self: ExperimentManager, c: cmd.UpdateMaxDuration) -> Any:
        if not isinstance(c.seconds, (int, float)) or isinstance(c.seconds, bool) or c.seconds <= 0:
            raise NNIError(f"maxExperimentDuration must be a positive number of seconds, got {c.seconds!r}")
        return self._update_limit("maxExperimentDuration", float(c.seconds))

    def _cmd_search_space(self: ExperimentManager, c: cmd.UpdateSearchSpace) -> Any:
        from nni.search_space import validate

        validate(c.search_space)
        self._set_search_space(c.search_space, log=True)
        self._no_more = False  # a new space may have more to try
        if self.status == "NO_MORE_TRIAL":
            self._set_status("RUNNING")
        return None

    def _cmd_kill(self: ExperimentManager, c: cmd.KillTrial) -> Any:
        active = self._active.get(c.trial_job_id)
        queued = next((r for r in self._queued if r.trial_job_id == c.trial_job_id), None)
        if queued is not None:  # created, never submitted: it just ends
            self._queued.remove(queued)
            self.store.add_trial_event(queued.trial_job_id, "EXITED",
                                       {"status": "USER_CANCELED", "reason": "killed by the user before it started"})
            return None
        if active is None:
            record = self.store.trial(c.trial_job_id)
            if record is None:
                raise NNIError(f"no trial {c.trial_job_id!r} in experiment {self.experiment_id}")
            raise NNIError(f"trial {c.trial_job_id} has already ended ({record.status})")
        self._kill(active, "USER_CANCELED", "killed by the user")
        return None

    def _cmd_customized(self: ExperimentManager, c: cmd.AddCustomizedTrial) -> Any:
        budget = self._trial_budget()
        if budget is not None and budget <= 0:
            raise NNIError(f"maxTrialNumber ({self._limits.get('maxTrialNumber')}) is reached; "
                           "raise it (nnictl update trialnum) to add a trial")
        if self.status in ExperimentStatus.final() or self._duration_over:
            raise NNIError(f"the experiment is {self.status}; it takes no new trial")
        parameter_id = self._next_parameter
        self._next_parameter += 1
        with self.store.transaction():
            self.store.log_algorithm("customized", {"parameter_id": parameter_id})
            record = self._create(parameter_id, dict(c.parameters), "customized")
        self._queued.append(record)
        if self.status == "NO_MORE_TRIAL":
            self._set_status("RUNNING")
        return record.trial_job_id

    def _cmd_import(self: ExperimentManager, c: cmd.ImportData) -> Any:
        assert self._calls is not None
        data = list(c.data)
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "parameter" not in item or "value" not in item:
                raise NNIError(f"import data item {i} must be {{'parameter': {{...}}, 'value': metric}}, got {item!r}")
        self.store.log_algorithm("import_data", {"data": data})
        self._calls.tuner_call("import_data", data)
        self._no_more = False
        return len(data)
