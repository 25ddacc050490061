"""Checks on time spans (trials running at once)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["max_overlap"]


def max_overlap(spans: Iterable[tuple[float, float | None]]) -> int:
    """The most ``(start, end)`` spans open at one time; an end of None is still open. A span that ends when
    another starts does not overlap it."""
    points: list[tuple[float, int]] = []
    for start, end in spans:
        points.append((start, 1))
        if end is not None:
            points.append((end, -1))
    most = current = 0
    for _, delta in sorted(points):
        current += delta
        most = max(most, current)
    return most
