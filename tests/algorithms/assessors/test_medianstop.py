"""Medianstop: the median stopping rule with NNI's classArgs."""

from __future__ import annotations

import pytest

from nni.algorithms.hpo.medianstop_assessor import MedianstopAssessor
from nni.assessor import AssessResult

Good, Bad = AssessResult.Good, AssessResult.Bad


def _complete(assessor: MedianstopAssessor, trial: str, history: list[float]) -> None:
    for step in range(1, len(history) + 1):
        assessor.assess_trial(trial, history[:step])
    assessor.trial_end(trial, True)


def test_no_completed_trial_means_no_stop() -> None:
    assessor = MedianstopAssessor()
    assert assessor.assess_trial("a", [0.0]) is Good
    assert assessor.assess_trial("a", [0.0, 0.0, 0.0]) is Good


def test_stops_below_the_median_of_running_averages_maximize() -> None:
    assessor = MedianstopAssessor("maximize")
    _complete(assessor, "a", [0.5, 0.7])  # running averages 0.5, 0.6
    _complete(assessor, "b", [0.3, 0.5])  # 0.3, 0.4
    _complete(assessor, "c", [0.8, 0.9])  # 0.8, 0.85
    # medians: step 1 -> 0.5, step 2 -> 0.6
    assert assessor.assess_trial("d", [0.5]) is Good  # equal to the median is not worse
    assert assessor.assess_trial("d", [0.5, 0.55]) is Bad  # best 0.55 < 0.6
    assert assessor.assess_trial("e", [0.4, 0.61]) is Good  # best 0.61 >= 0.6
    assert assessor.assess_trial("f", [0.49]) is Bad


def test_even_number_of_peers_uses_the_lenient_middle() -> None:
    high = MedianstopAssessor("maximize")
    _complete(high, "a", [0.2])
    _complete(high, "b", [0.8])
    assert high.assess_trial("x", [0.3]) is Good  # lower middle 0.2
    assert high.assess_trial("y", [0.1]) is Bad
    low = MedianstopAssessor("minimize")
    _complete(low, "a", [0.2])
    _complete(low, "b", [0.8])
    assert low.assess_trial("x", [0.7]) is Good  # upper middle 0.8
    assert low.assess_trial("y", [0.9]) is Bad


def test_minimize_uses_the_lowest_loss_so_far() -> None:
    assessor = MedianstopAssessor(optimize_mode="minimize")
    _complete(assessor, "a", [1.0, 0.5, 0.3])
    _complete(assessor, "b", [2.0, 1.0, 0.6])
    _complete(assessor, "c", [1.5, 0.9, 0.4])
    # averages at step 2: a 0.75, b 1.5, c 1.2 -> median 1.2
    assert assessor.assess_trial("d", [3.0, 1.1]) is Good  # best 1.1 <= 1.2
    assert assessor.assess_trial("e", [3.0, 1.3]) is Bad


def test_start_step_delays_every_decision() -> None:
    assessor = MedianstopAssessor(start_step=3)
    _complete(assessor, "a", [0.9, 0.9, 0.9, 0.9])
    assert assessor.assess_trial("b", [0.1]) is Good
    assert assessor.assess_trial("b", [0.1, 0.1]) is Good
    assert assessor.assess_trial("b", [0.1, 0.1, 0.1]) is Bad


def test_peers_shorter_than_the_step_are_not_compared() -> None:
    assessor = MedianstopAssessor()
    _complete(assessor, "short", [0.9, 0.9])
    assert assessor.assess_trial("b", [0.1, 0.1, 0.1]) is Good  # nobody completed 3 steps
    assert assessor.assess_trial("c", [0.1, 0.1]) is Bad


def test_dict_metrics_use_default() -> None:
    assessor = MedianstopAssessor()
    _complete(assessor, "a", [{"default": 0.8, "loss": 9.0}, {"default": 0.9, "loss": 8.0}])  # type: ignore[list-item]
    assert assessor.assess_trial("b", [{"default": 0.5, "loss": 0.1}]) is Bad
    assert assessor.assess_trial("c", [{"default": 0.85, "loss": 99.0}]) is Good


def test_failed_and_early_stopped_trials_do_not_count() -> None:
    assessor = MedianstopAssessor()
    assessor.assess_trial("failed", [0.99, 0.99])
    assessor.trial_end("failed", False)
    assert assessor.assess_trial("b", [0.1, 0.1]) is Good


def test_trials_without_intermediate_results_are_harmless() -> None:
    assessor = MedianstopAssessor()
    assessor.trial_end("never-reported", True)
    assessor.trial_end("never-reported-failed", False)
    assert assessor.assess_trial("b", []) is Good
    assessor.trial_end("b", True)  # an empty history adds nothing
    assert assessor.assess_trial("c", [0.0]) is Good


def test_whole_history_each_call_and_missing_steps() -> None:
    assessor = MedianstopAssessor()
    # the same history handed twice (e.g. a repeated metric) must not be counted twice
    assessor.assess_trial("a", [0.5, 0.5])
    assessor.assess_trial("a", [0.5, 0.5])
    assessor.trial_end("a", True)
    assert assessor._completed["a"] == [0.5, 0.5]
    # a missing step (None) is skipped rather than crashing the experiment
    assert assessor.assess_trial("b", [0.6, None, 0.7]) is Good  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"optimize_mode": "max"}, "optimize_mode"),
        ({"start_step": -1}, "start_step"),
        ({"start_step": 1.5}, "start_step"),
    ],
)
def test_bad_class_args_say_what_is_expected(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        MedianstopAssessor(**kwargs)


def test_non_numeric_result_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="'oops'"):
        MedianstopAssessor().assess_trial("a", ["oops"])
