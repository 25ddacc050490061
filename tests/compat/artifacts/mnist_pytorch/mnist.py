"""Stand-in for examples/trials/mnist-pytorch/mnist.py: the same argparse defaults, the same NNI calls
(get_next_parameter, params.update, get_trial_id, report_intermediate_result each epoch but the last,
report_final_result at the end), and a tiny numpy "training" instead of torch."""

import argparse
import logging
import os

import numpy as np

import nni

logger = logging.getLogger('mnist_AutoML')


def main(args):
    rng = np.random.default_rng(args['seed'])
    data_dir = os.path.join(args['data_dir'], nni.get_trial_id())
    logger.debug('data dir %s', data_dir)
    test_acc = 0.0
    for epoch in range(1, args['epochs'] + 1):
        noise = rng.normal(0, 0.5)
        test_acc = float(np.clip(60 + 30 * args['momentum'] + 2 * np.log10(args['lr']) * -1 + epoch + noise, 0, 100))
        if epoch < args['epochs']:
            nni.report_intermediate_result(test_acc)
            logger.debug('test accuracy %g', test_acc)
        else:
            nni.report_final_result(test_acc)
            logger.debug('Final result is %g', test_acc)


def get_params():
    parser = argparse.ArgumentParser(description='MNIST stand-in')
    parser.add_argument("--data_dir", type=str, default='/tmp/compat/mnist/input_data')
    parser.add_argument('--batch_size', type=int, default=64)
    parser.add_argument("--hidden_size", type=int, default=512)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--momentum', type=float, default=0.5)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--no_cuda', action='store_true', default=False)
    parser.add_argument('--log_interval', type=int, default=1000)
    args, _ = parser.parse_known_args()
    return args


if __name__ == '__main__':
    try:
        # get parameters form tuner
        tuner_params = nni.get_next_parameter()
        logger.debug(tuner_params)
        params = vars(get_params())
        params.update(tuner_params)
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise
