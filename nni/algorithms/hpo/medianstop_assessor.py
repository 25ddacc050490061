"""NNI's ``Medianstop`` assessor: the median stopping rule.

A running trial is stopped at step ``t`` when its best intermediate result so far is worse than the
median of the running averages, at step ``t``, of the trials that completed successfully (Golovin et
al., "Google Vizier", 2017). ``classArgs``: ``optimize_mode`` ('maximize' or 'minimize', default
'maximize') and ``start_step`` (no decision before a trial has reported that many results, default 0).
With several ``objectives`` in the config it judges by the first one, or the one ``objective`` names
(``classArgs: {objective: accuracy}``), in that objective's direction.

With an even number of completed trials the more lenient of the two middle values is the median, so
ties never stop a trial. Trials that failed or were stopped early never count as completed; a trial
that reported no intermediate result is never judged and adds nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from nni.assessor import Assessor, AssessResult
from nni.utils import OptimizeMode

from ._assess_common import check_int, check_mode, scalar_history

__all__ = ["MedianstopAssessor"]

_logger = logging.getLogger(__name__)


class MedianstopAssessor(Assessor):
    """``MedianstopAssessor(optimize_mode='maximize', start_step=0)`` as in NNI (``objective``: see above)."""

    def __init__(self, optimize_mode: str = "maximize", start_step: int = 0, objective: str | None = None) -> None:
        self.objective = objective
        self.optimize_mode = check_mode(optimize_mode, "MedianstopAssessor")
        self.start_step = check_int(start_step, "start_step", "MedianstopAssessor", 0)
        self._maximize = self.optimize_mode is OptimizeMode.Maximize
        self._running: dict[str, list[float]] = {}
        # running averages of each completed trial: _completed[trial][t - 1] = mean of its first t results
        self._completed: dict[str, list[float]] = {}

    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        values = scalar_history(trial_history, "MedianstopAssessor")
        self._running[trial_job_id] = values  # the manager hands the whole history each time
        step = len(values)
        if step == 0 or step < self.start_step:
            return AssessResult.Good
        peers = sorted(avg[step - 1] for avg in self._completed.values() if len(avg) >= step)
        if not peers:
            return AssessResult.Good
        best = max(values) if self._maximize else min(values)
        if self._maximize:
            median = peers[(len(peers) - 1) // 2]
            bad = best < median
        else:
            median = peers[len(peers) // 2]
            bad = best > median
        _logger.debug(
            "trial %s step %d best %s median %s of %d -> %s",
            trial_job_id,
            step,
            best,
            median,
            len(peers),
            "Bad" if bad else "Good",
        )
        return AssessResult.Bad if bad else AssessResult.Good

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        values = self._running.pop(trial_job_id, [])
        if success and values:
            total, averages = 0.0, []
            for index, value in enumerate(values, start=1):
                total += value
                averages.append(total / index)
            self._completed[trial_job_id] = averages
