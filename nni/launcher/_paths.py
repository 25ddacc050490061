"""Where experiments live: ``~/nni-experiments/<id>/`` and the registry beside them."""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

__all__ = ["experiments_home", "registry_path", "new_experiment_id", "is_experiment_id", "DEFAULT_PORT"]

DEFAULT_PORT = 8080
_ID_ALPHABET = string.ascii_lowercase + string.digits


def experiments_home() -> Path:
    """``$NNI_EXPERIMENTS_HOME`` when set (tests), else ``~/nni-experiments`` as NNI."""
    override = os.environ.get("NNI_EXPERIMENTS_HOME")
    return Path(override).expanduser() if override else Path.home() / "nni-experiments"


def registry_path() -> Path:
    return experiments_home() / ".experiment"


def new_experiment_id() -> str:
    """8 lowercase letters/digits, as NNI's experiment ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def is_experiment_id(text: str) -> bool:
    return len(text) == 8 and all(c in _ID_ALPHABET for c in text)
