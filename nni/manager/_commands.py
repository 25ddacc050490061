"""``CommandHandlers``: the commands a running experiment takes (``nni.manager.commands``).

Each runs in the manager loop: validate, persist, then act; the result (or an ``NNIError`` for the
user) resolves the caller's future. The handlers get the parts they use explicitly: the state, the
store, the algorithm journal, the trial operations and how to set the experiment's status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from nni.errors import NNIError
from nni.status import ExperimentStatus, TrialStatus
from nni.storage import ExperimentStore

from . import _policy as policy
from . import commands as cmd
from ._algorithm_calls import AlgorithmFailure
from ._journal import AlgorithmJournal
from ._state import ManagerState
from ._trials import TrialOps

__all__ = ["CommandHandlers"]

_log = logging.getLogger("nni.manager")


@dataclass(kw_only=True)
class CommandHandlers:
    """Runs the commands (except ``StopExperiment``, which the loop handles) of one experiment."""

    state: ManagerState
    store: ExperimentStore
    journal: AlgorithmJournal
    trials: TrialOps
    set_status: Callable[[ExperimentStatus], None]
    experiment_id: str

    def __post_init__(self) -> None:
        self._handlers: dict[type, Callable[[Any], Any]] = {
            cmd.UpdateConcurrency: self._concurrency,
            cmd.UpdateMaxTrialNumber: self._max_trials,
            cmd.UpdateMaxDuration: self._duration,
            cmd.UpdateSearchSpace: self._search_space,
            cmd.KillTrial: self._kill,
            cmd.AddCustomizedTrial: self._customized,
            cmd.ImportData: self._import,
        }

    def run(self, command: Any, future: Future[Any]) -> None:
        """Apply ``command`` and resolve ``future``; a tuner failure also propagates (the experiment ends)."""
        handler = self._handlers.get(type(command))
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

    def _reopen(self) -> None:
        if self.state.status == ExperimentStatus.NO_MORE_TRIAL:
            self.set_status(ExperimentStatus.RUNNING)

    def _reopen_done(self) -> None:
        """A DONE experiment whose raised limit allows more trials runs again, its tuner as it was."""
        if not policy.reopens_after_done(self.state):
            return
        self.state.duration_over = False
        self.state.resume_clock()
        self.store.clear_end()
        self.set_status(ExperimentStatus.RUNNING)
        _log.info("a raised limit allows more trials: the experiment runs again")

    def _update_limit(self, key: str, value: Any) -> Any:
        self.state.limits = self.store.update_limits(**{key: value})
        _log.info("%s updated to %s", key, value)
        return value

    def _concurrency(self, c: cmd.UpdateConcurrency) -> Any:
        if isinstance(c.value, bool) or not isinstance(c.value, int) or c.value < 1:
            raise NNIError(f"trialConcurrency must be a positive integer, got {c.value!r}")
        return self._update_limit("trialConcurrency", c.value)

    def _max_trials(self, c: cmd.UpdateMaxTrialNumber) -> Any:
        if isinstance(c.value, bool) or not isinstance(c.value, int) or c.value < 0:
            raise NNIError(f"maxTrialNumber must be a non-negative integer, got {c.value!r}")
        value = self._update_limit("maxTrialNumber", c.value)
        if policy.reopens(self.state):
            self.set_status(ExperimentStatus.RUNNING)
        self._reopen_done()
        return value

    def _duration(self, c: cmd.UpdateMaxDuration) -> Any:
        if not isinstance(c.seconds, (int, float)) or isinstance(c.seconds, bool) or c.seconds <= 0:
            raise NNIError(f"maxExperimentDuration must be a positive number of seconds, got {c.seconds!r}")
        value = self._update_limit("maxExperimentDuration", float(c.seconds))
        self._reopen_done()
        return value

    def _search_space(self, c: cmd.UpdateSearchSpace) -> Any:
        from nni.search_space import validate

        validate(c.search_space)
        self.journal.update_search_space(c.search_space)
        self.state.no_more = False  # a new space may have more to try
        self._reopen()
        return None

    def _kill(self, c: cmd.KillTrial) -> Any:
        active = self.state.active.get(c.trial_job_id)
        queued = self.state.queued_trial(c.trial_job_id)
        if queued is not None:  # created, never submitted: it just ends
            self.trials.end_queued(queued, TrialStatus.USER_CANCELED, "killed by the user before it started")
            return None
        if active is None:
            record = self.store.trial(c.trial_job_id)
            if record is None:
                raise NNIError(f"no trial {c.trial_job_id!r} in experiment {self.experiment_id}")
            raise NNIError(f"trial {c.trial_job_id} has already ended ({record.status})")
        self.trials.kill(active, TrialStatus.USER_CANCELED, "killed by the user")
        return None

    def _customized(self, c: cmd.AddCustomizedTrial) -> Any:
        refusal = policy.customized_refusal(self.state)
        if refusal is not None:
            raise NNIError(refusal)
        (parameter_id,) = self.state.take_parameter_ids(1)
        with self.store.transaction():
            self.journal.record_customized(parameter_id)
            record = self.trials.create(parameter_id, dict(c.parameters), "customized")
        self.state.queued.append(record)
        self._reopen()
        return record.trial_job_id

    def _import(self, c: cmd.ImportData) -> Any:
        data = list(c.data)
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "parameter" not in item or "value" not in item:
                raise NNIError(f"import data item {i} must be {{'parameter': {{...}}, 'value': metric}}, got {item!r}")
        self.journal.import_data(data)
        self.state.no_more = False
        return len(data)
