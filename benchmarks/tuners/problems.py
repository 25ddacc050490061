"""Benchmark problems: NNI search spaces and loss functions to minimise.

Each problem has a group: ``synthetic`` (standard test functions), ``space`` (mixed, log-scaled and
conditional spaces that exercise the search space types) and ``sklearn`` (real tuning problems on data
that ships with scikit-learn, kept to well under a second per evaluation).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

__all__ = ["Problem", "PROBLEMS", "GROUPS"]


@dataclass(frozen=True)
class Problem:
    name: str
    group: str
    space: dict[str, Any]
    loss: Callable[[dict[str, Any]], float]
    optimum: float | None = None


def _uniform_space(names: list[str], low: float, high: float) -> dict[str, Any]:
    return {n: {"_type": "uniform", "_value": [low, high]} for n in names}


def _vec(params: dict[str, Any], n: int) -> np.ndarray:
    return np.array([params[f"x{i}"] for i in range(n)], dtype=float)


def branin(p: dict[str, Any]) -> float:
    x, y = p["x0"], p["x1"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array(
    [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(p: dict[str, Any]) -> float:
    x = _vec(p, 6)
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def rosenbrock4(p: dict[str, Any]) -> float:
    x = _vec(p, 4)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley5(p: dict[str, Any]) -> float:
    x = _vec(p, 5)
    d = len(x)
    return float(
        -20 * math.exp(-0.2 * math.sqrt(np.sum(x * x) / d)) - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e
    )


def levy5(p: dict[str, Any]) -> float:
    x = _vec(p, 5)
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


_MIXED_SPACE = {
    "x": {"_type": "uniform", "_value": [-5, 5]},
    "y": {"_type": "uniform", "_value": [-5, 5]},
    "n": {"_type": "randint", "_value": [0, 20]},
    "q": {"_type": "quniform", "_value": [0, 10, 0.5]},
    "kind": {"_type": "choice", "_value": ["a", "b", "c", "d"]},
    "flag": {"_type": "choice", "_value": [True, False]},
}
_KIND_OFFSET = {"a": 1.0, "b": 0.0, "c": 2.0, "d": 0.6}
_KIND_SHIFT = {"a": 0.0, "b": 1.5, "c": -1.0, "d": 0.5}


def mixed(p: dict[str, Any]) -> float:
    s = _KIND_SHIFT[p["kind"]]
    val = (p["x"] - 1.3 - s) ** 2 + 0.5 * (p["y"] + 0.7) ** 2 + 0.3 * (p["x"] - 1.3 - s) * (p["y"] + 0.7)
    val += 0.05 * (p["n"] - 13) ** 2 + 0.4 * abs(p["q"] - 6.5) + _KIND_OFFSET[p["kind"]]
    val += 0.0 if p["flag"] else 0.8
    return float(val)


_LOG_SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-6, 1.0]},
    "decay": {"_type": "loguniform", "_value": [1e-7, 1e-1]},
    "batch": {"_type": "qloguniform", "_value": [8, 1024, 8]},
    "width": {"_type": "loguniform", "_value": [0.01, 100.0]},
}


def log_scaled(p: dict[str, Any]) -> float:
    a = math.log10(p["lr"]) + 2.7
    b = math.log10(p["decay"]) + 4.2
    c = math.log2(p["batch"]) - 7.0
    w = math.log10(p["width"]) - 0.8
    return float(a * a + 0.6 * b * b + 0.5 * a * b + 0.15 * c * c + w * w + 0.3 * abs(w * a))


_COND_SPACE = {
    "model": {
        "_type": "choice",
        "_value": [
            {"_name": "linear", "alpha": {"_type": "loguniform", "_value": [1e-4, 10]},
             "l1": {"_type": "uniform", "_value": [0, 1]}},
            {"_name": "tree", "depth": {"_type": "randint", "_value": [1, 16]},
             "split": {"_type": "uniform", "_value": [0, 1]},
             "criterion": {"_type": "choice", "_value": ["gini", "entropy"]}},
            {"_name": "net",
             "optimizer": {"_type": "choice", "_value": [
                 {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
                  "momentum": {"_type": "uniform", "_value": [0, 0.99]}},
                 {"_name": "adam", "lr": {"_type": "loguniform", "_value": [1e-5, 1]}},
             ]},
             "units": {"_type": "qloguniform", "_value": [16, 512, 16]}},
        ],
    },
    "scale": {"_type": "uniform", "_value": [-1, 1]},
}


def conditional(p: dict[str, Any]) -> float:
    m = p["model"]
    base = 0.5 * (p["scale"] - 0.35) ** 2
    if m["_name"] == "linear":
        a = math.log10(m["alpha"]) + 1.5
        return float(base + 0.8 + 0.3 * a * a + 0.5 * (m["l1"] - 0.2) ** 2)
    if m["_name"] == "tree":
        return float(base + 0.45 + 0.01 * (m["depth"] - 9) ** 2 + (m["split"] - 0.6) ** 2
                     + (0.0 if m["criterion"] == "entropy" else 0.15))
    opt = m["optimizer"]
    u = math.log2(m["units"]) - 7.5
    lr = math.log10(opt["lr"])
    if opt["_name"] == "sgd":
        return float(base + 0.1 * (lr + 1.5) ** 2 + 1.5 * (opt["momentum"] - 0.9) ** 2 + 0.05 * u * u)
    return float(base + 0.25 + 0.2 * (lr + 3.2) ** 2 + 0.05 * u * u)


# ------------------------------------------------------------------------------------------- sklearn
@cache
def _digits(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))[:n]
    return X[idx] / 16.0, y[idx]


@cache
def _cancer() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, y


def _cv_error(model: Any, X: np.ndarray, y: np.ndarray, folds: int = 3) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = StratifiedKFold(folds, shuffle=True, random_state=0)
        return float(1.0 - np.mean(cross_val_score(model, X, y, cv=cv)))


def svc_digits(p: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    X, y = _digits(300)
    return _cv_error(SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"], max_iter=3000), X, y)


def gb_cancer(p: dict[str, Any]) -> float:
    from sklearn.ensemble import GradientBoostingClassifier

    X, y = _cancer()
    model = GradientBoostingClassifier(
        n_estimators=p["n_estimators"], learning_rate=p["learning_rate"], max_depth=p["max_depth"],
        subsample=p["subsample"], max_features=p["max_features"], random_state=0,
    )
    return _cv_error(model, X, y)


def mlp_digits(p: dict[str, Any]) -> float:
    from sklearn.neural_network import MLPClassifier

    X, y = _digits(200)
    model = MLPClassifier(
        hidden_layer_sizes=(int(p["units"]),), alpha=p["alpha"], learning_rate_init=p["lr"],
        activation=p["activation"], max_iter=10, random_state=0,
    )
    return _cv_error(model, X, y)


_SVC_SPACE = {
    "C": {"_type": "loguniform", "_value": [1e-3, 1e3]},
    "gamma": {"_type": "loguniform", "_value": [1e-5, 10]},
    "kernel": {"_type": "choice", "_value": ["rbf", "sigmoid"]},
}
_GB_SPACE = {
    "n_estimators": {"_type": "randint", "_value": [5, 25]},
    "learning_rate": {"_type": "loguniform", "_value": [1e-3, 1.0]},
    "max_depth": {"_type": "randint", "_value": [1, 5]},
    "subsample": {"_type": "uniform", "_value": [0.3, 1.0]},
    "max_features": {"_type": "uniform", "_value": [0.1, 1.0]},
}
_MLP_SPACE = {
    "units": {"_type": "qloguniform", "_value": [8, 64, 8]},
    "alpha": {"_type": "loguniform", "_value": [1e-6, 1.0]},
    "lr": {"_type": "loguniform", "_value": [1e-4, 0.5]},
    "activation": {"_type": "choice", "_value": ["relu", "tanh", "logistic"]},
}

_PROBLEM_LIST = [
    Problem("branin", "synthetic", _uniform_space(["x0"], -5, 10) | {"x1": {"_type": "uniform", "_value": [0, 15]}},
            branin, 0.397887),
    Problem("hartmann6", "synthetic", _uniform_space([f"x{i}" for i in range(6)], 0, 1), hartmann6, -3.32237),
    Problem("rosenbrock4", "synthetic", _uniform_space([f"x{i}" for i in range(4)], -5, 10), rosenbrock4, 0.0),
    Problem("ackley5", "synthetic", _uniform_space([f"x{i}" for i in range(5)], -32.768, 32.768), ackley5, 0.0),
    Problem("levy5", "synthetic", _uniform_space([f"x{i}" for i in range(5)], -10, 10), levy5, 0.0),
    Problem("mixed", "space", _MIXED_SPACE, mixed, 0.0),
    Problem("log_scaled", "space", _LOG_SPACE, log_scaled, 0.0),
    Problem("conditional", "space", _COND_SPACE, conditional, 0.0),
    Problem("svc_digits", "sklearn", _SVC_SPACE, svc_digits),
    Problem("gb_cancer", "sklearn", _GB_SPACE, gb_cancer),
    Problem("mlp_digits", "sklearn", _MLP_SPACE, mlp_digits),
]

PROBLEMS: dict[str, Problem] = {p.name: p for p in _PROBLEM_LIST}
GROUPS: dict[str, list[str]] = {}
for _p in _PROBLEM_LIST:
    GROUPS.setdefault(_p.group, []).append(_p.name)
