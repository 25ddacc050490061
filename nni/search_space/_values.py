"""Draw values from parameter specs, and convert between flat values and the nested dict a trial gets.

Flat form: ``{spec.key: value}`` for the active parameters only, a choice stored as its option index.
Nested form: what ``nni.get_next_parameter()`` returns, e.g.
``{"optimizer": {"_name": "sgd", "lr": 0.1}, "batch": 32}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nni.errors import SearchSpaceError

from ._spec import Key, ParameterSpec, _is_nested_option

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "sample_value",
    "sample",
    "quantize",
    "finite_values",
    "to_trial_value",
    "format_parameters",
    "deformat_parameters",
    "contains",
]


def quantize(spec: ParameterSpec, value: float) -> float:
    """NNI's q-rounding: ``clip(round(value / q) * q, low, high)`` (no clipping for normal types)."""
    q = spec.q
    if q is None:
        return value
    rounded = round(value / q) * q
    if spec.type in ("quniform", "qloguniform"):
        rounded = min(max(rounded, spec.low), spec.high)
    return float(rounded)


def finite_values(spec: ParameterSpec, *, limit: int | None = None) -> list[Any] | None:
    """Every flat value ``spec`` can take, in increasing order, when there are finitely many: a choice's
    option indices, a randint's integers, the points a bounded ``q`` type reaches (``quantize`` of a draw
    from ``[low, high]``: ``clip(k * q)`` for every ``k`` whose rounding interval ``(k - 1/2, k + 1/2)``
    meets ``[low / q, high / q]``). None for a continuous type, or when there are more than ``limit``."""
    if spec.type == "choice":
        count = spec.size
    elif spec.type == "randint":
        first, count = int(spec.low), int(spec.high) - int(spec.low)
    elif spec.type in ("quniform", "qloguniform") and spec.q is not None:
        first = math.floor(spec.low / spec.q - 0.5) + 1
        count = math.ceil(spec.high / spec.q + 0.5) - first  # last k: ceil(high / q + 1/2) - 1
    else:
        return None
    if limit is not None and count > limit:
        return None
    if spec.type == "choice":
        return list(range(count))
    if spec.type == "randint":
        return list(range(first, first + count))
    return sorted({quantize(spec, k * spec.q) for k in range(first, first + count)})


def sample_value(spec: ParameterSpec, rng: np.random.Generator) -> Any:
    """One random draw following the spec's own distribution (a choice gives an option index)."""
    t = spec.type
    if t == "choice":
        return int(rng.integers(spec.size))
    if t == "randint":
        return int(rng.integers(int(spec.low), int(spec.high)))
    if t in ("uniform", "quniform"):
        return quantize(spec, float(rng.uniform(spec.low, spec.high)))
    if t in ("loguniform", "qloguniform"):
        return quantize(spec, math.exp(rng.uniform(math.log(spec.low), math.log(spec.high))))
    if t in ("normal", "qnormal"):
        return quantize(spec, float(rng.normal(spec.mu, spec.sigma)))
    if t in ("lognormal", "qlognormal"):
        return quantize(spec, math.exp(rng.normal(spec.mu, spec.sigma)))
    raise AssertionError(t)


def sample(specs: Sequence[ParameterSpec], rng: np.random.Generator) -> dict[Key, Any]:
    """A random flat configuration: only parameters active under the drawn choices."""
    flat: dict[Key, Any] = {}
    for spec in specs:
        if spec.is_active(flat):
            flat[spec.key] = sample_value(spec, rng)
    return flat


def to_trial_value(spec: ParameterSpec, value: Any) -> Any:
    """The Python value a trial receives for a numeric parameter (``int`` for randint)."""
    if spec.type == "randint":
        return int(round(float(value)))
    return float(value)


def format_parameters(flat: Mapping[Key, Any], specs: Sequence[ParameterSpec]) -> dict[str, Any]:
    """Turn a flat configuration into the nested dict the trial receives."""
    root: dict[str, Any] = {}
    containers: dict[Key, dict[str, Any]] = {(): root}
    for spec in specs:
        if not spec.is_active(flat):
            continue
        if spec.key not in flat:
            raise SearchSpaceError("value missing from configuration", path=spec.path)
        parent = containers[spec.key[:-1]]
        value = flat[spec.key]
        if spec.categorical:
            index = int(value)
            option = spec.values[index]
            if _is_nested_option(option):
                node = {"_name": option["_name"]}
                containers[(*spec.key, index)] = node
                parent[spec.name] = node
            else:
                parent[spec.name] = option
        else:
            parent[spec.name] = to_trial_value(spec, value)
    return root


def deformat_parameters(nested: Mapping[str, Any], specs: Sequence[ParameterSpec]) -> dict[Key, Any]:
    """Inverse of :func:`format_parameters`: a trial's parameter dict back into flat form.

    Raises ``SearchSpaceError`` when the dict does not fit the space (unknown option, missing value).
    """
    flat: dict[Key, Any] = {}
    nodes: dict[Key, Mapping[str, Any]] = {(): nested}
    for spec in specs:
        if not spec.is_active(flat):
            continue
        node = nodes[spec.key[:-1]]
        if spec.name not in node:
            raise SearchSpaceError(f"missing from parameters {dict(nested)!r}", path=spec.path)
        value = node[spec.name]
        if spec.categorical:
            index = _option_index(spec, value)
            flat[spec.key] = index
            if _is_nested_option(spec.values[index]):
                nodes[(*spec.key, index)] = value
        else:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise SearchSpaceError(f"expected a number, got {value!r}", path=spec.path)
            flat[spec.key] = value
    return flat


def _option_index(spec: ParameterSpec, value: Any) -> int:
    if isinstance(value, Mapping) and "_name" in value:
        for index, option in enumerate(spec.values):
            if _is_nested_option(option) and option["_name"] == value["_name"]:
                return index
    for index, option in enumerate(spec.values):
        if not _is_nested_option(option) and option == value and type(option) is type(value):
            return index
    for index, option in enumerate(spec.values):
        if not _is_nested_option(option) and option == value:
            return index
    raise SearchSpaceError(
        f"{value!r} is not one of the options {list(spec.values)!r}", path=spec.path
    )


def contains(spec: ParameterSpec, value: Any) -> bool:
    """Whether a flat value lies in the spec's domain (bounds, q grid, integer, option index)."""
    if spec.categorical:
        return isinstance(value, int) and 0 <= value < spec.size
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return False
    if spec.type == "randint":
        return float(value).is_integer() and spec.low <= value < spec.high
    if spec.bounded and not (spec.low <= value <= spec.high):
        return False
    if spec.log_distributed and value <= 0:
        return False
    q = spec.q
    if q is not None:
        on_grid = abs(value / q - round(value / q)) < 1e-9 * max(1.0, abs(value / q))
        at_bound = spec.bounded and (value == spec.low or value == spec.high)
        return on_grid or at_bound
    return True
