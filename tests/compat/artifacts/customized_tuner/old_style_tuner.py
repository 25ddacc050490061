"""A tuner in the style of NNI 0.x/1.x examples (examples/tuners/ga_customer_tuner/customer_tuner.py):
its own OptimizeMode enum, hooks without **kwargs, self.extract_scalar_reward, a population kept in the
tuner. Evolves the "lr" of this folder's search space by mutation; records calls to COMPAT_TUNER_LOG."""

import copy
import json
import logging
import os
import random
from enum import Enum, unique

from nni.tuner import Tuner

logger = logging.getLogger('old_style_tuner')


@unique
class OptimizeMode(Enum):
    Minimize = 'minimize'
    Maximize = 'maximize'


class Individual(object):
    def __init__(self, config=None, result=None):
        self.config = config
        self.result = result

    def mutation(self):
        self.result = None
        self.config['lr'] = min(0.1, max(0.001, self.config['lr'] * random.choice([0.5, 2.0])))


class OldStyleTuner(Tuner):
    def __init__(self, optimize_mode, population_size = 4):
        self.optimize_mode = OptimizeMode(optimize_mode)
        self.population = [Individual({'optimizer': 'adam', 'layers': 1, 'lr': 0.001 * (i + 1)})
                           for i in range(population_size)]
        return

    def generate_parameters(self, parameter_id):
        pos = -1
        for i in range(len(self.population)):
            if self.population[i].result == None:  # noqa: E711 - as the example wrote it
                pos = i
                break
        if pos != -1:
            indiv = copy.deepcopy(self.population[pos])
            self.population.pop(pos)
        else:
            random.shuffle(self.population)
            indiv = copy.deepcopy(self.population[0])
            indiv.mutation()
        return indiv.config

    def receive_trial_result(self, parameter_id, parameters, value):
        reward = self.extract_scalar_reward(value)
        if self.optimize_mode is OptimizeMode.Minimize:
            reward = -reward
        self.population.append(Individual(parameters, result=reward))
        path = os.environ.get('COMPAT_TUNER_LOG')
        if path:
            with open(path, 'a') as f:
                f.write(json.dumps({'call': 'receive_trial_result', 'parameter_id': parameter_id,
                                    'reward': reward}) + '\n')
        return

    def update_search_space(self, data):
        pass
