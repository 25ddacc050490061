"""Helpers NNI exposes to tuners and assessors: optimize modes, metric extraction, classArgs validators."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

__all__ = [
    "OptimizeMode",
    "MetricType",
    "extract_scalar_reward",
    "extract_scalar_history",
    "ClassArgsValidator",
    "merge_parameter",
]


class OptimizeMode(Enum):
    """Whether the tuner minimises or maximises the default metric."""

    Minimize = "minimize"
    Maximize = "maximize"


class MetricType:
    """The kinds of metric record a trial sends."""

    FINAL = "FINAL"
    PERIODICAL = "PERIODICAL"
    REQUEST_PARAMETER = "REQUEST_PARAMETER"


def extract_scalar_reward(value: Any, scalar_key: str = "default") -> float:
    """The number to optimise from a metric: the number itself, or ``value[scalar_key]`` of a dict."""
    if isinstance(value, dict) and scalar_key in value:
        reward = value[scalar_key]
    else:
        reward = value
    if isinstance(reward, bool) or not isinstance(reward, numbers.Real):
        raise RuntimeError(
            f"Incorrect final result: the final result should be float/int, or a dict which has a key "
            f"named '{scalar_key}' whose value is float/int; got {value!r}"
        )
    return float(reward)


def extract_scalar_history(trial_history: Iterable[Any], scalar_key: str = "default") -> list[float]:
    """Apply :func:`extract_scalar_reward` to every element of an intermediate-result history."""
    return [extract_scalar_reward(item, scalar_key) for item in trial_history]


class ClassArgsValidator:
    """Base of the validators tuners and assessors ship for their ``classArgs``.

    Subclasses implement :meth:`validate_class_args` and raise ``ValueError`` (or the ``schema``
    library's ``SchemaError``) on a bad argument. The helpers return predicates usable directly or
    inside ``schema.Schema``.
    """

    def validate_class_args(self, **kwargs: Any) -> None:
        """Raise an error naming the argument if ``kwargs`` are not acceptable."""

    def choices(self, key: str, *args: Any) -> Callable[[Any], bool]:
        def check(value: Any) -> bool:
            if value not in args:
                raise ValueError(f"{key} should be in [{', '.join(map(repr, args))}], got {value!r}")
            return True

        return check

    def range(self, key: str, keyType: type, start: float, end: float) -> Callable[[Any], bool]:  # noqa: N803
        def check(value: Any) -> bool:
            if not isinstance(value, keyType):
                raise ValueError(f"{key} should be {keyType.__name__}, got {type(value).__name__}")
            if start is not None and value < start:
                raise ValueError(f"{key} should be in range [{start}, {end}], got {value!r}")
            if end is not None and value > end:
                raise ValueError(f"{key} should be in range [{start}, {end}], got {value!r}")
            return True

        return check


def merge_parameter(base_params: Any, override_params: Any) -> Any:
    """Put the tuner's values into ``base_params`` (an ``argparse.Namespace``, any object, or a dict) and
    return it; NNI trial scripts write ``vars(merge_parameter(get_params(), nni.get_next_parameter()))``.

    Every key of ``override_params`` must already exist in ``base_params``; a value is converted to the
    type of the default it replaces (an int default takes 3.0 as 3, a float default takes 3 as 3.0).
    """
    if override_params is None:
        return base_params
    if not isinstance(override_params, dict):
        raise TypeError(f"merge_parameter: override_params must be a dict (what nni.get_next_parameter() "
                        f"returns), got {type(override_params).__name__}")
    is_dict = isinstance(base_params, dict)
    for key, value in override_params.items():
        if is_dict:
            present = key in base_params
        else:
            present = isinstance(key, str) and hasattr(base_params, key)
        if not present:
            raise ValueError(f"merge_parameter: key {key!r} from the tuner is not in the base parameters; "
                             f"add it (e.g. parser.add_argument('--{key}')) or remove it from the search space")
        old = base_params[key] if is_dict else getattr(base_params, key)
        new = _compatible(key, old, value)
        if is_dict:
            base_params[key] = new
        else:
            setattr(base_params, key, new)
    return base_params


def _compatible(key: str, old: Any, value: Any) -> Any:
    if old is None or value is None or type(old) is type(value):
        return value
    if isinstance(old, bool) or isinstance(value, bool):
        if isinstance(old, bool) and isinstance(value, bool):
            return value
    elif isinstance(old, numbers.Integral) and isinstance(value, numbers.Real):
        if float(value).is_integer():
            return int(value)
    elif isinstance(old, numbers.Real) and isinstance(value, numbers.Real):
        return float(value)
    elif isinstance(old, str) and isinstance(value, str):
        return value
    elif isinstance(old, (dict, list, tuple)) or isinstance(value, (dict, list)):
        return value
    raise TypeError(f"merge_parameter: {key!r} is {type(old).__name__} by default ({old!r}) but the tuner "
                    f"gave {type(value).__name__} {value!r}; change the default's type or the search space")


def is_finite_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
