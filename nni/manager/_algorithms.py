"""Creating the tuner and the assessor of an experiment from its config (through ``nni.algorithms``)."""

from __future__ import annotations

from typing import Any

from ._config_view import AlgorithmSpec

__all__ = ["create_algorithm"]


def create_algorithm(spec: AlgorithmSpec, kind: str) -> Any:
    """An instance of the tuner / assessor / advisor that ``spec`` names, built with its classArgs."""
    from nni.algorithms import create_algorithm as _create

    section: dict[str, Any] = {"classArgs": dict(spec.class_args)}
    if spec.name is not None:
        section["name"] = spec.name
    if spec.class_name is not None:
        section["className"] = spec.class_name
    if spec.code_directory is not None:
        section["codeDirectory"] = spec.code_directory
    return _create(kind, section, key=kind)
