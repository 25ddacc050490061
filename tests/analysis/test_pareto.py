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


def _brute_non_dominated(points: np.ndarray) -> np.ndarray:
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    return ~np.any(no_worse & better, axis=0)


@pytest.mark.parametrize("k", [2, 3])
def test_non_dominated_matches_the_pairwise_definition_with_ties(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(200):
        points = rng.integers(0, 4, size=(int(rng.integers(1, 25)), k)).astype(float)  # many ties and duplicates
        assert non_dominated(points).tolist() == _brute_non_dominated(points).tolist(), points


def test_hypervolume_contributions_are_what_each_front_row_alone_adds() -> None:
    from nni.analysis import hypervolume_contributions

    rng = np.random.default_rng(3)
    for k in (2, 3):
        points = rng.random((30, k))
        points = np.vstack([points, points[:1]])  # a duplicated row adds nothing alone
        ref = np.full(k, 1.1)
        front = np.flatnonzero(non_dominated(points))
        total = hypervolume(points[front], ref)
        expected = np.zeros(len(points))
        for i in front:
            if (points[front] == points[i]).all(axis=1).sum() == 1:
                expected[i] = total - hypervolume(points[front[front != i]], ref)
        assert hypervolume_contributions(points, ref) == pytest.approx(expected)
        assert hypervolume_contributions(points, ref)[0] == 0.0


def test_pareto_order_fronts_first_spread_within_then_infeasible_by_violation() -> None:
    from nni.analysis import pareto_order

    points = np.array([[0.0, 1.0], [0.5, 0.5], [0.45, 0.55], [1.0, 0.0], [0.6, 0.6], [0.0, 0.0], [2.0, 2.0]])
    violation = np.array([0, 0, 0, 0, 0, 3.0, 1.0])
    order = pareto_order(points, violation).tolist()
    assert set(order[:4]) == {0, 1, 2, 3} and order[4] == 4  # the first front, then the second
    assert set(order[:2]) == {0, 3}  # the extremes add the most hypervolume; 1 and 2 crowd each other
    assert order[5:] == [6, 5]  # infeasible last, the smaller violation first, whatever its objectives
    assert sorted(pareto_order(points, violation, limit=2).tolist()) == [0, 3]
    rng = np.random.default_rng(0)
    many = rng.random((300, 3))
    ranks = non_dominated_ranks(many)
    assert np.all(np.diff(ranks[pareto_order(many)]) >= 0)  # three objectives: fronts in order too
