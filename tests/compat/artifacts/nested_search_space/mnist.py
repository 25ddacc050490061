"""Stand-in for examples/trials/mnist-nested-search-space/mnist.py: each layer's choice arrives as a dict
with its "_name" and the sub-parameters of that choice only. Writes what it got to params.json in the
trial's output folder (NNI_OUTPUT_DIR) so the test can check the shape."""

import json
import logging
import os

import nni

logger = logging.getLogger('mnist_nested')
SUB_KEYS = {'Empty': set(), 'Conv': {'kernel_size'}, 'Max_pool': {'pooling_size'}, 'Avg_pool': {'pooling_size'}}


def build(params):
    score = 0.5
    for i in range(3):
        layer = params['layer%d' % i]
        name = layer['_name']
        extra = set(layer) - {'_name'}
        if extra != SUB_KEYS[name]:
            raise ValueError('layer%d %s came with %s' % (i, name, sorted(extra)))
        if name == 'Conv':
            score += 0.05 * layer['kernel_size']
        elif name.endswith('_pool'):
            score += 0.01 * layer['pooling_size']
    return score


if __name__ == '__main__':
    params = nni.get_next_parameter()
    logger.debug(params)
    with open(os.path.join(os.environ['NNI_OUTPUT_DIR'], 'params.json'), 'w') as f:
        json.dump(params, f)
    acc = build(params)
    nni.report_intermediate_result(acc / 2)
    nni.report_final_result(acc)
