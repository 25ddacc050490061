"""Mirrors examples/tutorials/hpo_quickstart_pytorch/model.py: default params, updated from
nni.get_next_parameter(), an intermediate accuracy per epoch and a final one; numpy instead of torch."""

import nni
import numpy as np

params = {
    'features': 512,
    'lr': 0.001,
    'momentum': 0,
}

optimized_params = nni.get_next_parameter()
params.update(optimized_params)
print(params)

rng = np.random.default_rng(0)
epochs = 3
accuracy = 0.0
for t in range(epochs):
    accuracy = float(0.5 + 0.1 * t + 0.2 * params['momentum'] - abs(np.log10(params['lr']) + 2) * 0.05
                     + 0.0001 * params['features'] + rng.normal(0, 0.01))
    nni.report_intermediate_result(accuracy)
nni.report_final_result(accuracy)
