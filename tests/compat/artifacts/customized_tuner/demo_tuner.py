"""A customized tuner written the way NNI's docs show it (docs Tuner/CustomizeTuner and
examples/tuners/customized_tuner/demo_tuner.py): subclass nni.tuner.Tuner, ``**kwargs`` in the
hooks, extract_scalar_reward for dict metrics, and a ClassArgsValidator built on the ``schema`` library.

It records every call (and the keyword arguments NNI passes) to the JSON-lines file named by the
environment variable COMPAT_TUNER_LOG, so tests can check how the manager drives it."""

import json
import os
import random

from schema import Optional, Schema

from nni import ClassArgsValidator
from nni.tuner import Tuner
from nni.utils import OptimizeMode, extract_scalar_reward


def _record(**event):
    path = os.environ.get('COMPAT_TUNER_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps(event, default=str) + '\n')


class DemoTuner(Tuner):
    def __init__(self, optimize_mode='maximize', seed=None):
        # optimize_mode is used to demo how to create ClassArgsValidator
        self.optimize_mode = OptimizeMode(optimize_mode)
        self.rng = random.Random(seed)
        self._space = {}
        self.results = {}
        # NNI's docs: a tuner finds its experiment's log folder in NNI_LOG_DIRECTORY
        _record(call='__init__', optimize_mode=optimize_mode, seed=seed,
                log_dir=os.environ.get('NNI_LOG_DIRECTORY'))

    def update_search_space(self, search_space):
        self._space = search_space
        _record(call='update_search_space', keys=sorted(search_space))

    def generate_parameters(self, parameter_id, **kwargs):
        params = {}
        for k in self._space:
            t, v = self._space[k]['_type'], self._space[k]['_value']
            if t == 'choice':
                params[k] = self.rng.choice(v)
            elif t == 'randint':
                params[k] = self.rng.choice(range(v[0], v[1]))
            elif t == 'uniform':
                params[k] = self.rng.uniform(v[0], v[1])
            else:
                raise NotImplementedError('unsupported type in search_space: %s' % t)
        _record(call='generate_parameters', parameter_id=parameter_id, kwargs=sorted(kwargs))
        return params

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        reward = extract_scalar_reward(value)
        self.results[parameter_id] = reward
        _record(call='receive_trial_result', parameter_id=parameter_id, parameters=parameters, value=value,
                reward=reward, kwargs=kwargs)

    def import_data(self, data):
        # data: [{"parameter": {...}, "value": metric}, ...] from nnictl experiment import
        for record in data:
            self.results[('imported', len(self.results))] = extract_scalar_reward(record['value'])
        _record(call='import_data', data=data)

    def trial_end(self, parameter_id, success, **kwargs):
        _record(call='trial_end', parameter_id=parameter_id, success=success, kwargs=kwargs)


class MyClassArgsValidator(ClassArgsValidator):
    def validate_class_args(self, **kwargs):
        Schema({
            Optional('optimize_mode'): self.choices('optimize_mode', 'maximize', 'minimize'),
            Optional('seed'): self.range('seed', int, 0, 99999),
        }).validate(kwargs)
