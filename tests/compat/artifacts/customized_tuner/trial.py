"""A trial reporting a dict metric (NNI: the "default" key is what tuners optimise). It also notes the
environment NNI gives a trial (NNI_* variables, working directory = the code directory) in env.json."""

import json
import os

import nni

params = nni.get_next_parameter()
with open(os.path.join(os.environ['NNI_OUTPUT_DIR'], 'env.json'), 'w') as f:
    json.dump({'cwd': os.getcwd(), **{k: v for k, v in os.environ.items() if k.startswith('NNI_')}}, f)
loss = params['lr'] * params['layers'] + (0.1 if params['optimizer'] == 'sgd' else 0.0)
nni.report_intermediate_result({'default': loss * 2, 'epoch': 1})
nni.report_final_result({'default': loss, 'accuracy': 1 - loss, 'trial': nni.get_trial_id(),
                         'sequence': nni.get_sequence_id(), 'experiment': nni.get_experiment_id()})
