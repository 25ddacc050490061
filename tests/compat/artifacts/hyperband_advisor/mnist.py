"""Stand-in for examples/trials/mnist-advisor/mnist.py: trains for the budget Hyperband hands out in
TRIAL_BUDGET, reporting an intermediate result per budget unit and the final accuracy."""

import json
import logging
import os

import nni

logger = logging.getLogger('mnist_AutoML')


def main(params):
    budget = params['TRIAL_BUDGET']
    acc = 0.0
    for epoch in range(int(budget)):
        acc = 1 - params['dropout_rate'] / (epoch + 2) + 0.001 * params['conv_size']
        nni.report_intermediate_result(acc)
    with open(os.path.join(os.environ['NNI_OUTPUT_DIR'], 'budget.json'), 'w') as f:
        json.dump({'budget': budget, 'sequence': nni.get_sequence_id()}, f)
    nni.report_final_result(acc)


def generate_default_params():
    return {'dropout_rate': 0.5, 'conv_size': 5, 'hidden_size': 1024, 'batch_size': 32, 'learning_rate': 1e-4}


if __name__ == '__main__':
    try:
        RCV_CONFIG = nni.get_next_parameter()
        logger.debug(RCV_CONFIG)
        params = generate_default_params()
        params.update(RCV_CONFIG)
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise
