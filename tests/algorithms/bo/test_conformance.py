"""The shared tuner conformance suite over GP, SMAC, Metis, DNGO, Hyperband and BOHB."""

from __future__ import annotations

from typing import Any

from nni.algorithms.hpo.bohb_advisor import BOHB
from nni.algorithms.hpo.dngo_tuner import DNGOTuner
from nni.algorithms.hpo.gp_tuner import GPTuner
from nni.algorithms.hpo.hyperband_advisor import Hyperband
from nni.algorithms.hpo.metis_tuner import MetisTuner
from nni.algorithms.hpo.smac_tuner import SMACTuner
from nni.testing import TunerConformance
from nni.testing.tuner_conformance import _assert_valid_parameters


class TestGPConformance(TunerConformance):
    tuner_class = GPTuner
    class_args = {"optimize_mode": "maximize", "cold_start_num": 4, "seed": 1}
    finite_space_ends = True
    loop_iterations = 18
    sample_count = 14


class TestGPUcbMinimizeConformance(TunerConformance):
    tuner_class = GPTuner
    class_args = {"optimize_mode": "minimize", "utility": "ucb", "nu": 1.5, "cold_start_num": 3, "seed": 2}
    finite_space_ends = True
    loop_iterations = 12
    sample_count = 10


class TestSMACConformance(TunerConformance):
    tuner_class = SMACTuner
    class_args = {"optimize_mode": "maximize", "config_dedup": True, "cold_start_num": 4, "seed": 3}
    finite_space_ends = True
    loop_iterations = 12
    sample_count = 10


class TestMetisConformance(TunerConformance):
    tuner_class = MetisTuner
    class_args = {"optimize_mode": "maximize", "cold_start_num": 4, "seed": 4}
    finite_space_ends = True
    loop_iterations = 15
    sample_count = 12


class TestDNGOConformance(TunerConformance):
    tuner_class = DNGOTuner
    class_args = {
        "optimize_mode": "maximize",
        "cold_start_num": 4,
        "sample_size": 200,
        "trials_per_update": 5,
        "num_epochs_per_training": 40,
        "seed": 5,
    }
    finite_space_ends = True
    loop_iterations = 15
    sample_count = 12


class _BudgetedConformance(TunerConformance):
    """Hyperband and BOHB add ``TRIAL_BUDGET`` to every configuration."""

    budgets: frozenset[float] = frozenset()

    def assert_in_space(self, space: dict[str, Any], params: Any) -> None:
        assert isinstance(params, dict) and "TRIAL_BUDGET" in params, f"no TRIAL_BUDGET in {params!r}"
        assert params["TRIAL_BUDGET"] in self.budgets, f"unexpected budget in {params!r}"
        _assert_valid_parameters(space, {k: v for k, v in params.items() if k != "TRIAL_BUDGET"})

    def objective(self, params: dict[str, Any]) -> float:
        plain = {k: v for k, v in params.items() if k != "TRIAL_BUDGET"}
        return super().objective(plain) - 1.0 / params.get("TRIAL_BUDGET", 1)


class TestHyperbandConformance(_BudgetedConformance):
    tuner_class = Hyperband
    class_args = {"optimize_mode": "maximize", "R": 9, "eta": 3, "seed": 6}
    budgets = frozenset({1, 3, 9})
    loop_iterations = 40


class TestHyperbandSerialConformance(_BudgetedConformance):
    tuner_class = Hyperband
    class_args = {"optimize_mode": "minimize", "R": 4, "eta": 2, "exec_mode": "serial", "seed": 7}
    budgets = frozenset({1, 2, 4})
    loop_iterations = 30


class TestBOHBConformance(_BudgetedConformance):
    tuner_class = BOHB
    class_args = {"optimize_mode": "maximize", "min_budget": 1, "max_budget": 9, "eta": 3, "seed": 8,
                  "min_points_in_model": 3, "random_fraction": 0.2}
    budgets = frozenset({1, 3, 9})
    loop_iterations = 40
