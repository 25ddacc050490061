"""Creating the tuner and the assessor of an experiment from its config."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from nni.algorithms.hpo._registry import BUILTIN_ADVISORS, BUILTIN_ASSESSORS, BUILTIN_TUNERS
from nni.errors import AlgorithmError

from ._config_view import AlgorithmSpec

__all__ = ["create_algorithm"]


def _lookup(name: str, table: dict[str, str], kind: str) -> str:
    for key, path in table.items():
        if key.lower() == name.lower():
            return path
    raise AlgorithmError(f"unknown built-in {kind} {name!r}; expected one of {', '.join(sorted(table))} "
                         "(or give className and codeDirectory for a custom one)")


def _import(path: str, code_directory: str | None, kind: str) -> type:
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise AlgorithmError(f"{kind} className {path!r} must be 'module.ClassName'")
    if code_directory and code_directory not in sys.path:
        sys.path.insert(0, code_directory)
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        where = f" (codeDirectory {code_directory})" if code_directory else ""
        raise AlgorithmError(f"cannot load {kind} class {path!r}{where}: {exc}") from exc


def create_algorithm(spec: AlgorithmSpec, kind: str) -> Any:
    """An instance of the tuner / assessor / advisor that ``spec`` names, built with its classArgs."""
    if spec.name is not None:
        table = {"tuner": BUILTIN_TUNERS, "assessor": BUILTIN_ASSESSORS, "advisor": BUILTIN_ADVISORS}[kind]
        cls = _import(_lookup(spec.name, table, kind), None, kind)
    else:
        assert spec.class_name is not None
        cls = _import(spec.class_name, spec.code_directory, kind)
    try:
        return cls(**spec.class_args)
    except TypeError as exc:
        raise AlgorithmError(f"{kind} {spec.label}: bad classArgs {spec.class_args!r}: {exc}") from exc
