"""``load_config``: read an experiment config file (YAML or JSON, v2 or legacy v1)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nni.errors import ConfigError

from ._base import yaml_problem
from .experiment import ExperimentConfig

__all__ = ["load_config", "read_config_file"]


def read_config_file(path: str | os.PathLike[str]) -> Any:
    """The parsed content of a config file: JSON for ``.json``, YAML otherwise."""
    file = Path(path)
    source = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found (looked for {file.resolve()})", source=source) from None
    except IsADirectoryError:
        raise ConfigError("is a directory; expected a YAML or JSON config file", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {getattr(exc, 'strerror', None) or exc}", source=source) from None
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                              source=source) from None
    else:
        import yaml

        try:
            data = _without_unset(yaml.load(text, Loader=_loader()))
        except yaml.YAMLError as exc:
            raise ConfigError(yaml_problem(exc), source=source) from None
    if data is None:
        raise ConfigError("the config file is empty; expected a mapping of config keys (trialCommand, ...)",
                          source=source)
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping of config keys at the top level, got {type(data).__name__}",
                          source=source)
    return data


_UNSET = object()
# NNI 2.x dumped some of its own example configs (kubeflow) with unset dataclass fields written as this tag
_NNI_UNSET_TAG = "tag:yaml.org,2002:python/object:dataclasses._MISSING_TYPE"


def _loader() -> Any:
    """PyYAML's safe loader that also reads NNI's unset-field tag (as "not given"); nothing else is constructed."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor(_NNI_UNSET_TAG, lambda loader, node: _UNSET)
    return Loader


def _without_unset(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_unset(v) for k, v in data.items() if v is not _UNSET}
    if isinstance(data, list):
        return [_without_unset(v) for v in data if v is not _UNSET]
    return None if data is _UNSET else data


def load_config(path: str | os.PathLike[str]) -> ExperimentConfig:
    """Load, convert (v1 -> v2) and validate a config file; relative paths resolve against its folder.

    Raises ``ConfigError`` (or ``SearchSpaceError`` for the search space) with one line naming the
    file, the key, what was given and what was expected.
    """
    data = read_config_file(path)
    base_dir = Path(path).resolve().parent
    return ExperimentConfig.from_json(data, base_dir=base_dir, source=os.fspath(path))
