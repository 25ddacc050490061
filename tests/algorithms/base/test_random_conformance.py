from nni.algorithms.hpo.random_tuner import RandomTuner
from nni.testing import TunerConformance


class TestRandomConformance(TunerConformance):
    learns_from_results = False
    tuner_class = RandomTuner
    class_args = {"seed": 0}
    finite_space_ends = True
