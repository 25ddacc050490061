"""Samplers called by instrumented annotation code (``nni.choice``, ``nni.uniform``, ...).

The instrumented copy of an annotated file calls, for ``'''@nni.variable(nni.choice(1, 2), name=x)'''``::

    x = (nni.choice({1: 1, 2: 2}, name='x', key='train/x/choice')
         if nni.annotation.smartparam.is_active() else (<the original default>))

In an experiment each sampler returns this trial's value of ``key`` (for ``choice`` the option whose
label the tuner picked, for ``function_choice`` the result of calling the picked candidate). Outside an
experiment :func:`is_active` is False and the original expression runs instead. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nni import trial
from nni.errors import TrialAPIError

__all__ = [
    "choice",
    "randint",
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "normal",
    "qnormal",
    "lognormal",
    "qlognormal",
    "function_choice",
]


def is_active() -> bool:
    """True inside an experiment: the samplers then read the trial's parameters."""
    return not trial.is_standalone()


def _get(func: str, name: str | None, key: str | None) -> Any:
    if key is None:
        raise TrialAPIError(
            f"nni.{func}() is meant for annotations: write '''@nni.variable(nni.{func}(...), name=...)''' "
            "before the assignment and run the experiment with useAnnotation: true"
        )
    params = trial.get_current_parameter()
    if not isinstance(params, Mapping) or key not in params:
        known = sorted(params) if isinstance(params, Mapping) else params
        raise TrialAPIError(
            f"this trial's parameters have no value for annotation {name!r} (key {key!r}); got keys "
            f"{known!r}. The search space must be generated from this code (useAnnotation: true)"
        )
    return params[key]


def _pick(func: str, table: Mapping[Any, Any], name: str | None, key: str | None) -> Any:
    label = _get(func, name, key)
    try:
        return table[label]
    except (KeyError, TypeError):
        raise TrialAPIError(
            f"annotation {name!r} (key {key!r}) got {label!r}, which is not one of its options "
            f"{list(table)!r}"
        ) from None


def choice(options: Mapping[Any, Any], name: str | None = None, key: str | None = None) -> Any:
    """The option (keyed by its label in the search space) this trial was given."""
    return _pick("choice", options, name, key)


def function_choice(
    funcs: Mapping[Any, Callable[[], Any]], name: str | None = None, key: str | None = None
) -> Any:
    """Call the candidate this trial was given and return its result."""
    return _pick("function_choice", funcs, name, key)()


def randint(lower: int, upper: int, name: str | None = None, key: str | None = None) -> Any:
    return _get("randint", name, key)


def uniform(low: float, high: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("uniform", name, key)


def quniform(low: float, high: float, q: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("quniform", name, key)


def loguniform(low: float, high: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("loguniform", name, key)


def qloguniform(low: float, high: float, q: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("qloguniform", name, key)


def normal(mu: float, sigma: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("normal", name, key)


def qnormal(mu: float, sigma: float, q: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("qnormal", name, key)


def lognormal(mu: float, sigma: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("lognormal", name, key)


def qlognormal(mu: float, sigma: float, q: float, name: str | None = None, key: str | None = None) -> Any:
    return _get("qlognormal", name, key)
