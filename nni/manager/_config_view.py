"""Reads what the manager needs from an experiment config: ``nni.config.ExperimentConfig`` (snake_case
attributes) or a plain camelCase dict (as stored), so the manager does not depend on the config's class."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nni.errors import ConfigError

__all__ = ["AlgorithmSpec", "ManagerConfig", "read_config", "parse_duration", "config_json"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj["name"]`` or ``obj["nameInCamelCase"]``."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        for key in (name, _camel(name)):
            if key in obj:
                return obj[key]
        return default
    value = getattr(obj, name, None)
    if value is None:
        value = getattr(obj, _camel(name), None)
    return default if value is None else value


def parse_duration(value: Any, key: str) -> float | None:
    """Seconds from a number or a string with unit s/m/h/d; None means no limit."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"expected a duration like 3600, '90s', '30m', '1h' or '2d', got {value!r}", key=key)
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([smhd]?)\s*", str(value))
    if not match:
        raise ConfigError(f"expected a duration like 3600, '90s', '30m', '1h' or '2d', got {value!r}", key=key)
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@dataclass(frozen=True)
class AlgorithmSpec:
    name: str | None
    class_name: str | None
    code_directory: str | None
    class_args: dict[str, Any]
    include_intermediate_results: bool = False

    @property
    def label(self) -> str:
        return self.name or self.class_name or "?"


def _algorithm(obj: Any) -> AlgorithmSpec | None:
    if obj is None:
        return None
    name = _get(obj, "name") or _get(obj, "builtin_tuner_name") or _get(obj, "builtin_assessor_name")
    class_name = _get(obj, "class_name")
    if name is None and class_name is None:
        return None
    code_dir = _get(obj, "code_directory") or _get(obj, "code_dir")
    return AlgorithmSpec(name, class_name, None if code_dir is None else str(code_dir),
                         dict(_get(obj, "class_args") or {}),
                         bool(_get(obj, "include_intermediate_results", False)))


@dataclass(frozen=True)
class ManagerConfig:
    """The manager's view of an experiment config (durations in seconds, None = no limit)."""

    experiment_name: str | None
    trial_command: str
    trial_code_directory: str
    trial_concurrency: int
    trial_gpu_number: int
    max_trial_number: int | None
    max_experiment_duration: float | None
    max_trial_duration: float | None
    search_space: dict[str, Any]
    tuner: AlgorithmSpec | None
    assessor: AlgorithmSpec | None
    advisor: AlgorithmSpec | None
    platform: str
    training_service: Any
    log_level: str
    json: dict[str, Any] = field(default_factory=dict)

    def limits(self) -> dict[str, Any]:
        return {
            "trialConcurrency": self.trial_concurrency,
            "maxTrialNumber": self.max_trial_number,
            "maxExperimentDuration": self.max_experiment_duration,
            "maxTrialDuration": self.max_trial_duration,
        }


def config_json(config: Any) -> dict[str, Any]:
    """The canonical camelCase JSON of a config (``to_json()`` when the class has it)."""
    if isinstance(config, dict):
        return dict(config)
    for method in ("to_json", "json", "canonical"):
        fn = getattr(config, method, None)
        if callable(fn):
            data = fn()
            if isinstance(data, dict):
                return data
    import dataclasses

    if dataclasses.is_dataclass(config):
        def conv(v: Any) -> Any:
            if isinstance(v, dict):
                return {_camel(str(k)): conv(x) for k, x in v.items()}
            if isinstance(v, list):
                return [conv(x) for x in v]
            return v
        return conv(dataclasses.asdict(config))  # type: ignore[arg-type]
    return {}


def read_config(config: Any) -> ManagerConfig:
    ts = _get(config, "training_service")
    if isinstance(ts, list):
        ts = ts[0] if ts else None
    platform = str(_get(ts, "platform", None) or _get(config, "training_service_platform", None) or "local")
    gpu = _get(config, "trial_gpu_number")
    concurrency = _get(config, "trial_concurrency", 1)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"expected a positive integer, got {concurrency!r}", key="trialConcurrency")
    max_trials = _get(config, "max_trial_number")
    return ManagerConfig(
        experiment_name=_get(config, "experiment_name"),
        trial_command=str(_get(config, "trial_command", "")),
        trial_code_directory=str(_get(config, "trial_code_directory", ".")),
        trial_concurrency=concurrency,
        trial_gpu_number=int(gpu or 0),
        max_trial_number=None if max_trials is None else int(max_trials),
        max_experiment_duration=parse_duration(_get(config, "max_experiment_duration"), "maxExperimentDuration"),
        max_trial_duration=parse_duration(_get(config, "max_trial_duration"), "maxTrialDuration"),
        search_space=dict(_get(config, "search_space") or {}),
        tuner=_algorithm(_get(config, "tuner")),
        assessor=_algorithm(_get(config, "assessor")),
        advisor=_algorithm(_get(config, "advisor")),
        platform=platform,
        training_service=ts,
        log_level=str(_get(config, "log_level", "info")),
        json=config_json(config),
    )


def platform_option(config: ManagerConfig, name: str, default: Any = None) -> Any:
    """A key of the training service (``use_active_gpu``, ``gpu_indices``...), or ``default``."""
    return _get(config.training_service, name, default)
