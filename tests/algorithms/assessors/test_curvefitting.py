"""Curvefitting: learning-curve extrapolation against the best completed trial."""

from __future__ import annotations

import numpy as np
import pytest

from nni.algorithms.hpo._curve_models import predict_final
from nni.algorithms.hpo.curvefitting_assessor import CurvefittingAssessor
from nni.assessor import AssessResult

Good, Bad = AssessResult.Good, AssessResult.Bad


def _curve(final: float, start: float, n: int = 20, rate: float = 0.8, noise: float = 0.0, seed: int = 0) -> list[float]:
    x = np.arange(1, n + 1, dtype=float)
    y = final - (final - start) * x ** (-rate)
    y += np.random.default_rng(seed).normal(0, noise, n)
    return [float(v) for v in y]


def _complete(assessor: CurvefittingAssessor, trial: str, history: list[float]) -> None:
    for step in range(1, len(history) + 1):
        assessor.assess_trial(trial, history[:step])
    assessor.trial_end(trial, True)


@pytest.mark.parametrize(("final", "start", "rate"), [(0.95, 0.4, 0.8), (0.7, 0.1, 0.5), (0.98, 0.9, 1.2)])
def test_ensemble_extrapolates_saturating_curves(final: float, start: float, rate: float) -> None:
    curve = _curve(final, start, 30, rate, noise=0.003)
    predicted = predict_final(curve[:8], 30)
    assert predicted is not None
    assert abs(predicted - curve[-1]) < 0.04


def test_too_few_points_cannot_be_extrapolated() -> None:
    assert predict_final([0.1, 0.2], 20) is None
    assert predict_final([0.1, 0.2, 0.3, 0.4], 3) == pytest.approx(0.3)  # the target already observed


def test_no_decision_before_a_trial_completed_or_before_start_step() -> None:
    assessor = CurvefittingAssessor(epoch_num=20, start_step=6)
    poor = _curve(0.3, 0.05)
    assert all(assessor.assess_trial("p", poor[:s]) is Good for s in range(1, 10))
    _complete(assessor, "best", _curve(0.95, 0.4))
    assert assessor.assess_trial("q", poor[:5]) is Good  # start_step not reached
    assert assessor.assess_trial("q", poor[:6]) is Bad


def test_stops_curves_predicted_below_threshold_times_best() -> None:
    assessor = CurvefittingAssessor(epoch_num=20, start_step=6, threshold=0.95)
    _complete(assessor, "best", _curve(0.9, 0.3))
    assert assessor.completed_best == pytest.approx(_curve(0.9, 0.3)[-1])
    # a slow starter still rising fast: low first points, but it reaches ~0.92 by epoch 20
    rising = _curve(1.0, 0.1)
    assert rising[7] < 0.855 < 0.9 < rising[-1]
    assert assessor.assess_trial("rising", rising[:8]) is Good
    # a curve that really ends at 0.78 (< 0.95 * 0.9) is stopped
    assert assessor.assess_trial("slow", _curve(0.92, 0.1, rate=0.6)[:8]) is Bad
    assert assessor.assess_trial("flat", _curve(0.6, 0.5)[:8]) is Bad


def test_gap_skips_judgements() -> None:
    assessor = CurvefittingAssessor(epoch_num=20, start_step=6, gap=3)
    _complete(assessor, "best", _curve(0.9, 0.3))
    flat = _curve(0.5, 0.45)
    assert assessor.assess_trial("f", flat[:6]) is Bad
    assert assessor.assess_trial("g", flat[:6]) is Bad
    assert assessor.assess_trial("g", flat[:7]) is Good  # judged at 6, next judgement at 9
    assert assessor.assess_trial("g", flat[:8]) is Good
    assert assessor.assess_trial("g", flat[:9]) is Bad


def test_minimize_mode_judges_loss_curves() -> None:
    assessor = CurvefittingAssessor(epoch_num=20, start_step=6, optimize_mode="minimize")
    best_loss = [1 - v for v in _curve(0.9, 0.3)]
    _complete(assessor, "best", best_loss)
    assert assessor.assess_trial("bad", [1 - v for v in _curve(0.5, 0.4)][:8]) is Bad
    assert assessor.assess_trial("good", [1 - v for v in _curve(0.92, 0.3)][:8]) is Good


def test_dict_metrics_and_failed_trials() -> None:
    assessor = CurvefittingAssessor(epoch_num=20)
    failed = _curve(0.99, 0.9)
    for s in range(1, 8):
        assessor.assess_trial("failed", [{"default": v, "x": 1} for v in failed[:s]])
    assessor.trial_end("failed", False)
    assert assessor.completed_best is None
    _complete(assessor, "ok", [{"default": v} for v in _curve(0.9, 0.3)])  # type: ignore[misc]
    assert assessor.completed_best == pytest.approx(_curve(0.9, 0.3)[-1])
    assessor.trial_end("no-results", True)
    assert assessor.completed_best == pytest.approx(_curve(0.9, 0.3)[-1])


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"epoch_num": 0}, "epoch_num"),
        ({"start_step": -2}, "start_step"),
        ({"threshold": -0.1}, "threshold"),
        ({"gap": 0}, "gap"),
        ({"epoch_num": 5, "start_step": 6}, "must not exceed"),
        ({"optimize_mode": "up"}, "optimize_mode"),
    ],
)
def test_bad_class_args(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        CurvefittingAssessor(**kwargs)
