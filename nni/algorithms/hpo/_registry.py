"""Built-in algorithm names (as written in configs) -> class paths at NNI's module paths.

Classes are imported only when used, so listing or validating names loads no algorithm code.
"""

from __future__ import annotations

__all__ = ["BUILTIN_TUNERS", "BUILTIN_ASSESSORS", "BUILTIN_ADVISORS"]

_HPO = "nni.algorithms.hpo"

BUILTIN_TUNERS: dict[str, str] = {
    "TPE": f"{_HPO}.tpe_tuner.TpeTuner",
    "Random": f"{_HPO}.random_tuner.RandomTuner",
    "Anneal": f"{_HPO}.hyperopt_tuner.HyperoptTuner",
    "Evolution": f"{_HPO}.evolution_tuner.EvolutionTuner",
    "GridSearch": f"{_HPO}.gridsearch_tuner.GridSearchTuner",
    "Batch": f"{_HPO}.batch_tuner.BatchTuner",
    "GP": f"{_HPO}.gp_tuner.GPTuner",
    "Metis": f"{_HPO}.metis_tuner.MetisTuner",
    "SMAC": f"{_HPO}.smac_tuner.SMACTuner",
    "PBT": f"{_HPO}.pbt_tuner.PBTTuner",
    "DNGO": f"{_HPO}.dngo_tuner.DNGOTuner",
    # NNI 2.x accepts the multi-fidelity advisors as tuners too.
    "Hyperband": f"{_HPO}.hyperband_advisor.Hyperband",
    "BOHB": f"{_HPO}.bohb_advisor.BOHB",
}

BUILTIN_ADVISORS: dict[str, str] = {
    "Hyperband": f"{_HPO}.hyperband_advisor.Hyperband",
    "BOHB": f"{_HPO}.bohb_advisor.BOHB",
}

BUILTIN_ASSESSORS: dict[str, str] = {
    "Medianstop": f"{_HPO}.medianstop_assessor.MedianstopAssessor",
    "Curvefitting": f"{_HPO}.curvefitting_assessor.CurvefittingAssessor",
}
