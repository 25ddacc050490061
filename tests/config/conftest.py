from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

SPACE = {"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}, "bs": {"_type": "choice", "_value": [16, 32]}}


def write_file(path: Path, content: Any) -> Path:
    """``content`` into ``path`` (its folders made): a string as it is, anything else as JSON or YAML by the
    file's extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    elif path.suffix == ".json":
        path.write_text(json.dumps(content))
    else:
        path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(name, content): a file in tmp_path (dicts as YAML or JSON by extension), with space.json beside."""
    write_file(tmp_path / "space.json", SPACE)
    return lambda name, content: write_file(tmp_path / name, content)


def _override(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


def _v2(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "searchSpaceFile": "space.json",
        "trialCommand": "python3 trial.py",
        "trialConcurrency": 1,
        "tuner": {"name": "Random", "classArgs": {"seed": 1}},
        "trainingService": {"platform": "local"},
    }
    return _override(config, overrides)


def _v1(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "authorName": "me",
        "experimentName": "old",
        "trialConcurrency": 1,
        "maxExecDuration": "1h",
        "maxTrialNum": 10,
        "trainingServicePlatform": "local",
        "searchSpacePath": "space.json",
        "useAnnotation": False,
        "tuner": {"builtinTunerName": "Random", "classArgs": {"seed": 2}},
        "trial": {"command": "python3 trial.py", "codeDir": ".", "gpuNum": 0},
    }
    return _override(config, overrides)


@pytest.fixture
def v2() -> Callable[..., dict[str, Any]]:
    """v2(**overrides): a valid v2 config dict (an override of None removes the key)."""
    return _v2


@pytest.fixture
def v1() -> Callable[..., dict[str, Any]]:
    """v1(**overrides): a valid legacy v1 config dict (an override of None removes the key)."""
    return _v1
