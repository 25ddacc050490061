"""``TrainingServiceConfig``: the base of every platform's config (``trainingService`` in a v2 config).

A platform's config is a dataclass deriving from it that sets ``platform`` with :func:`platform_field`
and declares its own keys with :func:`nni.config.option`; e.g. ``slurm.py``::

    from dataclasses import dataclass
    from nni.config import TrainingServiceConfig, option, platform_field, to_str

    @dataclass
    class SlurmConfig(TrainingServiceConfig):
        platform: str = platform_field("slurm")
        partition: str | None = option("partition", to_str, help="the Slurm partition")

It is found through :data:`nni.config.training_services.TRAINING_SERVICES` (loaded lazily).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._base import ConfigBase, Context, option
from .._values import to_str

__all__ = ["TrainingServiceConfig", "platform_field"]


def platform_field(name: str) -> Any:
    """The ``platform`` field of the config class of platform ``name``."""
    return option("platform", to_str, default=name, help=f"the platform name, {name!r}")


@dataclass
class TrainingServiceConfig(ConfigBase):
    """Keys every platform has; subclasses add theirs and set ``platform`` with :func:`platform_field`."""

    platform: str = platform_field("")

    @classmethod
    def _label(cls) -> str:
        return "training service"

    def _check(self, ctx: Context, path: str) -> None:
        expected = type(self).__dataclass_fields__["platform"].default  # type: ignore[attr-defined]
        if expected and self.platform != expected:
            raise ctx.error(f"{path}.platform" if path else "platform",
                            f"expected {expected!r} for {type(self).__name__}, got {self.platform!r}")
