from nni.algorithms.hpo.tpe_tuner import TpeTuner
from nni.testing import TunerConformance


class TestTpeConformance(TunerConformance):
    tuner_class = TpeTuner
    class_args = {"optimize_mode": "maximize", "seed": 0, "tpe_args": {"n_startup_jobs": 5}}
    loop_iterations = 40
