"""``nni.assessor.Assessor``: decides from intermediate results whether a running trial should go on.

The manager calls ``assess_trial(trial_job_id, trial_history)`` each time a trial reports an
intermediate result (``trial_history`` is the list of its intermediate values so far, in order; dict
metrics as reported) and kills the trial when it answers ``AssessResult.Bad``. ``trial_end(trial_job_id,
success)`` is called once when the trial ends.

When the config declares several ``objectives``, an assessor judges by one of them: the one named by its
``objective`` attribute (the built-ins take it as ``classArgs: {objective: NAME}``), else the first one.
``trial_history`` then holds that objective's number for each intermediate result (None where a result
lacks it), and a built-in's ``optimize_mode`` defaults to that objective's direction.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from nni.recoverable import Recoverable

__all__ = ["Assessor", "AssessResult"]


class AssessResult(Enum):
    """``Good``: let the trial go on. ``Bad``: stop it early."""

    Good = True
    Bad = False


class Assessor(Recoverable):
    """Base of every assessor, built-in or custom."""

    # The objective this assessor judges by when the config declares objectives (None: the first).
    objective: str | None = None

    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        raise NotImplementedError(f"{type(self).__name__} must implement assess_trial()")

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        """Called once the trial ended; ``success`` is False for failed or stopped trials."""

    def _on_exit(self) -> None:
        pass

    def _on_error(self) -> None:
        pass
