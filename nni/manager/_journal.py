"""``AlgorithmJournal``: every call into the tuner and the assessor, written to the store and replayed.

The journal (the store's ``algorithm_log``) records the calls into the tuner in order, each written
before the call was made (persist, then act): ``update_search_space``, ``generate`` (the parameter ids
asked and how many came back), ``receive`` (a FINAL result), ``receive_intermediate`` (the last
intermediate result of a trial the assessor stopped, with ``includeIntermediateResults``), ``trial_end``,
``import_data``, and the trials the tuner did not generate on request (``customized``, ``st_callback``).

The live loop writes entries with the ``record_*`` methods (inside its own transaction when the entry
goes with other changes) and makes the calls through the same methods ``replay`` uses. Replaying the
journal on a fresh tuner makes the same calls with the same ids and values, so a seeded tuner ends in
exactly the state it had; trials are never created again by the replay (st_callback is ignored) and no
result is counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nni.errors import NoMoreTrialError, WaitForResults
from nni.objectives import Objectives, ResultError
from nni.storage import ExperimentStore, TrialRecord

from ._algorithm_calls import AlgorithmCaller
from ._state import ManagerState

__all__ = ["AlgorithmJournal"]

_log = logging.getLogger("nni.manager")


class AlgorithmJournal:
    """Writes the algorithm journal of one experiment and makes (or replays) the calls it records.

    ``on_st_callback(parameter_id, parameters)`` gets the trials a tuner sends on its own (NNI's
    ``st_callback``), except while replaying. With ``objectives`` (the config's), results reach the tuner
    as ``set_objectives`` promised (see ``nni.tuner``) and the assessor sees, for each intermediate result,
    the number of the objective it judges by (``judged``: its name)."""

    def __init__(self, store: ExperimentStore, calls: AlgorithmCaller,
                 on_st_callback: Callable[[int, dict[str, Any]], None], *,
                 objectives: Objectives | None = None, judged: str | None = None) -> None:
        self._store = store
        self.calls = calls
        self._on_st_callback = on_st_callback
        self._replaying = False
        self.objectives = objectives
        self._judged = judged

    @property
    def has_assessor(self) -> bool:
        return self.calls.assessor is not None

    # ============================================================ entries (persist first)
    def _write(self, call: str, data: dict[str, Any]) -> None:
        self._store.log_algorithm(call, data)

    def record_generate(self, ids: list[int], returned: int, outcome: str) -> None:
        self._write("generate", {"ids": ids, "returned": returned, "outcome": outcome})

    def record_receive(self, trial_job_id: str) -> None:
        self._write("receive", {"trial_job_id": trial_job_id})

    def record_receive_intermediate(self, trial_job_id: str, value: Any) -> None:
        self._write("receive_intermediate", {"trial_job_id": trial_job_id, "value": value})

    def record_trial_end(self, trial_job_id: str, success: bool) -> None:
        self._write("trial_end", {"trial_job_id": trial_job_id, "success": success})

    def record_customized(self, parameter_id: int) -> None:
        self._write("customized", {"parameter_id": parameter_id})

    def record_st_callback(self, parameter_id: int) -> None:
        self._write("st_callback", {"parameter_id": parameter_id})

    # ============================================================ calls (live and replayed)
    def update_search_space(self, space: dict[str, Any]) -> None:
        """Store the space and its journal entry, then give it to the tuner."""
        with self._store.transaction():
            self._store.set_search_space(space)
            self._write("update_search_space", {"search_space": space})
        self.calls.tuner_call("update_search_space", space)

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._write("import_data", {"data": data})
        self.calls.tuner_call("import_data", data)

    def generate(self, ids: list[int]) -> tuple[list[Any], str]:
        """Ask the tuner for ``len(ids)`` trials: (parameters, "ok") or ([], "wait") when it waits for results."""
        try:
            params = self.calls.tuner_call("generate_multiple_parameters", ids, st_callback=self._st_callback)
        except WaitForResults:
            return [], "wait"
        return list(params or []), "ok"

    def result_problem(self, value: Any) -> str | None:
        """Why a final result cannot be read against the objectives (None when it can, or none are declared)."""
        if self.objectives is None:
            return None
        try:
            self.objectives.read(value)
        except ResultError as exc:
            return str(exc)
        return None

    def receive_final(self, record: TrialRecord, value: Any) -> None:
        """Give the tuner a final result (one ``result_problem`` accepted, when objectives are declared)."""
        customized = self._is_customized(record)
        if customized and getattr(self.calls.tuner, "_accept_customized", True) is False:
            return
        extra: dict[str, Any] = {}
        spec = self.objectives
        if spec is not None and spec.is_multi:
            measured = spec.read(value)
            extra = {"objective_values": measured.objective_values, "constraint_values": measured.constraint_values}
        elif spec is not None:
            value = spec.as_default(value)
        self.calls.tuner_call("receive_trial_result", record.parameter_id, record.parameters, value,
                              customized=customized, trial_job_id=record.trial_job_id, **extra)

    def assess(self, trial_job_id: str, history: list[Any]) -> Any:
        if self.objectives is not None:
            key = self.objectives.judged(self._judged).name
            history = [item.get(key) if isinstance(item, dict) else item for item in history]
        return self.calls.assessor_call("assess_trial", trial_job_id, history)

    def trial_end(self, record: TrialRecord, success: bool) -> None:
        self.calls.tuner_call("trial_end", record.parameter_id, success)
        if self.has_assessor:
            self.calls.assessor_call("trial_end", record.trial_job_id, success)

    def _st_callback(self, parameter_id: int, parameters: dict[str, Any], *_: Any, **__: Any) -> None:
        """NNI's ``st_callback``: a tuner sends a trial on its own (e.g. after a result)."""
        if self._replaying:
            return
        self._on_st_callback(parameter_id, parameters)

    def _is_customized(self, record: TrialRecord) -> bool:
        if record.parameter_source == "customized":
            return True
        if record.parameter_source == "resumed" and record.resumed_from:
            origin = self._store.trial(record.resumed_from)
            return origin is not None and origin.parameter_source == "customized"
        return False

    # ============================================================ replay (resume)
    def replay(self, state: ManagerState) -> int:
        """Make every journaled call again on the (fresh) tuner and assessor; sets ``state``'s tuner flags
        (``no_more``, ``early_results``). Returns the number of entries replayed."""
        self._replaying = True
        try:
            return self._replay(state)
        finally:
            self._replaying = False

    def _replay(self, state: ManagerState) -> int:
        store = self._store
        by_parameter: dict[int, Any] = {}
        for t in store.trials():
            if t.parameter_source == "algorithm":
                by_parameter.setdefault(t.parameter_id, t)
        warned = False
        entries = store.algorithm_log()
        for _id, call, data in entries:
            if call == "update_search_space":
                self.calls.tuner_call("update_search_space", data["search_space"])
                state.no_more = False
            elif call == "generate":
                ids = list(data["ids"])
                try:
                    params = list(self.calls.tuner_call("generate_multiple_parameters", ids,
                                                        st_callback=self._st_callback))
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
                    state.no_more = True
            elif call == "receive":
                record = store.trial(data["trial_job_id"])
                if record is not None and record.final_metric is not None:
                    self.receive_final(record, record.final_metric)
            elif call == "receive_intermediate":
                record = store.trial(data["trial_job_id"])
                if record is not None:
                    state.early_results.add(record.trial_job_id)
                    self.receive_final(record, data["value"])
            elif call == "trial_end":
                record = store.trial(data["trial_job_id"])
                if record is not None:
                    if self.has_assessor:
                        history = store.intermediate_history(record.trial_job_id)
                        if history:
                            self.assess(record.trial_job_id, history)
                    self.trial_end(record, bool(data["success"]))
            elif call == "import_data":
                self.calls.tuner_call("import_data", data["data"])
                state.no_more = False
        return len(entries)
