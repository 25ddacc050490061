"""Hyperband (NNI's ``Hyperband`` built-in): successive halving over brackets of random configurations.

classArgs as NNI documents them: ``R`` (the maximum budget a trial gets), ``eta`` (each rung keeps the
best ``1/eta`` of its configurations and gives them ``eta`` times the budget), ``optimize_mode`` and
``exec_mode`` (``'parallelism'``: open the next bracket whenever the open ones must wait, keeping all
trial slots busy; ``'serial'``: one bracket at a time, as in the paper). Each trial finds its budget in
its parameters under ``TRIAL_BUDGET`` (an integer: ``floor(R * eta**(i - s))``, at least 1) and should
train for that long; promotions are decided on final results (``nni.report_final_result``).

Additions of this project: ``num_iterations`` (how many full Hyperband iterations of ``s_max + 1``
brackets to run before ``NoMoreTrialError``; ``None``, the default, repeats them like NNI until the
experiment's trial or time limit) and ``seed``. The schedule itself is in :mod:`._bo.brackets`.
"""

from __future__ import annotations

from typing import Any

from ._bo.brackets import EXEC_MODES
from ._bo.multifidelity import BracketTuner, s_max_for

__all__ = ["Hyperband"]


class Hyperband(BracketTuner):
    """Hyperband with random configurations; budgets reach trials as ``TRIAL_BUDGET``."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        R: int = 60,  # noqa: N803 - NNI's name
        eta: int = 3,
        exec_mode: str = "parallelism",
        num_iterations: int | None = None,
        seed: int | None = None,
    ) -> None:
        if not isinstance(R, (int, float)) or isinstance(R, bool) or R < 1:
            raise ValueError(f"R (the maximum trial budget) must be a number >= 1, got {R!r}")
        if not isinstance(eta, (int, float)) or isinstance(eta, bool) or eta <= 1:
            raise ValueError(f"eta must be a number > 1 (3 is usual), got {eta!r}")
        if exec_mode not in EXEC_MODES:
            raise ValueError(f"exec_mode must be 'serial' or 'parallelism', got {exec_mode!r}")
        self.R = R
        self.eta = eta
        self.exec_mode = exec_mode
        super().__init__(
            optimize_mode,
            max_budget=float(R),
            eta=float(eta),
            s_max=s_max_for(float(R), float(eta)),
            exec_mode=exec_mode,
            num_iterations=num_iterations,
            integer_budget=True,
            seed=seed,
        )

    def _new_config(self) -> dict[Any, Any]:
        enc = self._require_space()
        return enc.decode(enc.random(self.rng, 1)[0])
