"""The machinery under every config class: camelCase keys, typed conversion, clear errors.

A config class is a dataclass deriving from :class:`ConfigBase` whose fields are declared with
:func:`option`: the camelCase key on disk, a converter (see :mod:`nni.config._values`), whether it is
required and whether it is a secret (redacted by ``to_json(redact=True)``). Snake_case keys are
accepted too. An unknown key is refused with the closest known key suggested.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from nni.errors import ConfigError

__all__ = ["ConfigBase", "Context", "option", "REDACTED", "join_key", "camel_to_snake"]

REDACTED = "******"

Converter = Callable[[Any, "Context", str], Any]
_T = TypeVar("_T", bound="ConfigBase")
_MISSING: Any = dataclasses.MISSING


@dataclass
class Context:
    """Where a config comes from: the file (for messages), its folder (for relative paths), and, for a
    legacy v1 config, how the v2 key paths map back to the keys the user wrote."""

    source: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    names: Mapping[str, str] = field(default_factory=dict)
    dialect: str = "v2"

    def key_text(self, path: str) -> str:
        if path in self.names:
            return self.names[path]
        # A key below a renamed one: rename its prefix ('trial.command' for 'trialCommand' ...).
        best = ""
        for v2 in self.names:
            if (path.startswith(v2 + ".") or path.startswith(v2 + "[")) and len(v2) > len(best):
                best = v2
        return self.names[best] + path[len(best):] if best else path

    def error(self, path: str, message: str) -> ConfigError:
        return ConfigError(message, key=self.key_text(path) or None, source=self.source)


def join_key(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def camel_to_snake(name: str) -> str:
    out = []
    for char in name:
        if char.isupper():
            out.append("_" + char.lower())
        else:
            out.append(char)
    return "".join(out)


def option(
    key: str,
    convert: Converter,
    *,
    default: Any = None,
    default_factory: Callable[[], Any] | None = None,
    required: bool = False,
    secret: bool = False,
    help: str = "",
) -> Any:
    """A config field: ``key`` is its camelCase name on disk; ``help`` says what it expects."""
    metadata = {"key": key, "convert": convert, "required": required, "secret": secret, "help": help}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


class ConfigBase:
    """Base of config dataclasses: ``from_json`` (validating) and ``to_json`` (camelCase)."""

    # Keys accepted and ignored (NNI keys with no effect here), mapped to the reason.
    _ignored_keys: ClassVar[dict[str, str]] = {}
    # Legacy v1 names of keys -> their v2 names (for the unknown-key message).
    _renamed: ClassVar[dict[str, str]] = {}

    @classmethod
    def _options(cls) -> list[dataclasses.Field[Any]]:
        return [f for f in dataclasses.fields(cls) if "key" in f.metadata]  # type: ignore[arg-type]

    @classmethod
    def json_keys(cls) -> list[str]:
        return [f.metadata["key"] for f in cls._options()]

    @classmethod
    def from_json(
        cls: type[_T],
        data: Any,
        *,
        base_dir: str | Path | None = None,
        source: str | None = None,
        context: Context | None = None,
        path: str = "",
    ) -> _T:
        ctx = context or Context(source=source, base_dir=Path(base_dir) if base_dir is not None else Path.cwd())
        if not isinstance(data, Mapping):
            what = f"the {cls._label()}" if path else "a config"
            raise ctx.error(path, f"expected {what} as a mapping of keys to values, got {_show(data)}")
        by_key: dict[str, dataclasses.Field[Any]] = {}
        for f in cls._options():
            by_key[f.metadata["key"]] = f
            by_key[f.name] = f
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key in cls._ignored_keys:
                continue
            f = by_key.get(key) if isinstance(key, str) else None
            if f is None:
                raise ctx.error(join_key(path, str(key)), cls._unknown_key_message(str(key), ctx))
            if f.name in values:
                raise ctx.error(join_key(path, str(key)), f"given twice (as {f.metadata['key']!r} and {f.name!r})")
            if raw is None:
                continue
            values[f.name] = f.metadata["convert"](raw, ctx, join_key(path, f.metadata["key"]))
        for f in cls._options():
            if f.metadata["required"] and f.name not in values:
                text = f"missing; {f.metadata['help']}" if f.metadata["help"] else "missing (required)"
                raise ctx.error(join_key(path, f.metadata["key"]), text)
        instance = cls(**values)
        instance._check(ctx, path)
        return instance

    @classmethod
    def _label(cls) -> str:
        return cls.__name__

    @classmethod
    def _unknown_key_message(cls, key: str, ctx: Context) -> str:
        if key in cls._renamed:
            return f"unknown key; {key!r} is the legacy v1 name, a v2 config calls it {cls._renamed[key]!r}"
        known = cls.json_keys()
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if not close:
            lowered = {k.lower(): k for k in known}
            close = [lowered[m] for m in difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)]
        if close:
            return f"unknown key; did you mean {close[0]!r}?"
        return f"unknown key; expected one of: {', '.join(known)}"

    def _check(self, ctx: Context, path: str) -> None:
        """Cross-field checks after conversion (override)."""

    def to_json(self, *, redact: bool = False) -> dict[str, Any]:
        """The canonical camelCase form (None values left out); ``redact`` hides passwords."""
        out: dict[str, Any] = {}
        for f in self._options():
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.metadata["secret"] and redact:
                out[f.metadata["key"]] = REDACTED
                continue
            out[f.metadata["key"]] = _to_json_value(value, redact)
        return out


def _to_json_value(value: Any, redact: bool) -> Any:
    if isinstance(value, ConfigBase):
        return value.to_json(redact=redact)
    if isinstance(value, (list, tuple)):
        return [_to_json_value(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _to_json_value(v, redact) for k, v in value.items()}
    return value


def yaml_problem(exc: BaseException) -> str:
    """One line from a PyYAML error: where and what."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    return f"not valid YAML{where}: {problem}"


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"
