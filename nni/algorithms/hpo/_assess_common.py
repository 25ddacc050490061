"""Helpers shared by the built-in assessors: reading histories and checking ``classArgs``."""

from __future__ import annotations

import math
import numbers
from typing import Any

from nni.utils import OptimizeMode

__all__ = ["scalar_history", "check_mode", "check_int", "check_number"]


def scalar_history(trial_history: Any, owner: str) -> list[float]:
    """The numbers of an intermediate-result history, in order.

    Entries are numbers or dicts holding a number under ``"default"`` (the others keys are for
    display). ``None`` entries (a step the manager has not received) and non-finite values are skipped.
    """
    if trial_history is None:
        return []
    values: list[float] = []
    for item in trial_history:
        value = item.get("default") if isinstance(item, dict) else item
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"{owner}: an intermediate result must be a number or a dict with a number under 'default', "
                f"got {item!r}"
            )
        if math.isfinite(float(value)):
            values.append(float(value))
    return values


def check_mode(mode: Any, owner: str) -> OptimizeMode:
    if isinstance(mode, OptimizeMode):
        return mode
    if isinstance(mode, str) and mode.lower() in ("maximize", "minimize"):
        return OptimizeMode(mode.lower())
    raise ValueError(f"{owner}: optimize_mode must be 'maximize' or 'minimize', got {mode!r}")


def check_int(value: Any, name: str, owner: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(value: Any, name: str, owner: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= float(value) <= high:
        raise ValueError(f"{owner}: {name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)
