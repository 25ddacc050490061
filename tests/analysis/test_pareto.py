"""nni.analysis.pareto against hand-computed fronts and a Monte Carlo hypervolume."""

from __future__ import annotations

import numpy as np
import pytest

from nni.analysis import (
    constraint_violation,
    crowding_distance,
    hypervolume,
    non_dominated,
    non_dominated_ranks,
    to_minimized,
)


def test_fronts_and_ranks() -> None:
    points = np.array([[1, 1], [2, 2], [0, 3], [3, 3], [1, 1]])
    assert non_dominated(points).tolist() == [True, False, True, False, True]  # equal rows both stay
    assert non_dominated_ranks(points).tolist() == [0, 1, 0, 2, 0]


def test_maximized_columns_are_negated() -> None:
    accuracy_latency = np.array([[0.9, 10.0], [0.8, 5.0], [0.7, 20.0]])
    front = non_dominated(to_minimized(accuracy_latency, [True, False]))
    assert front.tolist() == [True, True, False]


def test_crowding_distance_marks_the_boundaries_infinite() -> None:
    distance = crowding_distance(np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0]]))
    assert np.isinf(distance[0]) and np.isinf(distance[2])
    assert distance[1] == pytest.approx(3 / 3 + 3 / 3)


def test_hypervolume_two_objectives_exact() -> None:
    assert hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), [3.0, 3.0]) == pytest.approx(3.0)
    assert hypervolume(np.array([[4.0, 0.0]]), [3.0, 3.0]) == 0.0  # outside the reference box


def test_hypervolume_three_objectives_matches_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    points, ref = rng.random((25, 3)), np.full(3, 1.1)
    samples = rng.random((200_000, 3)) * 1.1
    dominated = np.zeros(len(samples), dtype=bool)
    for p in points:
        dominated |= np.all(samples >= p, axis=1)
    assert hypervolume(points, ref) == pytest.approx(dominated.mean() * 1.1**3, rel=0.01)


def test_constraint_violation() -> None:
    values = np.array([[5.0, 1.0], [np.nan, 1.0], [1.0, -2.0]])
    violation = constraint_violation(values, [None, 0.0], [4.0, None])
    assert violation.tolist() == [1.0, np.inf, 2.0]
