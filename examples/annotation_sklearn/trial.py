"""An annotated NNI trial: a small MLP trained epoch by epoch on scikit-learn's digits (no download).

The search space lives in the annotation strings below (run with ``useAnnotation: true``); to Python
they are plain strings, so ``python3 trial.py`` trains once with the default values written here.
Each epoch's validation accuracy is an intermediate result, which is what assessors judge.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

EPOCHS = 20


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_val), y_train, y_val


def make_model(hidden: int, learning_rate: float, momentum: float, alpha: float, activation: str) -> MLPClassifier:
    return MLPClassifier(
        hidden_layer_sizes=(int(hidden),),
        activation=activation,
        solver="sgd",
        learning_rate_init=learning_rate,
        momentum=momentum,
        alpha=alpha,
        batch_size=128,
        random_state=0,
    )


def main() -> None:
    x_train, x_val, y_train, y_val = load_data()
    """@nni.variable(nni.loguniform(0.0001, 0.5), name=learning_rate)"""
    learning_rate = 0.05
    """@nni.variable(nni.uniform(0.0, 0.95), name=momentum)"""
    momentum = 0.9
    """@nni.variable(nni.loguniform(0.000001, 0.1), name=alpha)"""
    alpha = 0.0001
    """@nni.variable(nni.choice(16, 32, 64), name=hidden)"""
    hidden = 32
    """@nni.function_choice(make_model(hidden, learning_rate, momentum, alpha, "relu"), make_model(hidden, learning_rate, momentum, alpha, "tanh"), name=model)"""
    model = make_model(hidden, learning_rate, momentum, alpha, "relu")

    classes = np.unique(y_train)
    accuracy = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that one partial_fit epoch did not converge
        for epoch in range(EPOCHS):
            model.partial_fit(x_train, y_train, classes=classes)
            accuracy = float(model.score(x_val, y_val))
            print(f"epoch {epoch + 1}: validation accuracy {accuracy:.4f}", flush=True)
            """@nni.report_intermediate_result(accuracy)"""
    print(f"final accuracy {accuracy:.4f} (hidden={hidden}, learning_rate={learning_rate:.4g}, "
          f"momentum={momentum:.3f}, alpha={alpha:.3g}, activation={model.activation})")
    """@nni.report_final_result(accuracy)"""


if __name__ == "__main__":
    main()
