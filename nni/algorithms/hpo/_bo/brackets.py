"""Hyperband's schedule of brackets and rungs (successive halving), shared by Hyperband and BOHB.

With maximum budget ``R`` (Hyperband's ``R``, BOHB's ``max_budget``), minimum ``R / eta**s_max`` and
``s_max = floor(log_eta(R / min))``, bracket ``s`` (``s_max`` down to 0) starts
``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configurations at budget ``R * eta**-s``; rung ``i`` runs
``floor(n * eta**-i)`` of them at budget ``R * eta**(i - s)``: the best ``1/eta`` of each rung (by final
result) go on to the next with ``eta`` times the budget. A failed trial counts as the worst result.

``exec_mode='serial'`` runs one bracket at a time; ``'parallelism'`` opens the next bracket whenever the
open ones have nothing to run until results come in, so every free slot gets a trial. One Hyperband
iteration is the ``s_max + 1`` brackets; ``num_iterations=None`` repeats iterations without end (as NNI).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BracketSchedule", "Job", "bracket_shape", "EXEC_MODES"]

EXEC_MODES = ("serial", "parallelism")
_EPS = 1e-6

Budget = float


def bracket_shape(s: int, s_max: int, eta: float, max_budget: float) -> tuple[list[int], list[float]]:
    """Configurations per rung and budget per rung of bracket ``s``."""
    n = math.ceil((s_max + 1) / (s + 1) * eta**s - _EPS)
    sizes = [max(1, math.floor(n * eta ** (-i) + _EPS)) for i in range(s + 1)]
    budgets = [max_budget * eta ** (i - s) for i in range(s + 1)]
    return sizes, budgets


@dataclass
class Job:
    """One trial the schedule wants run: a configuration (by index in its bracket) at a budget."""

    bracket: int
    s: int
    rung: int
    config: int
    budget: Budget
    params: Any


@dataclass
class _Bracket:
    number: int
    s: int
    sizes: list[int]
    budgets: list[float]
    rung: int = 0
    configs: list[Any] = field(default_factory=list)
    new_slots: int = 0
    to_issue: list[int] = field(default_factory=list)
    running: int = 0
    losses: dict[int, float] = field(default_factory=dict)
    done: bool = False

    def __post_init__(self) -> None:
        self.new_slots = self.sizes[0]

    def has_work(self) -> bool:
        return not self.done and (self.new_slots > 0 or bool(self.to_issue))

    def finish(self, config: int, loss: float) -> None:
        """Record a rung result; promote the best of the rung once all of it has reported."""
        self.running -= 1
        self.losses[config] = loss
        if self.running == 0 and self.new_slots == 0 and not self.to_issue:
            self.advance()

    def advance(self) -> None:
        ranked = sorted((loss, c) for c, loss in self.losses.items() if math.isfinite(loss))
        self.losses = {}
        if self.rung + 1 >= len(self.sizes) or not ranked:
            self.done = True
            return
        self.rung += 1
        self.to_issue = [c for _, c in ranked[: self.sizes[self.rung]]]


class BracketSchedule:
    """Which configuration to run next at which budget, as rung results come in."""

    def __init__(
        self,
        max_budget: float,
        eta: float,
        s_max: int,
        exec_mode: str = "parallelism",
        num_iterations: int | None = None,
    ) -> None:
        if exec_mode not in EXEC_MODES:
            raise ValueError(f"exec_mode must be 'serial' or 'parallelism', got {exec_mode!r}")
        self.max_budget = max_budget
        self.eta = eta
        self.s_max = s_max
        self.exec_mode = exec_mode
        self.num_iterations = num_iterations
        self.brackets: list[_Bracket] = []
        self._next_s = s_max
        self._iteration = 0
        self._jobs: dict[int, tuple[_Bracket, int]] = {}
        self.exhausted = False  # the sampler ran out of new configurations

    # ----------------------------------------------------------------------------------------- queries
    @property
    def running(self) -> int:
        return len(self._jobs)

    @property
    def finished(self) -> bool:
        """Nothing is running and nothing can ever be proposed again."""
        return not self._jobs and not any(b.has_work() for b in self._open()) and not self._can_open()

    def _open(self) -> list[_Bracket]:
        return [b for b in self.brackets if not b.done]

    def _can_open(self) -> bool:
        if self.exhausted:
            return False
        if self.num_iterations is None:
            return True
        return self._iteration < self.num_iterations

    # ----------------------------------------------------------------------------------------- actions
    def next_job(self, parameter_id: int, sample: Callable[[_Bracket], Any | None]) -> Job | None:
        """The next trial to run (recorded under ``parameter_id``), or None when all must wait."""
        while True:
            for bracket in self._open():
                job = self._take(bracket, parameter_id, sample)
                if job is not None:
                    return job
            serial_busy = self.exec_mode == "serial" and self._open()
            if serial_busy or not self._can_open():
                return None
            self._open_bracket()

    def _open_bracket(self) -> None:
        s = self._next_s
        sizes, budgets = bracket_shape(s, self.s_max, self.eta, self.max_budget)
        self.brackets.append(_Bracket(len(self.brackets), s, sizes, budgets))
        self._next_s -= 1
        if self._next_s < 0:
            self._next_s = self.s_max
            self._iteration += 1

    def _take(self, bracket: _Bracket, parameter_id: int, sample: Callable[[_Bracket], Any | None]) -> Job | None:
        if bracket.new_slots > 0:
            params = sample(bracket)
            if params is None:
                self.exhausted = True
                bracket.new_slots = 0
                if bracket.running == 0 and not bracket.to_issue:
                    if bracket.losses:
                        bracket.advance()
                    else:
                        bracket.done = True
                return self._take(bracket, parameter_id, sample) if bracket.has_work() else None
            bracket.configs.append(params)
            bracket.new_slots -= 1
            config = len(bracket.configs) - 1
        elif bracket.to_issue:
            config = bracket.to_issue.pop(0)
        else:
            return None
        bracket.running += 1
        self._jobs[parameter_id] = (bracket, config)
        return Job(bracket.number, bracket.s, bracket.rung, config, bracket.budgets[bracket.rung], bracket.configs[config])

    def report(self, parameter_id: int, loss: float) -> bool:
        """A trial's final loss (``inf`` for a failed one); False if the id is not a running job."""
        entry = self._jobs.pop(parameter_id, None)
        if entry is None:
            return False
        bracket, config = entry
        bracket.finish(config, loss)
        return True

    def is_running(self, parameter_id: int) -> bool:
        return parameter_id in self._jobs
