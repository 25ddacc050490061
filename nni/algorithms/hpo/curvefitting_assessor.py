"""NNI's ``Curvefitting`` assessor: stop a trial whose extrapolated learning curve cannot come close
to the best trial so far.

From ``start_step`` results on, and then every ``gap`` results, the trial's curve is extrapolated to
step ``epoch_num`` with an ensemble of learning-curve models (see ``_curve_models``). The trial is
stopped when the prediction is worse than ``threshold`` times the best final result of the trials
that completed successfully (with threshold 0.95 and a best of 0.9, below 0.855). Before any trial
completed, or while the curve cannot be extrapolated, trials go on.

``classArgs`` as NNI documents them: ``epoch_num`` (default 20), ``start_step`` (6), ``threshold``
(0.95), ``gap`` (1); ``optimize_mode`` ('maximize' by default) is also accepted, 'minimize' judging
a loss curve against the best loss divided by ``threshold``. With several ``objectives`` in the config
it judges by the first one, or the one ``objective`` names (``classArgs: {objective: accuracy}``), in that
objective's direction.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from nni.assessor import Assessor, AssessResult
from nni.utils import OptimizeMode

from ._assess_common import check_int, check_mode, check_number, scalar_history
from ._curve_models import predict_final

__all__ = ["CurvefittingAssessor"]

_logger = logging.getLogger(__name__)

_OWNER = "CurvefittingAssessor"


class CurvefittingAssessor(Assessor):
    """``CurvefittingAssessor(epoch_num=20, start_step=6, threshold=0.95, gap=1)`` as in NNI."""

    def __init__(
        self,
        epoch_num: int = 20,
        start_step: int = 6,
        threshold: float = 0.95,
        gap: int = 1,
        optimize_mode: str = "maximize",
        objective: str | None = None,
    ) -> None:
        self.objective = objective
        self.epoch_num = check_int(epoch_num, "epoch_num", _OWNER, 1)
        self.start_step = check_int(start_step, "start_step", _OWNER, 0)
        self.threshold = check_number(threshold, "threshold", _OWNER, 0.0, 9999.0)
        self.gap = check_int(gap, "gap", _OWNER, 1)
        self.optimize_mode = check_mode(optimize_mode, _OWNER)
        if self.start_step > self.epoch_num:
            raise ValueError(f"{_OWNER}: start_step ({start_step}) must not exceed epoch_num ({epoch_num})")
        self._maximize = self.optimize_mode is OptimizeMode.Maximize
        self._running: dict[str, list[float]] = {}
        self._last_judged: dict[str, int] = {}
        self.completed_best: float | None = None

    def _standard(self) -> float:
        """The result a trial must be predicted to beat: the best so far, loosened by ``threshold``."""
        assert self.completed_best is not None
        best, threshold = self.completed_best, self.threshold
        loosen = (best >= 0) == self._maximize  # scale towards "worse" whatever the sign
        if threshold == 0:
            return float("-inf") if self._maximize else float("inf")
        return best * threshold if loosen else best / threshold

    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        values = scalar_history(trial_history, _OWNER)
        self._running[trial_job_id] = values
        step = len(values)
        if self.completed_best is None or step < max(self.start_step, 1):
            return AssessResult.Good
        last = self._last_judged.get(trial_job_id)
        if last is not None and step - last < self.gap:
            return AssessResult.Good
        self._last_judged[trial_job_id] = step
        started = time.monotonic()
        curve = values if self._maximize else [-v for v in values]
        predicted = predict_final(curve, self.epoch_num)
        elapsed = time.monotonic() - started
        if elapsed > 60:
            _logger.warning("curve fitting of trial %s took %.0f s", trial_job_id, elapsed)
        if predicted is None:
            _logger.debug("trial %s step %d: cannot extrapolate yet", trial_job_id, step)
            return AssessResult.Good
        if not self._maximize:
            predicted = -predicted
        standard = self._standard()
        good = predicted > standard if self._maximize else predicted < standard
        _logger.debug(
            "trial %s step %d: predicted %.4g at step %d, standard %.4g -> %s",
            trial_job_id,
            step,
            predicted,
            self.epoch_num,
            standard,
            "Good" if good else "Bad",
        )
        return AssessResult.Good if good else AssessResult.Bad

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        values = self._running.pop(trial_job_id, [])
        self._last_judged.pop(trial_job_id, None)
        if not success or not values:
            return
        final = values[-1]
        if self.completed_best is None:
            self.completed_best = final
        elif self._maximize:
            self.completed_best = max(self.completed_best, final)
        else:
            self.completed_best = min(self.completed_best, final)
