"""nni.objectives: reading a trial's result against the declared objectives and constraints."""

from __future__ import annotations

import math

import pytest

from nni.objectives import Objectives, ResultError

SPEC = Objectives.from_json([{"name": "accuracy", "mode": "maximize"}, {"name": "latency_ms", "mode": "minimize"}],
                            [{"name": "memory_mb", "max": 4000}, {"name": "power", "min": 1, "max": 2}])


def test_reads_the_vectors_in_declared_order_and_minimises() -> None:
    measured = SPEC.read({"latency_ms": 12, "memory_mb": 4100.5, "accuracy": 0.9, "power": 0.5, "extra": "x"})
    assert measured.objective_values == (0.9, 12.0)
    assert measured.constraint_values == (4100.5, 0.5)
    assert SPEC.minimized(measured.objective_values) == (-0.9, 12.0)
    assert SPEC.violation(measured.constraint_values) == pytest.approx(100.5 + 0.5)
    assert SPEC.violation((4000, 1.5)) == 0.0
    assert SPEC.is_multi and SPEC.names == ("accuracy", "latency_ms") and SPEC.maximize == (True, False)
    assert SPEC.describe() == ("accuracy (maximize), latency_ms (minimize); constraints: memory_mb <= 4000, "
                               "1 <= power <= 2")


@pytest.mark.parametrize(("value", "key", "message"), [
    ({"accuracy": 0.9, "memory_mb": 1, "power": 1}, "latency_ms",
     "the final result has no objective 'latency_ms' (it has 'accuracy', 'memory_mb', 'power'); report it in the "
     "same dict"),
    ({"accuracy": 0.9, "latency_ms": 1, "power": 1}, "memory_mb",
     "the final result has no constraint 'memory_mb' (it has 'accuracy', 'latency_ms', 'power'); report it in the "
     "same dict"),
    ({"accuracy": math.nan, "latency_ms": 1, "memory_mb": 1, "power": 1}, "accuracy",
     "'accuracy' is nan; every objective and constraint must be a finite number"),
    ({"accuracy": 0.9, "latency_ms": math.inf, "memory_mb": 1, "power": 1}, "latency_ms",
     "'latency_ms' is inf; every objective and constraint must be a finite number"),
    ({"accuracy": "high", "latency_ms": 1, "memory_mb": 1, "power": 1}, "accuracy",
     "objective 'accuracy' is 'high', expected a finite number"),
    ({"accuracy": True, "latency_ms": 1, "memory_mb": 1, "power": 1}, "accuracy",
     "objective 'accuracy' is True, expected a finite number"),
    (0.93, None, "the final result 0.93 is not a dict; report every objective and constraint in one dict: "
                 "nni.report_final_result({'accuracy': ..., 'latency_ms': ..., 'memory_mb': ..., 'power': ...})"),
])
def test_an_unusable_result_names_the_key(value: object, key: str | None, message: str) -> None:
    with pytest.raises(ResultError) as info:
        SPEC.read(value)
    assert str(info.value) == message and info.value.key == key


def test_a_single_objective_reads_as_nni_default() -> None:
    single = Objectives.from_json([{"name": "loss", "mode": "minimize"}])
    assert single is not None and not single.is_multi
    assert single.as_default({"loss": 0.25, "default": 9}) == {"loss": 0.25, "default": 0.25}
    assert single.as_default(0.5) == 0.5  # a plain number is the one objective
    assert single.judged() == single.judged("loss")
    with pytest.raises(KeyError):
        single.judged("accuracy")
    assert Objectives.from_json(None) is None
