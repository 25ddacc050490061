"""Tuner plumbing shared by Hyperband and BOHB: budgets in the parameters, rungs fed by final results.

Every configuration handed out carries ``TRIAL_BUDGET`` (as NNI's advisors do): the trial reads
``nni.get_next_parameter()["TRIAL_BUDGET"]`` and trains that long. A promoted configuration comes back
as a new trial (a new parameter id) with the same parameters and a larger ``TRIAL_BUDGET``.
``generate_parameters`` raises ``WaitForResults`` while a rung waits for running trials and
``NoMoreTrialError`` once the schedule is complete (or the space has no unsuggested configuration left
and nothing is running).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from nni import search_space
from nni.errors import NoMoreTrialError, SearchSpaceError, WaitForResults
from nni.search_space import ParameterSpec

from .._encoding import UnitCubeEncoding
from .base import SpaceTuner, count_configurations, parse_optimize_mode
from .brackets import BracketSchedule, Job

__all__ = ["BracketTuner", "BUDGET_KEY"]

_logger = logging.getLogger(__name__)

BUDGET_KEY = "TRIAL_BUDGET"
Key = tuple[Any, ...]


class BracketTuner(SpaceTuner):
    """A tuner driven by a :class:`BracketSchedule`; subclasses pick new configurations."""

    def __init__(
        self,
        optimize_mode: str,
        max_budget: float,
        eta: float,
        s_max: int,
        exec_mode: str,
        num_iterations: int | None,
        integer_budget: bool,
        seed: int | None,
    ) -> None:
        self.optimize_mode = parse_optimize_mode(optimize_mode)
        if num_iterations is not None and (not isinstance(num_iterations, int) or num_iterations < 1):
            raise ValueError(f"num_iterations must be a positive integer or None (endless), got {num_iterations!r}")
        self.schedule = BracketSchedule(max_budget, eta, s_max, exec_mode, num_iterations)
        self.integer_budget = integer_budget
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._specs: list[ParameterSpec] | None = None
        self._enc: UnitCubeEncoding | None = None
        self._size: int | None = None
        self._seen: set[Key] = set()
        self._jobs: dict[int, Job] = {}

    # ------------------------------------------------------------------------------------ NNI hooks
    def update_search_space(self, search_space_: dict[str, Any]) -> None:
        specs = search_space.parse(search_space_)
        if any(spec.key == (BUDGET_KEY,) for spec in specs):
            raise SearchSpaceError(
                f"'{BUDGET_KEY}' is set by {type(self).__name__} for every trial; rename this parameter",
                path=BUDGET_KEY,
            )
        if self._specs is not None and specs != self._specs:
            # Open brackets hold configurations of the old space: start afresh (running trials' results
            # are then ignored by the schedule, though models may still learn from them).
            old = self.schedule
            self.schedule = BracketSchedule(old.max_budget, old.eta, old.s_max, old.exec_mode, old.num_iterations)
            self._jobs = {}
        self._specs = specs
        self._enc = UnitCubeEncoding(specs)
        self._size = count_configurations(specs)
        self._seen = set()
        self.schedule.exhausted = False

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        self._require_space()
        job = self.schedule.next_job(parameter_id, self._sample)
        if job is None:
            if self.schedule.running == 0:
                raise NoMoreTrialError(f"{type(self).__name__}: every bracket is complete")
            raise WaitForResults(
                f"{type(self).__name__}: the open rungs wait for {self.schedule.running} running trial(s)"
            )
        self._jobs[parameter_id] = job
        params, _flat = job.params
        return {**params, BUDGET_KEY: self._budget_value(job.budget)}

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        loss = self._loss(value)
        job = self._jobs.get(parameter_id)
        if job is not None and self.schedule.report(parameter_id, loss):
            self._learn(job.params[1], job.budget, loss)
            return
        flat = self._flat_or_none(parameters)  # a customized trial or a repeated result
        if flat is not None and job is None:
            budget = parameters.get(BUDGET_KEY, self.schedule.max_budget)
            if isinstance(budget, (int, float)) and not isinstance(budget, bool):
                self._learn(flat, float(budget), loss)

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        if self.schedule.is_running(parameter_id):  # ended without a final result: the worst result
            self.schedule.report(parameter_id, math.inf)

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._require_space()
        for params, flat, loss in self._imported(data):
            budget = params.get(BUDGET_KEY, self.schedule.max_budget)
            if not isinstance(budget, (int, float)) or isinstance(budget, bool):
                budget = self.schedule.max_budget
            self._learn(flat, float(budget), loss)

    # ------------------------------------------------------------------------------- for subclasses
    def _new_config(self) -> dict[Key, Any]:
        """A flat configuration for a new rung-0 slot."""
        raise NotImplementedError

    def _learn(self, flat: dict[Key, Any], budget: float, loss: float) -> None:
        """A finished result at a budget (``loss`` may be ``inf`` for a failure)."""

    # ------------------------------------------------------------------------------------- helpers
    def _sample(self, bracket: Any) -> tuple[dict[str, Any], dict[Key, Any]] | None:
        enc = self._require_space()
        assert self._specs is not None
        if self._size is not None and len(self._seen) >= self._size:
            return None
        flat = self._new_config()
        for _ in range(100):
            if enc.key_of(flat) not in self._seen and self._valid(flat):
                break
            flat = enc.decode(enc.random(self.rng, 1)[0])
        else:
            if self._size is not None:
                return None
        self._seen.add(enc.key_of(flat))
        return search_space.format_parameters(flat, self._specs), flat

    def _valid(self, flat: dict[Key, Any]) -> bool:
        """Whether every value lies in its domain (q-rounding can push a log-type value to 0)."""
        assert self._specs is not None
        return all(search_space.contains(s, flat[s.key]) for s in self._specs if s.key in flat)

    def _budget_value(self, budget: float) -> int | float:
        if self.integer_budget:
            return max(1, math.floor(budget + 1e-6))
        rounded = round(budget)
        return int(rounded) if abs(budget - rounded) < 1e-9 else float(budget)



def s_max_for(ratio: float, eta: float) -> int:
    """``floor(log_eta(ratio))``, robust to floating error (``ratio`` = max budget / min budget)."""
    return max(0, math.floor(math.log(ratio) / math.log(eta) + 1e-9))
