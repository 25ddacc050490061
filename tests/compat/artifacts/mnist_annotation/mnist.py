"""Stand-in for examples/trials/mnist-annotation/mnist.py: the search space lives in annotation strings
(attribute names like self.conv_size, a function_choice named by a dotted call), numpy replaces
tensorflow, and accuracy is a numpy float32 as tensorflow's eval() returns it."""

import logging
import json
import os

import numpy as np

logger = logging.getLogger('mnist_AutoML')


def relu(x):
    return np.maximum(x, 0)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def max_pool(x, size):
    return x.reshape(-1, size).max(axis=1)


def avg_pool(x, size):
    return x.reshape(-1, size).mean(axis=1)


class MnistNetwork(object):
    def __init__(self, conv_size, hidden_size, pool_size, learning_rate):
        """@nni.variable(nni.choice(2, 3, 5, 7),name=self.conv_size)"""
        self.conv_size = conv_size
        """@nni.variable(nni.choice(124, 512, 1024), name=self.hidden_size)"""
        self.hidden_size = hidden_size
        self.pool_size = pool_size
        """@nni.variable(nni.uniform(0.0001, 0.1), name=self.learning_rate)"""
        self.learning_rate = learning_rate

    def build_network(self, x):
        """@nni.function_choice(relu(x * self.conv_size), sigmoid(x * self.conv_size), name=relu)"""
        h = relu(x * self.conv_size)
        """@nni.function_choice(max_pool(h, self.pool_size), avg_pool(h, self.pool_size), name=max_pool)"""
        pooled = max_pool(h, self.pool_size)
        return pooled


def main(params):
    net = MnistNetwork(conv_size=params['conv_size'], hidden_size=params['hidden_size'],
                       pool_size=params['pool_size'], learning_rate=params['learning_rate'])
    test_acc = np.float32(0.0)
    """@nni.variable(nni.choice(1, 4, 8), name=batch_size)"""
    batch_size = params['batch_size']
    x = np.linspace(-1, 1, 8)
    for i in range(params['batch_num']):
        out = net.build_network(x)
        test_acc = np.float32(min(1.0, float(out.mean()) * 0.1 + 0.01 * batch_size + 0.1 * i + net.learning_rate))
        """@nni.report_intermediate_result(test_acc)"""
        logger.debug('test accuracy %g', test_acc)
    with open(os.path.join(os.environ.get('NNI_OUTPUT_DIR', '.'), 'seen.json'), 'w') as f:
        json.dump({'conv_size': net.conv_size, 'hidden_size': net.hidden_size,
                   'learning_rate': net.learning_rate, 'batch_size': batch_size}, f)
    """@nni.report_final_result(test_acc)"""
    logger.debug('Final result is %g', test_acc)


def generate_defualt_params():
    return {'conv_size': 5, 'pool_size': 2, 'hidden_size': 1024, 'learning_rate': 1e-4,
            'batch_num': 3, 'batch_size': 32}


if __name__ == '__main__':
    '''@nni.get_next_parameter()'''
    try:
        main(generate_defualt_params())
    except Exception as exception:
        logger.exception(exception)
        raise
