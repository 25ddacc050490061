"""Several objectives and constraints: what a config's ``objectives`` and ``constraints`` declare, and how a
trial's final result is read against them.

A v2 config may declare::

    objectives:
      - {name: accuracy, mode: maximize}
      - {name: latency_ms, mode: minimize}
    constraints:
      - {name: memory_mb, max: 4000}         # max and/or min

and trials report every name in one dict: ``nni.report_final_result({"accuracy": 0.93, "latency_ms": 12.0,
"memory_mb": 3100})``. :class:`Objectives` is that declaration, typed; :meth:`Objectives.read` turns a
reported result into the objective vector and the constraint values, or raises :class:`ResultError`
naming the key that is missing or unusable. Without ``objectives`` nothing here is used (the ``default``
key as in NNI). This module is light: no numpy (the trial side may import it).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nni.errors import NNIError

__all__ = ["Objective", "Constraint", "Objectives", "Measurement", "ResultError", "MODES", "OBJECTIVES_VARIABLE"]

MODES = ("maximize", "minimize")
# Set in a trial's environment when the config declares objectives (the names, comma-separated): the trial
# API then takes result dicts without NNI's "default" key.
OBJECTIVES_VARIABLE = "NNI_OBJECTIVES"


class ResultError(NNIError, ValueError):
    """A trial's result cannot be read against the declared objectives; ``key`` names the culprit."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Objective:
    """One objective: the key a trial reports it under and whether larger (``maximize``) is better."""

    name: str
    mode: str = "minimize"

    @property
    def maximize(self) -> bool:
        return self.mode == "maximize"


@dataclass(frozen=True)
class Constraint:
    """A value a trial reports that must stay within ``[min, max]`` (either bound may be None)."""

    name: str
    min: float | None = None
    max: float | None = None

    def violation(self, value: float) -> float:
        """How far ``value`` lies outside the bounds (0 when it satisfies them)."""
        over = 0.0
        if self.max is not None and value > self.max:
            over += value - self.max
        if self.min is not None and value < self.min:
            over += self.min - value
        return over

    def as_json(self) -> dict[str, Any]:
        """The config's camelCase entry: ``{"name": ..., "min": ..., "max": ...}`` (bounds only when set)."""
        out: dict[str, Any] = {"name": self.name}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        return out

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{self.min:g} <= {self.name} <= {self.max:g}"
        if self.max is not None:
            return f"{self.name} <= {self.max:g}"
        return f"{self.name} >= {self.min:g}"


@dataclass(frozen=True)
class Measurement:
    """A trial's result read against :class:`Objectives`: objective values as reported (not negated) in
    the declared order, and the constraint values in the declared order."""

    objective_values: tuple[float, ...]
    constraint_values: tuple[float, ...]


@dataclass(frozen=True)
class Objectives:
    """The objectives (at least one) and constraints of an experiment, in the order the config gives them."""

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()

    @classmethod
    def from_json(cls, objectives: Sequence[Mapping[str, Any]] | None,
                  constraints: Sequence[Mapping[str, Any]] | None = None) -> Objectives | None:
        """From the config's (already validated) camelCase lists; None when no objectives are declared."""
        if not objectives:
            return None
        return cls(
            tuple(Objective(str(o["name"]), str(o.get("mode", "minimize"))) for o in objectives),
            tuple(Constraint(str(c["name"]), c.get("min"), c.get("max")) for c in constraints or ()),
        )

    @property
    def is_multi(self) -> bool:
        """True when a tuner must handle more than one number: several objectives, or any constraint."""
        return len(self.objectives) > 1 or bool(self.constraints)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objectives)

    @property
    def maximize(self) -> tuple[bool, ...]:
        return tuple(o.maximize for o in self.objectives)

    def describe(self) -> str:
        """``accuracy (maximize), latency_ms (minimize); constraints: memory_mb <= 4000``."""
        text = ", ".join(f"{o.name} ({o.mode})" for o in self.objectives)
        if self.constraints:
            text += "; constraints: " + ", ".join(c.describe() for c in self.constraints)
        return text

    def judged(self, name: str | None = None) -> Objective:
        """The objective named ``name`` (the first when None); KeyError if there is none of that name."""
        if name is None:
            return self.objectives[0]
        for objective in self.objectives:
            if objective.name == name:
                return objective
        raise KeyError(name)

    def read(self, value: Any) -> Measurement:
        """The objective and constraint values of a reported result, or :class:`ResultError`.

        A single objective without constraints may also be reported as a plain number. Every value must
        be a finite number; a missing key, a non-number or NaN/infinity is refused, naming the key.
        """
        expected = self.names + tuple(c.name for c in self.constraints)
        if not isinstance(value, Mapping):
            if not self.is_multi and _is_number(value):
                return Measurement((_finite(value, self.objectives[0].name),), ())
            raise ResultError(
                f"the final result {_short(value)} is not a dict; report every objective and constraint in one "
                f"dict: nni.report_final_result({{{', '.join(repr(k) + ': ...' for k in expected)}}})")
        objective_values = tuple(_take(value, o.name, "objective") for o in self.objectives)
        constraint_values = tuple(_take(value, c.name, "constraint") for c in self.constraints)
        return Measurement(objective_values, constraint_values)

    def minimized(self, objective_values: Sequence[float]) -> tuple[float, ...]:
        """The objective vector with every maximised objective negated (lower is better everywhere)."""
        return tuple(-v if o.maximize else v for o, v in zip(self.objectives, objective_values, strict=True))

    def violation(self, constraint_values: Sequence[float]) -> float:
        """The total amount by which the constraint values leave their bounds (0: feasible)."""
        return sum(c.violation(v) for c, v in zip(self.constraints, constraint_values, strict=True))

    def as_default(self, value: Any) -> Any:
        """A single objective's result as NNI's single-objective tuners read it: ``{..., "default": v}``
        (a plain number stays a number)."""
        measured = self.read(value)
        if not isinstance(value, Mapping):
            return measured.objective_values[0]
        return {**value, "default": measured.objective_values[0]}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(value: Any, key: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ResultError(f"{key!r} is {number}; every objective and constraint must be a finite number",
                          key=key)
    return number


def _take(value: Mapping[str, Any], key: str, what: str) -> float:
    if key not in value:
        given = ", ".join(map(repr, value)) or "nothing"
        raise ResultError(f"the final result has no {what} {key!r} (it has {given}); report it in the same dict",
                          key=key)
    item = value[key]
    if not _is_number(item):
        raise ResultError(f"{what} {key!r} is {_short(item)}, expected a finite number", key=key)
    return _finite(item, key)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
