"""Algorithms: built-in tuners and assessors (``nni.algorithms.hpo``) and the loader that turns a
tuner/assessor/advisor config into an instance. Importing this package loads no algorithm code."""

from nni.algorithms._loader import (
    KINDS,
    AlgorithmConfigError,
    AlgorithmRef,
    builtin_class_path,
    builtin_names,
    check_class_args,
    check_objectives_support,
    create_algorithm,
    is_available,
    load_class,
    multi_objective_tuners,
    register_algorithm,
    user_registry_path,
    validate_algorithm,
)

__all__ = [
    "KINDS",
    "AlgorithmConfigError",
    "AlgorithmRef",
    "builtin_names",
    "builtin_class_path",
    "register_algorithm",
    "user_registry_path",
    "is_available",
    "load_class",
    "check_class_args",
    "validate_algorithm",
    "create_algorithm",
    "check_objectives_support",
    "multi_objective_tuners",
]
