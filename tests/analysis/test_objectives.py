"""The Pareto analysis every reader shares (nni.analysis.objectives), checked against brute force."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

from nni.analysis.objectives import REFERENCE_RULE, ObjectiveSpec, ParetoCache, pareto_front
from nni.testing import expected_pareto_set

CONFIG = {
    "objectives": [{"name": "accuracy", "mode": "maximize"}, {"name": "latency_ms", "mode": "minimize"}],
    "constraints": [{"name": "memory_mb", "max": 4000}],
}


def _trial(seq: int, result: object, status: str = "SUCCEEDED") -> SimpleNamespace:
    return SimpleNamespace(trial_job_id=f"t{seq:04d}", sequence_id=seq, status=status, final_metric=result)


def test_no_objectives_is_no_spec() -> None:
    assert ObjectiveSpec.from_config({"tuner": {"name": "TPE"}}) is None
    assert ObjectiveSpec.from_config(None) is None
    assert ParetoCache().get(1, {"tuner": {}}, lambda: []) is None


def test_spec_reads_names_modes_and_bounds() -> None:
    spec = ObjectiveSpec.from_config(CONFIG)
    assert spec is not None
    assert spec.names == ("accuracy", "latency_ms") and spec.maximize == (True, False)
    assert spec.as_json() == {"objectives": CONFIG["objectives"], "constraints": [{"name": "memory_mb", "max": 4000.0}]}


def test_feasible_infeasible_invalid_and_the_front() -> None:
    spec = ObjectiveSpec.from_config(CONFIG)
    trials = [
        _trial(0, {"accuracy": 0.90, "latency_ms": 30, "memory_mb": 1000}),   # front
        _trial(1, {"accuracy": 0.80, "latency_ms": 10, "memory_mb": 1000}),   # front
        _trial(2, {"accuracy": 0.85, "latency_ms": 40, "memory_mb": 1000}),   # dominated by t0000
        _trial(3, {"accuracy": 0.99, "latency_ms": 5, "memory_mb": 4500}),    # infeasible by 500
        _trial(4, {"accuracy": float("nan"), "latency_ms": 5, "memory_mb": 10}),  # invalid
        _trial(5, {"accuracy": 0.95}),                                        # invalid: latency missing
        _trial(6, 0.97),                                                      # invalid: not a dict
        _trial(7, {"accuracy": 0.5, "latency_ms": 1}),                        # constraint value missing
        _trial(8, None, status="RUNNING"),                                    # no result: not listed
    ]
    front = pareto_front(spec, trials)
    by_id = {p.trial_job_id: p for p in front.points}
    assert set(by_id) == {f"t{i:04d}" for i in range(8)}
    assert [p.trial_job_id for p in front.pareto_set] == ["t0000", "t0001"]  # best accuracy first
    assert by_id["t0003"].feasible is False and by_id["t0003"].violation == 500.0 and by_id["t0003"].valid
    assert by_id["t0007"].feasible is False and by_id["t0007"].violation is None
    assert "accuracy=nan" in by_id["t0004"].problem
    assert "latency_ms missing" in by_id["t0005"].problem
    assert "not a dict" in by_id["t0006"].problem and by_id["t0006"].values == (None, None)
    assert front.counts() == {"results": 8, "valid": 5, "feasible": 3, "infeasible": 2, "invalid": 3, "pareto": 2}
    # reference: worst feasible accuracy 0.80 - 10% of 0.10; worst latency 40 + 10% of 30
    assert front.reference == pytest.approx((0.79, 43.0))
    # dominated area (accuracy up, latency down): boxes [0.79,0.90]x[30,43] + [0.79,0.80]x[10,30]
    assert front.hypervolume == pytest.approx(0.11 * 13 + 0.01 * 20)
    shape = front.as_json()
    assert shape["paretoSet"] == ["t0000", "t0001"] and [t["trialJobId"] for t in shape["trials"]] == ["t0000", "t0001"]
    assert shape["referenceRule"] == REFERENCE_RULE
    assert len(front.as_json(every_trial=True)["trials"]) == 8


@pytest.mark.parametrize("k", [2, 3])
def test_front_and_hypervolume_history_match_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    modes = ["maximize", "minimize", "maximize"][:k]
    spec = ObjectiveSpec.from_config({"objectives": [{"name": f"f{j}", "mode": m} for j, m in enumerate(modes)],
                                      "constraints": [{"name": "c", "min": 0.1, "max": 0.9}]})
    values = np.round(rng.random((300, k)), 2)  # rounded: ties and duplicates happen
    cons = rng.random(300)
    trials = [_trial(i, {**{f"f{j}": float(values[i, j]) for j in range(k)}, "c": float(cons[i])}) for i in range(300)]
    front = pareto_front(spec, trials, history_points=50)
    feasible = {f"t{i:04d}": tuple(values[i]) for i in range(300) if 0.1 <= cons[i] <= 0.9}
    assert {p.trial_job_id for p in front.points if p.feasible} == set(feasible)
    results = {t.trial_job_id: t.final_metric for t in trials}
    assert {p.trial_job_id for p in front.pareto_set} == expected_pareto_set(results, {
        "objectives": spec.as_json()["objectives"], "constraints": [{"name": "c", "min": 0.1, "max": 0.9}]})
    # history: at most 50 points, non-decreasing, ending with the whole experiment's hypervolume
    volumes = [v for _, v in front.history]
    last_feasible = max(int(t[1:]) for t in feasible)
    assert len(front.history) <= 50 and front.history[-1][0] == last_feasible
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(volumes))
    assert volumes[-1] == pytest.approx(front.hypervolume)
    # the same hypervolume by Monte Carlo in the reference box
    ref = np.array(front.reference)
    signs = np.array([-1.0 if m else 1.0 for m in spec.maximize])
    pts = np.array([feasible[p.trial_job_id] for p in front.pareto_set]) * signs
    low = pts.min(axis=0)
    box = rng.random((100_000, k)) * (ref * signs - low) + low
    covered = np.any(np.all(pts[None, :, :] <= box[:, None, :], axis=2), axis=1).mean()
    assert front.hypervolume == pytest.approx(covered * np.prod(ref * signs - low), rel=0.03)


def test_given_reference_point_and_cache() -> None:
    calls = []

    def trials() -> list[SimpleNamespace]:
        calls.append(1)
        return [_trial(0, {"accuracy": 0.9, "latency_ms": 10, "memory_mb": 1}),
                _trial(1, {"accuracy": 0.8, "latency_ms": 5, "memory_mb": 1})]

    cache = ParetoCache()
    first = cache.get(7, CONFIG, trials, history=False)
    assert cache.get(7, CONFIG, trials, history=False) is first and len(calls) == 1
    with_history = cache.get(7, CONFIG, trials)  # the cached one has no history: computed again
    assert len(calls) == 2 and cache.get(7, CONFIG, trials, history=False) is with_history
    cache.get(8, CONFIG, trials)
    assert len(calls) == 3
    given = cache.get(8, CONFIG, trials, reference=[0.0, 20.0])
    assert given.reference == (0.0, 20.0) and given.reference_given
    assert given.hypervolume == pytest.approx(0.9 * 10 + 0.8 * 5)
    assert cache.get(8, CONFIG, trials).reference != (0.0, 20.0)  # the default stays cached
    with pytest.raises(ValueError, match="one per objective"):
        pareto_front(ObjectiveSpec.from_config(CONFIG), trials(), reference=[1.0])


def test_no_feasible_trial_gives_an_empty_front() -> None:
    spec = ObjectiveSpec.from_config(CONFIG)
    front = pareto_front(spec, [_trial(0, {"accuracy": 0.9, "latency_ms": 10, "memory_mb": 9000})])
    assert front.pareto_set == [] and front.reference is None and front.hypervolume == 0.0 and front.history == ()
    assert not math.isnan(front.points[0].violation)
