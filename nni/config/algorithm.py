"""``AlgorithmConfig``: the ``tuner``, ``assessor`` and ``advisor`` sections of an experiment config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ._base import ConfigBase, Context, option
from ._values import to_bool, to_mapping, to_nonempty_str, to_path

__all__ = ["AlgorithmConfig"]


@dataclass
class AlgorithmConfig(ConfigBase):
    """A built-in algorithm by ``name``, or a custom class by ``class_name`` (``module.Class``) found in
    ``code_directory``; ``class_args`` go to its constructor."""

    name: str | None = option("name", to_nonempty_str, help="a built-in algorithm name, e.g. TPE")
    class_name: str | None = option("className", to_nonempty_str, help="module.ClassName of a custom algorithm")
    code_directory: str | None = option("codeDirectory", to_path("dir", must_exist=True))
    class_args: dict[str, Any] = option("classArgs", to_mapping, default_factory=dict)
    include_intermediate_results: bool = option(
        "includeIntermediateResults", to_bool, default=False,
        help="tuner only: a trial the assessor stops early gives the tuner its last intermediate result",
    )

    _renamed: ClassVar[dict[str, str]] = {
        "builtinTunerName": "name", "builtinAssessorName": "name", "builtinAdvisorName": "name",
        "codeDir": "codeDirectory", "classFileName": "className (module.ClassName)",
    }

    @classmethod
    def _label(cls) -> str:
        return "algorithm"

    @property
    def is_placeholder(self) -> bool:
        """True for the empty tuner ``ExperimentConfig('local')`` creates for Python code to fill in."""
        return self.name is None and self.class_name is None and self.code_directory is None and not self.class_args

    def _check(self, ctx: Context, path: str) -> None:
        if self.name is not None and self.class_name is not None:
            raise ctx.error(path, f"give either name (a built-in) or className (a custom class), not both; "
                                  f"got name={self.name!r} and className={self.class_name!r}")
        if self.name is None and self.class_name is None:
            raise ctx.error(path, "needs name (a built-in, e.g. TPE) or className + codeDirectory (a custom class)")
        if self.code_directory is not None and self.class_name is None:
            raise ctx.error(f"{path}.codeDirectory", "codeDirectory is for a custom className; a built-in name needs none")
