"""What a reported metric (a number, or a dict with a ``"default"`` key) stands for in the UI."""

from __future__ import annotations

from typing import Any

__all__ = ["default_metric", "other_metrics"]


def default_metric(value: Any) -> float | None:
    """The number a metric stands for: itself, or its ``"default"`` key (None when there is none)."""
    if isinstance(value, dict):
        value = value.get("default")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def other_metrics(value: Any) -> dict[str, Any]:
    """The keys of a dict metric other than ``default`` (shown and exported as extra columns)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "default"}
    return {}
