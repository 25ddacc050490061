"""Grids over flattened search spaces, shared by the grid search and random tuners.

- :func:`finite_values`: every flat value a parameter can take, when there are finitely many
  (``choice`` option indices, ``randint`` integers, the reachable points of a bounded ``q`` grid).
- :func:`progressive_configs`: NNI's grid search order. Categorical parameters (``choice``,
  ``randint``) take all their values from the start; a numeric parameter starts at the middle of its
  distribution (the median: the middle of ``[low, high]``, in log space for log types, ``mu`` for normal
  types) and each following round adds the points halfway between (quartiles, then eighths, ... of its
  cumulative distribution), rounded to ``q``. Each round enumerates only the combinations not seen in
  an earlier round. A space whose parameters all run out of new values ends; a space with an
  unquantised continuous parameter never does.
- :func:`enumerate_configs`: every combination of given value lists, honouring nested choices.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from statistics import NormalDist
from typing import Any

from nni import search_space
from nni.search_space import ParameterSpec, quantize

__all__ = ["finite_values", "progressive_configs", "enumerate_configs", "is_finite", "canonical", "imported_keys"]

Flat = dict[tuple[Any, ...], Any]

# A quantised range with more points than this is treated as continuous (never enumerated in full).
_MAX_FINITE = 100_000
# Rounds of halving after which a numeric parameter is considered to give nothing new.
_MAX_LEVEL = 48


def canonical(params: Any) -> str:
    """A string that is equal for equal configurations (keys sorted)."""
    return json.dumps(params, sort_keys=True, default=str)


def imported_keys(data: Any) -> set[str]:
    """The :func:`canonical` keys of the configurations in NNI's import data (``[{"parameter": {...},
    "value": ...}, ...]``); items of another shape are passed over. The tuners that never repeat a
    configuration count these as given out."""
    return {canonical(record["parameter"]) for record in data
            if isinstance(record, dict) and isinstance(record.get("parameter"), dict)}


def finite_values(spec: ParameterSpec) -> list[Any] | None:
    """All flat values of ``spec`` in increasing order (:func:`nni.search_space.finite_values`), or None when
    they are not finitely many; every choice and randint value counts, a ``q`` grid up to ``_MAX_FINITE``."""
    return search_space.finite_values(spec, limit=None if spec.type in ("choice", "randint") else _MAX_FINITE)


def is_finite(specs: Sequence[ParameterSpec]) -> bool:
    return all(finite_values(spec) is not None for spec in specs)


def _value_at(spec: ParameterSpec, u: float) -> float:
    """The point of ``spec``'s distribution at cumulative probability ``u`` (0 < u < 1), rounded to q."""
    if spec.normal_distributed:
        x = NormalDist(spec.mu, spec.sigma).inv_cdf(u)
        if spec.log_distributed:
            x = math.exp(x)
    elif spec.log_distributed:
        x = math.exp(math.log(spec.low) + (math.log(spec.high) - math.log(spec.low)) * u)
    else:
        x = spec.low + (spec.high - spec.low) * u
    return quantize(spec, x)


def _levels(spec: ParameterSpec) -> Iterator[list[Any]]:
    """The new flat values of ``spec`` round after round (an exhausted parameter stops yielding)."""
    if spec.type in ("choice", "randint"):
        values = finite_values(spec)
        assert values is not None
        yield values
        return
    complete = finite_values(spec)
    seen: set[float] = set()
    level = 0
    while level <= _MAX_LEVEL:
        count = 2**level
        new: list[float] = []
        for j in range(count):
            value = _value_at(spec, (2 * j + 1) / (2 * count))
            if value not in seen:
                seen.add(value)
                new.append(value)
        level += 1
        if complete is not None and len(seen) >= len(complete):
            if new:
                yield new
            return
        if new:
            yield new
    if complete is not None:  # points the halving never reached (only with extreme q): add them last
        rest = [v for v in complete if v not in seen]
        if rest:
            yield rest


def _product(
    specs: Sequence[ParameterSpec], grids: Sequence[Sequence[Any]], index: int, flat: Flat, chosen: dict[int, int]
) -> Iterator[tuple[Flat, dict[int, int]]]:
    if index == len(specs):
        yield dict(flat), dict(chosen)
        return
    spec = specs[index]
    if not spec.is_active(flat):
        yield from _product(specs, grids, index + 1, flat, chosen)
        return
    for position, value in enumerate(grids[index]):
        flat[spec.key] = value
        chosen[index] = position
        yield from _product(specs, grids, index + 1, flat, chosen)
    del flat[spec.key]
    del chosen[index]


def enumerate_configs(specs: Sequence[ParameterSpec], grids: Sequence[Sequence[Any]]) -> Iterator[Flat]:
    """Every flat configuration over ``grids`` (one value list per spec), first spec outermost."""
    for flat, _ in _product(specs, grids, 0, {}, {}):
        yield flat


def progressive_configs(specs: Sequence[ParameterSpec]) -> Iterator[Flat]:
    """Flat configurations in grid search order (see the module docstring); ends when all run out."""
    if not specs:
        yield {}
        return
    generators = [_levels(spec) for spec in specs]
    grids: list[list[Any]] = [[] for _ in specs]
    bars = [0] * len(specs)
    while True:
        grew = False
        for i, generator in enumerate(generators):
            bars[i] = len(grids[i])
            new = next(generator, None)
            if new:
                grids[i].extend(new)
                grew = True
        if not grew:
            return
        for flat, chosen in _product(specs, grids, 0, {}, {}):
            if chosen and all(position < bars[i] for i, position in chosen.items()):
                continue  # every value was already on the grid: enumerated in an earlier round
            yield flat
