"""Timed, error-wrapped calls into the tuner and the assessor (they run inside the manager thread)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from nni.errors import NNIError, NoMoreTrialError, WaitForResults

__all__ = ["AlgorithmFailure", "AlgorithmCaller"]


class AlgorithmFailure(NNIError):
    """A tuner or assessor raised: the experiment goes to ERROR with ``traceback_text`` stored."""

    def __init__(self, message: str, traceback_text: str) -> None:
        super().__init__(message)
        self.traceback_text = traceback_text


class AlgorithmCaller:
    """Counts and times calls; turns unexpected exceptions into :class:`AlgorithmFailure`."""

    def __init__(self, tuner: Any, assessor: Any) -> None:
        self.tuner = tuner
        self.assessor = assessor
        self.stats: dict[str, float] = {"tunerCalls": 0, "tunerSeconds": 0.0, "assessorCalls": 0,
                                        "assessorSeconds": 0.0}

    def restore_stats(self, stats: dict[str, Any]) -> None:
        """Go on counting from the stats an earlier run stored (resume)."""
        for key in self.stats:
            self.stats[key] = stats.get(key, 0)

    def _call(self, who: str, obj: Any, method: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        except (NoMoreTrialError, WaitForResults):
            raise
        except Exception as exc:
            text = traceback.format_exc()
            raise AlgorithmFailure(f"{who} {type(obj).__name__}.{method}() raised {type(exc).__name__}: {exc}",
                                   text) from exc
        finally:
            self.stats[f"{who}Calls"] += 1
            self.stats[f"{who}Seconds"] += time.perf_counter() - start

    def tuner_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._call("tuner", self.tuner, method, getattr(self.tuner, method), *args, **kwargs)

    def assessor_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._call("assessor", self.assessor, method, getattr(self.assessor, method), *args, **kwargs)
