"""``EventLog``: a platform event sink that tests wait on (a condition variable, no fixed sleeps)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from nni.platforms.base import TrialExited

__all__ = ["EventLog"]


class EventLog:
    """Records every event a platform pushes (thread-safe); tests wait for what they expect."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def of(self, trial_job_id: str | None = None, kind: type | None = None) -> list[Any]:
        """The events so far, of one trial and/or of one kind."""
        with self._cond:
            return [e for e in self.events if (trial_job_id is None or e.trial_job_id == trial_job_id)
                    and (kind is None or isinstance(e, kind))]

    def wait(self, predicate: Callable[[], Any], timeout: float = 60.0, what: str = "a condition") -> Any:
        """Wait until ``predicate()`` is true (checked on every event and every 50 ms, since it may also
        look at the platform's state); returns its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := predicate()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; events: {self.events}")
                self._cond.wait(min(left, 0.05))
            return value

    def wait_for(self, match: Callable[[Any], bool], timeout: float = 60.0, what: str = "an event") -> Any:
        """The first event (received already or still to come) for which ``match(event)`` is true."""
        def first() -> Any:
            return next((e for e in self.events if match(e)), None)

        return self.wait(lambda: first() is not None, timeout, what) and first()

    def exited(self, trial_job_id: str, timeout: float = 60.0) -> TrialExited:
        """The one ``TrialExited`` of a trial (a second exit is a platform bug and fails the test)."""
        self.wait(lambda: self.of(trial_job_id, TrialExited), timeout, f"trial {trial_job_id} to exit")
        exits = self.of(trial_job_id, TrialExited)
        assert len(exits) == 1, f"trial {trial_job_id} reported {len(exits)} exits: {exits}"
        return exits[0]
