"""What a reported metric (a number, or a dict with a ``"default"`` key) stands for in the UI."""

from __future__ import annotations

from typing import Any

from nni.analysis.results import default_metric

__all__ = ["default_metric", "other_metrics"]


def other_metrics(value: Any) -> dict[str, Any]:
    """The keys of a dict metric other than ``default`` (shown and exported as extra columns)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "default"}
    return {}
