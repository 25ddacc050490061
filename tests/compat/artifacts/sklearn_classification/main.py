"""Stand-in for examples/trials/sklearn/classification/main.py (an SVC on a small bundled data set),
with parameters merged into argparse defaults through nni.utils.merge_parameter as many users' scripts
do. The score is a numpy float64, as sklearn returns it."""

import argparse
import logging

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

import nni
from nni.utils import merge_parameter

LOG = logging.getLogger('sklearn_classification')


def get_params():
    parser = argparse.ArgumentParser()
    parser.add_argument('--C', type=float, default=1.0)
    parser.add_argument('--kernel', type=str, default='linear')
    parser.add_argument('--degree', type=int, default=3)
    parser.add_argument('--gamma', type=float, default=0.01)
    parser.add_argument('--coef0', type=float, default=0.01)
    args, _ = parser.parse_known_args()
    return args


def run(X_train, X_test, y_train, y_test, model):
    model.fit(X_train, y_train)
    score = model.score(X_test, y_test)
    LOG.debug('score: %s', score)
    nni.report_final_result(score)


if __name__ == '__main__':
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=99, test_size=0.25)
    try:
        RECEIVED_PARAMS = nni.get_next_parameter()
        LOG.debug(RECEIVED_PARAMS)
        PARAMS = vars(merge_parameter(get_params(), RECEIVED_PARAMS))
        model = SVC(**PARAMS)
        run(X_train, X_test, y_train, y_test, model)
    except Exception as exception:
        LOG.exception(exception)
        raise
