"""Process checks for tests that follow trial processes on this machine."""

from __future__ import annotations

from nni._os import process_alive

__all__ = ["pid_alive"]


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as gone)."""
    return process_alive(pid)
