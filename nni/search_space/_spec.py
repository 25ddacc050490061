"""Parse and validate NNI search spaces into flat parameter specs.

A search space is ``{name: {"_type": T, "_value": [...]}}``. A ``choice`` option may be a dict with
``"_name"`` whose other keys form a nested space; its parameters are active only when that option is
chosen. Flattening walks the space in order and gives each parameter a key: the path of names and
option indices from the top (``("optimizer", 0, "lr")``), with the conditions under which it is active.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nni.errors import SearchSpaceError

__all__ = ["ParameterSpec", "parse", "validate", "SAMPLING_TYPES", "path_text"]

Key = tuple[Any, ...]

SAMPLING_TYPES: dict[str, int] = {
    "choice": -1,
    "randint": 2,
    "uniform": 2,
    "quniform": 3,
    "loguniform": 2,
    "qloguniform": 3,
    "normal": 2,
    "qnormal": 3,
    "lognormal": 2,
    "qlognormal": 3,
}

_ARITY_TEXT = {
    "randint": "[lower, upper]",
    "uniform": "[low, high]",
    "quniform": "[low, high, q]",
    "loguniform": "[low, high]",
    "qloguniform": "[low, high, q]",
    "normal": "[mu, sigma]",
    "qnormal": "[mu, sigma, q]",
    "lognormal": "[mu, sigma]",
    "qlognormal": "[mu, sigma, q]",
}


@dataclass(frozen=True)
class ParameterSpec:
    """One hyperparameter of a (flattened) search space.

    ``key`` is the full path: names and, inside a nested choice, the index of the option that holds
    the parameter. ``condition`` lists ``(choice_key, option_index)`` pairs that must all hold in a
    configuration for this parameter to be active (empty for top-level parameters).
    """

    key: Key
    name: str
    type: str
    values: tuple[Any, ...]
    condition: tuple[tuple[Key, int], ...] = ()

    @property
    def categorical(self) -> bool:
        return self.type == "choice"

    @property
    def size(self) -> int:
        """Number of options of a choice (0 for numeric parameters)."""
        return len(self.values) if self.type == "choice" else 0

    @property
    def is_nested_choice(self) -> bool:
        return self.type == "choice" and any(_is_nested_option(v) for v in self.values)

    @property
    def low(self) -> float:
        return float(self.values[0])

    @property
    def high(self) -> float:
        return float(self.values[1])

    @property
    def mu(self) -> float:
        return float(self.values[0])

    @property
    def sigma(self) -> float:
        return float(self.values[1])

    @property
    def q(self) -> float | None:
        return float(self.values[2]) if self.type.startswith("q") else None

    @property
    def log_distributed(self) -> bool:
        return self.type in ("loguniform", "qloguniform", "lognormal", "qlognormal")

    @property
    def normal_distributed(self) -> bool:
        return self.type in ("normal", "qnormal", "lognormal", "qlognormal")

    @property
    def integer(self) -> bool:
        """True when the trial receives a Python ``int`` (NNI's ``randint``)."""
        return self.type == "randint"

    @property
    def bounded(self) -> bool:
        return not self.normal_distributed and not self.categorical

    @property
    def path(self) -> str:
        return path_text(self.key)

    def is_active(self, flat: Mapping[Key, Any]) -> bool:
        """Whether this parameter takes part in a flat configuration (choice values as indices)."""
        return all(flat.get(k) == idx for k, idx in self.condition)

    def option_label(self, index: int) -> str:
        option = self.values[index]
        return str(option["_name"]) if _is_nested_option(option) else repr(option)


def path_text(key: Key) -> str:
    """Readable path of a key: names joined by '/', nested options shown by index."""
    parts: list[str] = []
    for part in key:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
        else:
            parts.append(str(part))
    return "/".join(parts)


def _is_nested_option(option: Any) -> bool:
    return isinstance(option, Mapping) and "_name" in option


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate(space: Any, *, source: str | None = None) -> None:
    """Raise ``SearchSpaceError`` if ``space`` is not a valid NNI search space."""
    parse(space, source=source)


def parse(space: Any, *, source: str | None = None) -> list[ParameterSpec]:
    """Validate ``space`` and flatten it into parameter specs, parents before their nested children."""
    if space is None:
        return []
    if not isinstance(space, Mapping):
        raise SearchSpaceError(
            f"the search space must be a JSON object mapping names to {{'_type', '_value'}}, "
            f"got {type(space).__name__}",
            source=source,
        )
    specs: list[ParameterSpec] = []
    _parse_level(space, (), (), specs, source)
    return specs


def _parse_level(
    space: Mapping[str, Any],
    prefix: Key,
    condition: tuple[tuple[Key, int], ...],
    out: list[ParameterSpec],
    source: str | None,
) -> None:
    for name, body in space.items():
        key = (*prefix, name)
        path = path_text(key)
        if not isinstance(name, str):
            raise SearchSpaceError(f"parameter names must be strings, got {name!r}", path=path, source=source)
        if not isinstance(body, Mapping):
            raise SearchSpaceError(
                f"expected an object {{\"_type\": ..., \"_value\": [...]}}, got {body!r}",
                path=path,
                source=source,
            )
        unknown = sorted(set(body) - {"_type", "_value"})
        if unknown:
            raise SearchSpaceError(
                f"unexpected key(s) {', '.join(map(repr, unknown))}; a parameter has only '_type' and '_value'",
                path=path,
                source=source,
            )
        if "_type" not in body:
            raise SearchSpaceError("missing '_type'", path=path, source=source)
        if "_value" not in body:
            raise SearchSpaceError("missing '_value'", path=path, source=source)
        ptype, values = body["_type"], body["_value"]
        if ptype not in SAMPLING_TYPES:
            raise SearchSpaceError(
                f"unknown _type {ptype!r}; expected one of {', '.join(SAMPLING_TYPES)}",
                path=path,
                source=source,
            )
        if not isinstance(values, (list, tuple)):
            raise SearchSpaceError(
                f"'_value' must be a list, got {values!r}", path=path, source=source
            )
        if ptype == "choice":
            _check_choice(values, path, source)
        else:
            _check_numeric(ptype, list(values), path, source)
        spec = ParameterSpec(key=key, name=name, type=ptype, values=tuple(values), condition=condition)
        out.append(spec)
        if ptype == "choice":
            for index, option in enumerate(values):
                if _is_nested_option(option):
                    sub = {k: v for k, v in option.items() if k != "_name"}
                    _parse_level(sub, (*key, index), (*condition, (key, index)), out, source)


def _check_choice(values: list[Any] | tuple[Any, ...], path: str, source: str | None) -> None:
    if len(values) == 0:
        raise SearchSpaceError("choice needs at least one option, got an empty list", path=path, source=source)
    for index, option in enumerate(values):
        if isinstance(option, Mapping) and "_name" not in option:
            raise SearchSpaceError(
                f"option {index} is a dict without '_name'; a nested option must be "
                f"{{\"_name\": ..., <sub-parameters>}}, got {dict(option)!r}",
                path=path,
                source=source,
            )


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_numeric(ptype: str, values: list[Any], path: str, source: str | None) -> None:
    arity = SAMPLING_TYPES[ptype]
    if len(values) != arity:
        raise SearchSpaceError(
            f"{ptype} takes {_ARITY_TEXT[ptype]} ({arity} numbers), got {values!r}", path=path, source=source
        )
    for value in values:
        if not _is_number(value):
            hint = ""
            if isinstance(value, str) and _looks_numeric(value):
                hint = (f"; {value!r} is a string (YAML reads 1e-4 without a dot as text): "
                        f"write it as 1.0e-4 or 0.0001")
            raise SearchSpaceError(
                f"{ptype} takes {_ARITY_TEXT[ptype]} as finite numbers, got {values!r}{hint}", path=path, source=source
            )
    if ptype in ("normal", "qnormal", "lognormal", "qlognormal"):
        if values[1] <= 0:
            raise SearchSpaceError(f"{ptype} needs sigma > 0, got sigma={values[1]!r}", path=path, source=source)
    else:
        low, high = values[0], values[1]
        if low >= high:
            raise SearchSpaceError(
                f"{ptype} needs low < high, got low={low!r} >= high={high!r}", path=path, source=source
            )
        if ptype == "randint" and (float(low) != int(low) or float(high) != int(high)):
            raise SearchSpaceError(f"randint takes integer bounds, got {values!r}", path=path, source=source)
        if ptype in ("loguniform", "qloguniform") and low <= 0:
            raise SearchSpaceError(
                f"{ptype} needs low > 0 (the log of a non-positive bound is undefined), got low={low!r}",
                path=path,
                source=source,
            )
    if ptype.startswith("q") and values[2] <= 0:
        raise SearchSpaceError(f"{ptype} needs q > 0, got q={values[2]!r}", path=path, source=source)
