"""An NNI trial: an SVM on scikit-learn's bundled handwritten digits (no download).

Reports the accuracy of each cross-validation fold as an intermediate result and their mean as the
final result. Runs by hand too (``python3 trial.py``): then it uses the default parameters below.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import nni

logger = logging.getLogger("sklearn_digits")
DEFAULTS = {"C": 1.0, "gamma": 0.001, "kernel": "rbf", "degree": 3, "scale": True}


def evaluate(params: dict) -> float:
    X, y = load_digits(return_X_y=True)
    if params["scale"]:
        X = StandardScaler().fit_transform(X)
    model_args = {"C": params["C"], "kernel": params["kernel"], "gamma": params["gamma"]}
    if params["kernel"] == "poly":
        model_args["degree"] = int(params["degree"])
    scores = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(X, y):
        model = SVC(**model_args).fit(X[train], y[train])
        scores.append(float(model.score(X[test], y[test])))
        nni.report_intermediate_result(scores[-1])
    return float(np.mean(scores))


def main() -> None:
    params = {**DEFAULTS, **nni.get_next_parameter()}
    logger.info("parameters: %s", params)
    accuracy = evaluate(params)
    print(f"trial {nni.get_trial_id()}: accuracy {accuracy:.4f} with {params}")
    nni.report_final_result(accuracy)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
