"""Passwords and passphrases of an experiment's config, kept apart from its folder for ``nnictl resume``.

The store keeps the config with its secrets hidden (it is copied, exported and served), so a resumed
remote experiment could not log in again. The launcher therefore keeps the hidden values, and only
those, in the user's config folder, ``${XDG_CONFIG_HOME:-~/.config}/nni/secrets/<experiment id>.json``
(folder 0700, file 0600; never under the experiments folder, which users copy and share), and puts them
back into the stored config when the experiment resumes. ``nnictl experiment delete`` removes the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["save_secrets", "restore_secrets", "delete_secrets"]

Path_ = list[str | int]


def _file(experiment_id: str) -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config_home) / "nni" / "secrets" / f"{experiment_id}.json"


def _hidden(full: Any, redacted: Any, path: Path_, out: list[tuple[Path_, Any]]) -> None:
    if isinstance(full, dict) and isinstance(redacted, dict):
        for key, value in full.items():
            _hidden(value, redacted.get(key), [*path, key], out)
    elif isinstance(full, list) and isinstance(redacted, list) and len(full) == len(redacted):
        for index, (a, b) in enumerate(zip(full, redacted, strict=True)):
            _hidden(a, b, [*path, index], out)
    elif full != redacted:
        out.append((path, full))


def save_secrets(experiment_id: str, config_json: dict[str, Any]) -> None:
    """Keep the values of ``config_json`` that the store will hide (nothing is written if there are none)."""
    from nni.storage import redact_config

    hidden: list[tuple[Path_, Any]] = []
    _hidden(config_json, redact_config(config_json), [], hidden)
    if not hidden:
        return
    path = _file(experiment_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump([{"path": p, "value": v} for p, v in hidden], f)


def restore_secrets(experiment_id: str, stored_config: dict[str, Any]) -> dict[str, Any]:
    """``stored_config`` with the hidden values put back where they were kept (unchanged if none were)."""
    path = _file(experiment_id)
    if not path.exists():
        return stored_config
    config = json.loads(json.dumps(stored_config))
    for item in json.loads(path.read_text(encoding="utf-8")):
        node: Any = config
        *parents, last = item["path"]
        try:
            for part in parents:
                node = node[part]
            node[last] = item["value"]
        except (KeyError, IndexError, TypeError):
            continue  # the stored config changed shape; that value has no place any more
    return config


def delete_secrets(experiment_id: str) -> None:
    _file(experiment_id).unlink(missing_ok=True)
