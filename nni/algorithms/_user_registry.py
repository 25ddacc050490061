"""The user's algorithm registry: the file ``nnictl algo register --meta`` writes and configs' names read.

``$XDG_CONFIG_HOME/nni/registered_algorithms.yml`` (default ``~/.config``), a YAML list of
``{algoType, builtinName, className[, classArgsValidator]}``. This module alone reads and writes it;
``nnictl algo`` and the algorithm loader both call it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nni.errors import ConfigError

__all__ = ["registry_path", "read_entries", "write_entries", "entries_of"]


def registry_path() -> Path:
    """The registry file (``$XDG_CONFIG_HOME/nni/registered_algorithms.yml``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nni" / "registered_algorithms.yml"


def read_entries() -> list[dict[str, Any]]:
    """Every entry of the registry (mappings only); none when there is no file. A file that is not a
    readable YAML list raises ``ConfigError`` naming it."""
    import yaml

    path = registry_path()
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"the algorithm registry cannot be read ({' '.join(str(exc).split())}); fix or "
                          "remove the file", source=str(path)) from None
    return [dict(entry) for entry in data if isinstance(entry, Mapping)] if isinstance(data, list) else []


def write_entries(entries: list[dict[str, Any]]) -> None:
    """Replace the registry's entries."""
    import yaml

    path = registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")


def entries_of(kind: str) -> dict[str, dict[str, Any]]:
    """The usable entries of algorithm kind ``kind`` by ``builtinName``; an unreadable registry has none
    (a config naming a built-in algorithm must not fail because of it)."""
    try:
        entries = read_entries()
    except ConfigError:
        return {}
    return {entry["builtinName"]: entry for entry in entries
            if entry.get("algoType") == kind and isinstance(entry.get("builtinName"), str)
            and isinstance(entry.get("className"), str) and "." in entry["className"]}
