from __future__ import annotations

from typing import Any

from nni.algorithms.hpo.batch_tuner import BatchTuner
from nni.algorithms.hpo.gridsearch_tuner import GridSearchTuner
from nni.testing import TunerConformance
from nni.testing.tuner_conformance import _canonical


class TestGridSearchConformance(TunerConformance):
    learns_from_results = False
    tuner_class = GridSearchTuner
    class_args: dict[str, Any] = {}
    seed_arg = None
    finite_space_ends = True


def _batch(configs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"combine_params": {"_type": "choice", "_value": configs}}


class TestBatchConformance(TunerConformance):
    learns_from_results = False
    tuner_class = BatchTuner
    class_args: dict[str, Any] = {}
    seed_arg = None
    finite_space_ends = True

    def make_space(self, kind: str) -> dict[str, Any] | None:
        if kind == "all_types":
            return _batch([{"lr": 0.1 * i, "act": "relu" if i % 2 else "tanh", "layers": i} for i in range(1, 70)])
        if kind == "finite":
            return _batch([{"act": a, "layers": n} for a in ("relu", "tanh", "gelu") for n in range(4)])
        if kind == "continuous":
            return _batch([{"x": i / 100, "y": -i / 100} for i in range(self.loop_iterations + 10)])
        if kind == "updated":
            return _batch([{"x": 5 + i / 10, "k": "p"} for i in range(10)])
        return None

    def sample_parameters(self, space: dict[str, Any], count: int, seed: int = 7) -> list[dict[str, Any]]:
        return list(space["combine_params"]["_value"][-count:])

    def assert_in_space(self, space: dict[str, Any], params: Any) -> None:
        options = {_canonical(v) for v in space["combine_params"]["_value"]}
        assert _canonical(params) in options, f"{params!r} is not one of the Batch configurations"
