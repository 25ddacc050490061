"""The shared tuner conformance suite over TPE, Anneal (and HyperoptTuner's other modes), Evolution, PBT."""

from __future__ import annotations

from typing import Any

from nni.algorithms.hpo.evolution_tuner import EvolutionTuner
from nni.algorithms.hpo.hyperopt_tuner import HyperoptTuner
from nni.algorithms.hpo.pbt_tuner import PBTTuner
from nni.algorithms.hpo.tpe_tuner import TpeTuner
from nni.testing import TunerConformance


class TestTpeConformance(TunerConformance):
    tuner_class = TpeTuner
    class_args = {"optimize_mode": "maximize", "seed": 0, "tpe_args": {"n_startup_jobs": 5}}
    loop_iterations = 40


class TestTpeWorstLiarConformance(TunerConformance):
    tuner_class = TpeTuner
    class_args = {"optimize_mode": "minimize", "seed": 1,
                  "tpe_args": {"n_startup_jobs": 3, "constant_liar_type": "worst", "n_ei_candidates": 8}}
    loop_iterations = 30


class TestAnnealConformance(TunerConformance):
    tuner_class = HyperoptTuner
    class_args = {"algorithm_name": "anneal", "optimize_mode": "maximize", "seed": 0}
    loop_iterations = 40


class TestHyperoptTpeConformance(TunerConformance):
    tuner_class = HyperoptTuner
    class_args = {"algorithm_name": "tpe", "optimize_mode": "minimize", "seed": 0,
                  "parallel_optimize": True, "constant_liar_type": "mean"}
    loop_iterations = 30


class TestHyperoptRandomConformance(TunerConformance):
    tuner_class = HyperoptTuner
    class_args = {"algorithm_name": "random_search", "seed": 0}
    loop_iterations = 30


class TestEvolutionConformance(TunerConformance):
    tuner_class = EvolutionTuner
    class_args = {"optimize_mode": "maximize", "population_size": 8, "seed": 0}
    loop_iterations = 40


class TestPbtConformance(TunerConformance):
    tuner_class = PBTTuner
    class_args = {"optimize_mode": "maximize", "population_size": 6, "seed": 0,
                  "all_checkpoint_dir": "/tmp/nni-pbt-conformance"}
    loop_iterations = 30

    def assert_in_space(self, space: dict[str, Any], params: Any) -> None:
        assert params["save_checkpoint_dir"].startswith("/tmp/nni-pbt-conformance/")
        assert params["load_checkpoint_dir"].startswith("/tmp/nni-pbt-conformance/")
        rest = {k: v for k, v in params.items() if k not in ("load_checkpoint_dir", "save_checkpoint_dir")}
        super().assert_in_space(space, rest)

    def objective(self, params: dict[str, Any]) -> float:
        rest = {k: v for k, v in params.items() if k not in ("load_checkpoint_dir", "save_checkpoint_dir")}
        return super().objective(rest)
