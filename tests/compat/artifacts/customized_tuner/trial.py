"""A trial reporting a dict metric (NNI: the "default" key is what tuners optimise)."""

import nni

params = nni.get_next_parameter()
loss = params['lr'] * params['layers'] + (0.1 if params['optimizer'] == 'sgd' else 0.0)
nni.report_intermediate_result({'default': loss * 2, 'epoch': 1})
nni.report_final_result({'default': loss, 'accuracy': 1 - loss, 'trial': nni.get_trial_id(),
                         'sequence': nni.get_sequence_id(), 'experiment': nni.get_experiment_id()})
