"""An NNI trial with two objectives and a constraint: an SVM on PCA features of scikit-learn's digits.

Reports, in one dict, the cross-validated accuracy (maximised), the prediction latency in milliseconds per
1,000 digits (minimised) and the model's size in KB (constrained by the config: at most 150). Each fold's
accuracy is an intermediate result. Run by hand with
``NNI_OBJECTIVES=accuracy,latency_ms python3 trial.py`` (the variable lets a result dict go without NNI's
``default`` key; an experiment that declares objectives sets it).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import nni

DEFAULTS = {"C": 10.0, "gamma": 0.01, "components": 32}


def evaluate(params: dict) -> dict:
    X, y = load_digits(return_X_y=True)
    accuracies, latencies, sizes = [], [], []
    for train, test in StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(X, y):
        model = make_pipeline(StandardScaler(), PCA(n_components=int(params["components"]), random_state=0),
                              SVC(C=params["C"], gamma=params["gamma"]))
        model.fit(X[train], y[train])
        start = time.perf_counter()
        predicted = model.predict(X[test])
        latencies.append((time.perf_counter() - start) * 1000 * 1000 / len(test))
        accuracies.append(float(np.mean(predicted == y[test])))
        svc = model[-1]
        sizes.append(svc.support_vectors_.nbytes / 1024)
        nni.report_intermediate_result({"accuracy": accuracies[-1]})
    return {"accuracy": float(np.mean(accuracies)), "latency_ms": float(np.median(latencies)),
            "model_kb": float(np.mean(sizes))}


def main() -> None:
    params = {**DEFAULTS, **nni.get_next_parameter()}
    result = evaluate(params)
    print(f"trial {nni.get_trial_id()}: {result} with {params}")
    nni.report_final_result(result)


if __name__ == "__main__":
    main()
