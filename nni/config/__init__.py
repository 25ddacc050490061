"""Experiment configs: ``load_config(path)`` for YAML/JSON files in NNI's v2 or legacy v1 format, giving
one validated :class:`ExperimentConfig` (snake_case attributes; ``to_json()`` gives canonical v2 camelCase).

Training service configs come from :mod:`nni.config.training_services` (``local``, ``remote``,
``slurm``); a platform adds its config class there with :func:`option` fields and the converters below.
"""

from ._base import REDACTED, ConfigBase, Context, option
from ._load import load_config, read_config_file
from ._v1 import convert_v1, detect_dialect
from ._values import (
    parse_duration,
    to_bool,
    to_choice,
    to_config,
    to_config_list,
    to_duration,
    to_gpu_indices,
    to_int,
    to_mapping,
    to_nonempty_str,
    to_path,
    to_str,
)
from .algorithm import AlgorithmConfig
from .experiment import LOG_LEVELS, ExperimentConfig
from .training_services import (
    TRAINING_SERVICES,
    UNSUPPORTED_PLATFORMS,
    TrainingServiceConfig,
    config_class,
    platform_field,
    platform_names,
    register_training_service,
)
from .training_services.local import LocalConfig
from .training_services.remote import RemoteConfig, RemoteMachineConfig

__all__ = [
    "load_config",
    "read_config_file",
    "ExperimentConfig",
    "AlgorithmConfig",
    "TrainingServiceConfig",
    "LocalConfig",
    "RemoteConfig",
    "RemoteMachineConfig",
    "TRAINING_SERVICES",
    "UNSUPPORTED_PLATFORMS",
    "config_class",
    "platform_names",
    "platform_field",
    "register_training_service",
    "convert_v1",
    "detect_dialect",
    "parse_duration",
    "LOG_LEVELS",
    "REDACTED",
    "ConfigBase",
    "Context",
    "option",
    "to_bool",
    "to_choice",
    "to_config",
    "to_config_list",
    "to_duration",
    "to_gpu_indices",
    "to_int",
    "to_mapping",
    "to_nonempty_str",
    "to_path",
    "to_str",
]
