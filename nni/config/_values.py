"""Converters for config values: each takes ``(value, context, key_path)`` and returns the Python value
or raises one ``ConfigError`` naming the key, what was given and what was expected."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ._base import ConfigBase, Context, _show

__all__ = [
    "parse_duration",
    "to_str",
    "to_bool",
    "to_int",
    "to_number",
    "to_duration",
    "to_path",
    "to_choice",
    "to_gpu_indices",
    "to_mapping",
    "to_config",
    "to_config_list",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_HELP = "a number of seconds or a string with a unit s, m, h or d (e.g. 90s, 30m, 1h, 2d)"


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like ``"90s"``, ``"30m"``, ``"1.5h"``, ``"2d"``.

    Raises ``ValueError`` for anything else, for a negative or zero duration, and for NaN/infinity.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {_DURATION_HELP}, got {_show(value)}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"expected {_DURATION_HELP}, got {_show(value)}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    else:
        raise ValueError(f"expected {_DURATION_HELP}, got {_show(value)}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"expected a positive duration ({_DURATION_HELP}), got {_show(value)}")
    return seconds


def to_duration(value: Any, ctx: Context, path: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ctx.error(path, str(exc)) from None


def to_str(value: Any, ctx: Context, path: str) -> str:
    if not isinstance(value, str):
        raise ctx.error(path, f"expected a string, got {_show(value)}")
    return value


def to_nonempty_str(value: Any, ctx: Context, path: str) -> str:
    text = to_str(value, ctx, path)
    if not text.strip():
        raise ctx.error(path, "expected a non-empty string, got ''")
    return text


def to_bool(value: Any, ctx: Context, path: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(path, f"expected true or false, got {_show(value)}")
    return value


def to_int(minimum: int | None = None, maximum: int | None = None) -> Callable[[Any, Context, str], int]:
    def convert(value: Any, ctx: Context, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not value.is_integer()
        ):
            raise ctx.error(path, f"expected {_int_range(minimum, maximum)}, got {_show(value)}")
        number = int(value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise ctx.error(path, f"expected {_int_range(minimum, maximum)}, got {number}")
        return number

    return convert


def to_number(value: Any, ctx: Context, path: str) -> float:
    """A finite number (int or float; not a bool, NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ctx.error(path, f"expected a finite number, got {_show(value)}")
    return value


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer from {minimum} to {maximum}"
    if minimum is not None:
        return f"an integer >= {minimum}"
    return "an integer"


def to_choice(*choices: str, case_insensitive: bool = True) -> Callable[[Any, Context, str], str]:
    def convert(value: Any, ctx: Context, path: str) -> str:
        if isinstance(value, str):
            for choice in choices:
                if value == choice or (case_insensitive and value.lower() == choice.lower()):
                    return choice
        raise ctx.error(path, f"expected one of {', '.join(choices)}, got {_show(value)}")

    return convert


def to_path(kind: str = "any", must_exist: bool = False) -> Callable[[Any, Context, str], str]:
    """A path, ``~`` expanded and made absolute against the config file's folder.

    ``kind`` is 'file', 'dir' or 'any'; with ``must_exist`` a missing path is refused.
    """

    def convert(value: Any, ctx: Context, path: str) -> str:
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ctx.error(path, f"expected a path, got {_show(value)}")
        resolved = Path(os.path.expanduser(value))
        if not resolved.is_absolute():
            resolved = ctx.base_dir / resolved
        resolved = Path(os.path.normpath(resolved))
        if must_exist:
            if kind == "file" and not resolved.is_file():
                what = "is a directory, expected a file" if resolved.is_dir() else "file not found"
                raise ctx.error(path, f"{what}: {resolved} (given {value!r}, relative to {ctx.base_dir})")
            if kind == "dir" and not resolved.is_dir():
                what = "is a file, expected a directory" if resolved.exists() else "directory not found"
                raise ctx.error(path, f"{what}: {resolved} (given {value!r}, relative to {ctx.base_dir})")
            if kind == "any" and not resolved.exists():
                raise ctx.error(path, f"not found: {resolved} (given {value!r}, relative to {ctx.base_dir})")
        return str(resolved)

    return convert


def to_gpu_indices(value: Any, ctx: Context, path: str) -> list[int]:
    """GPU indices: an int, a list of ints, or a comma-separated string ("0,1")."""
    items: list[Any]
    if isinstance(value, bool):
        items = [value]
    elif isinstance(value, int):
        items = [value]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
        try:
            items = [int(part) for part in items]
        except ValueError:
            raise ctx.error(path, f"expected GPU indices like [0, 1] or '0,1', got {_show(value)}") from None
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ctx.error(path, f"expected GPU indices like [0, 1] or '0,1', got {_show(value)}")
    out: list[int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item < 0:
            raise ctx.error(path, f"expected GPU indices (integers >= 0) like [0, 1], got {_show(value)}")
        out.append(item)
    return out


def to_mapping(value: Any, ctx: Context, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.error(path, f"expected a mapping of names to values, got {_show(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ctx.error(path, f"expected string keys, got {key!r}")
    return dict(value)


def to_config(cls: type[ConfigBase]) -> Callable[[Any, Context, str], ConfigBase]:
    def convert(value: Any, ctx: Context, path: str) -> ConfigBase:
        if isinstance(value, cls):
            value = value.to_json()
        return cls.from_json(value, context=ctx, path=path)

    return convert


def to_config_list(cls: type[ConfigBase], *, nonempty: bool = True) -> Callable[[Any, Context, str], list[Any]]:
    def convert(value: Any, ctx: Context, path: str) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise ctx.error(path, f"expected a list of {cls._label()} entries, got {_show(value)}")
        if nonempty and not value:
            raise ctx.error(path, f"expected at least one {cls._label()} entry, got an empty list")
        return [to_config(cls)(item, ctx, f"{path}[{index}]") for index, item in enumerate(value)]

    return convert
