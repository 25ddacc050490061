"""A customized tuner with a finite list of configurations, ending it the NNI way: raise
nni.NoMoreTrialError from generate_parameters (as NNI's docs and BatchTuner-like user tuners do)."""

import nni
from nni.tuner import Tuner


class ListTuner(Tuner):
    def __init__(self, layers=2, lr=0.01):
        self.layers = layers
        self.lr = lr
        self.queue = []

    def update_search_space(self, search_space):
        self.queue = list(search_space['optimizer']['_value'])

    def generate_parameters(self, parameter_id, **kwargs):
        if not self.queue:
            raise nni.NoMoreTrialError('no more parameters now.')
        return {'optimizer': self.queue.pop(0), 'layers': self.layers, 'lr': self.lr}

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        pass
