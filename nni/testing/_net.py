"""Loopback ports and waiting helpers for tests that start real servers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

__all__ = ["free_port", "port_free", "wait_until"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether ``port`` on 127.0.0.1 can be bound (no server holds it any more)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "a condition",
               errors: tuple[type[BaseException], ...] = ()) -> Any:
    """Poll ``predicate()`` until it returns a true value (returned), backing off from 20 ms to 0.5 s; for
    state that sends no notification (another process, a REST server). ``errors`` raised by the predicate
    count as "not yet" (a server still starting)."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            value = predicate()
        except errors:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
