"""Surrogate models and helpers: the GP (fit, gradients), acquisition functions, the random forest,
DNGO's Bayesian network, feature maps, finite-space counting, and NNI classArgs through the loader."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from nni import search_space
from nni.algorithms import create_algorithm
from nni.algorithms.hpo._bo.acquisition import acquisition
from nni.algorithms.hpo._bo.base import count_configurations
from nni.algorithms.hpo._bo.bayes_net import BayesianNet
from nni.algorithms.hpo._bo.features import FeatureMap
from nni.algorithms.hpo._bo.forest import RandomForest
from nni.algorithms.hpo._bo.gp import GaussianProcess, _neg_log_posterior
from nni.algorithms.hpo._encoding import UnitCubeEncoding
from nni.algorithms.hpo.gp_tuner import GPTuner
from nni.errors import NoMoreTrialError


def _smooth(X: np.ndarray) -> np.ndarray:
    return np.sin(5 * X[:, 0]) + X[:, 1] ** 2 - 0.5 * X[:, 2]


@pytest.mark.parametrize("nu", [0.5, 1.5, 2.5])
def test_gp_predicts_a_smooth_function(nu: float) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    gp = GaussianProcess(nu=nu)
    gp.fit(X, _smooth(X), rng)
    Xt = rng.random((200, 3))
    mean, std = gp.predict(Xt)
    rmse = float(np.sqrt(np.mean((mean - _smooth(Xt)) ** 2)))
    assert rmse < 0.25 * float(np.std(_smooth(Xt)))
    assert np.all(std > 0)
    # at a training point the GP is nearly exact and certain
    m0, s0 = gp.predict(X[:1])
    assert abs(m0[0] - _smooth(X[:1])[0]) < 0.05 and s0[0] < 0.1


def test_gp_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((25, 3))
    gp = GaussianProcess()
    gp.fit(X, _smooth(X), rng)
    x = rng.random((3, 3))
    mean, std, dmean, dstd = gp.predict_grad(x)
    eps = 1e-3  # the predictive variance is a difference of nearly equal numbers: keep the step coarse
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        m2, s2 = gp.predict(x + step)
        m1, s1 = gp.predict(x - step)
        np.testing.assert_allclose(dmean[:, j], (m2 - m1) / (2 * eps), rtol=1e-2, atol=1e-4)
        np.testing.assert_allclose(dstd[:, j], (s2 - s1) / (2 * eps), rtol=2e-2, atol=1e-4)


def test_marginal_likelihood_gradient() -> None:
    rng = np.random.default_rng(2)
    X = rng.random((20, 2))
    z = _smooth(np.hstack([X, X[:, :1]]))
    z = (z - z.mean()) / z.std()
    diff2 = (X[:, None, :] - X[None, :, :]) ** 2
    theta = np.array([-0.7, 0.3, 0.2, -4.0])
    value, grad = _neg_log_posterior(theta, diff2, z, 2.5, 1e-6, 1.0)
    for j in range(len(theta)):
        step = np.zeros_like(theta)
        step[j] = 1e-6
        numeric = (_neg_log_posterior(theta + step, diff2, z, 2.5, 1e-6, 1.0)[0] - value) / 1e-6
        assert abs(numeric - grad[j]) < 1e-3 * max(1.0, abs(grad[j]))


@pytest.mark.parametrize("utility", ["ei", "poi", "ucb"])
def test_acquisition_derivatives(utility: str) -> None:
    mean = np.array([0.3, -1.0, 5.0, 40.0, -50.0, 0.9])
    std = np.array([0.5, 0.2, 1.0, 0.7, 0.1, 1.0])
    value, dm, ds = acquisition(utility, mean, std, 0.0, kappa=2.0, xi=0.01)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(dm)) and np.all(np.isfinite(ds))
    h = 1e-7
    num_m = (acquisition(utility, mean + h, std, 0.0, kappa=2.0, xi=0.01)[0] - value) / h
    num_s = (acquisition(utility, mean, std + h, 0.0, kappa=2.0, xi=0.01)[0] - value) / h
    np.testing.assert_allclose(dm, num_m, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ds, num_s, rtol=1e-3, atol=1e-4)


def test_log_ei_prefers_low_mean_and_high_uncertainty() -> None:
    ei = acquisition("ei", np.array([0.0, 1.0, 1.0, 30.0]), np.array([1.0, 1.0, 3.0, 1.0]), 0.5, kappa=0, xi=0)[0]
    assert ei[0] > ei[1] and ei[2] > ei[1] and np.isfinite(ei[3]) and ei[3] < ei[1]


def test_random_forest_fits_and_is_uncertain_away_from_data() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((150, 3)) * np.array([1.0, 1.0, 0.5])  # third feature only below 0.5
    forest = RandomForest().fit(X, _smooth(X), rng)
    Xt = rng.random((300, 3)) * np.array([1.0, 1.0, 0.5])
    mean, std = forest.predict(Xt)
    assert np.corrcoef(mean, _smooth(Xt))[0, 1] > 0.9
    assert np.all(std > 0)


def test_bayesian_net_fits_and_gives_uncertainty() -> None:
    rng = np.random.default_rng(4)
    X = rng.random((60, 3))
    net = BayesianNet()
    net.train(X, _smooth(X), epochs=200, rng=rng)
    net.fit_last_layer(X, _smooth(X))
    Xt = rng.random((100, 3))
    mean, std = net.predict(Xt)
    assert np.corrcoef(mean, _smooth(Xt))[0, 1] > 0.8
    assert np.all(std > 0)


NESTED = {
    "opt": {"_type": "choice", "_value": [
        {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [1e-3, 1]}},
        {"_name": "adam"},
        "plain",
    ]},
    "n": {"_type": "randint", "_value": [1, 4]},
}


def test_feature_map_one_hot_and_imputation() -> None:
    enc = UnitCubeEncoding(search_space.parse(NESTED))
    fmap = FeatureMap(enc)
    assert fmap.dim == 3 + 1 + 1  # opt one-hot, lr, n
    flat = {("opt",): 1, ("n",): 2}
    F = fmap.to_features(enc.encode(flat)[None, :])
    assert F[0, :3].tolist() == [0.0, 1.0, 0.0] and F[0, 3] == 0.5
    back = enc.decode(fmap.from_features(F)[0])
    assert back == flat


def test_count_configurations() -> None:
    assert count_configurations(search_space.parse({"a": {"_type": "choice", "_value": [1, 2, 3]},
                                                    "b": {"_type": "randint", "_value": [0, 4]}})) == 12
    assert count_configurations(search_space.parse({"q": {"_type": "quniform", "_value": [0, 10, 2.5]}})) == 5
    assert count_configurations(search_space.parse(NESTED)) is None
    finite_nested = {"o": {"_type": "choice", "_value": [{"_name": "a", "k": {"_type": "randint", "_value": [0, 3]}},
                                                        {"_name": "b"}]}}
    assert count_configurations(search_space.parse(finite_nested)) == 4


def test_gp_tuner_beats_random_on_branin() -> None:
    def branin(p: dict[str, Any]) -> float:
        x1, x2 = p["x1"], p["x2"]
        return (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10

    space = {"x1": {"_type": "uniform", "_value": [-5, 10]}, "x2": {"_type": "uniform", "_value": [0, 15]}}
    tuner = GPTuner(optimize_mode="minimize", seed=0)
    tuner.update_search_space(space)
    best = math.inf
    for pid in range(25):
        params = tuner.generate_parameters(pid)
        value = branin(params)
        best = min(best, value)
        tuner.receive_trial_result(pid, params, value)
    assert best < 0.6  # optimum 0.398; 25 random points reach ~2 on average


def test_small_finite_space_ends() -> None:
    tuner = GPTuner(optimize_mode="maximize", cold_start_num=2, seed=0)
    tuner.update_search_space({"a": {"_type": "choice", "_value": [1, 2, 3]}})
    got = []
    for pid in range(3):
        params = tuner.generate_parameters(pid)
        got.append(params["a"])
        tuner.receive_trial_result(pid, params, float(params["a"]))
    assert sorted(got) == [1, 2, 3]
    with pytest.raises(NoMoreTrialError):
        tuner.generate_parameters(3)


@pytest.mark.parametrize(
    ("name", "class_args"),
    [
        ("GP", {"optimize_mode": "maximize", "utility": "ei", "kappa": 5, "xi": 0, "nu": 2.5, "alpha": 1e-6,
                "cold_start_num": 10, "selection_num_warm_up": 100000, "selection_num_starting_points": 250}),
        ("SMAC", {"optimize_mode": "maximize", "config_dedup": True}),
        ("Metis", {"optimize_mode": "maximize", "no_resampling": True, "no_candidates": False,
                   "selection_num_starting_points": 600, "cold_start_num": 10, "exploration_probability": 0.9}),
        ("DNGO", {"optimize_mode": "maximize", "sample_size": 1000, "trials_per_update": 20,
                  "num_epochs_per_training": 500}),
        ("Hyperband", {"optimize_mode": "maximize", "R": 60, "eta": 3, "exec_mode": "parallelism"}),
        ("BOHB", {"optimize_mode": "maximize", "min_budget": 1, "max_budget": 27, "eta": 3, "min_points_in_model": 7,
                  "top_n_percent": 15, "num_samples": 64, "random_fraction": 0.33, "bandwidth_factor": 3.0,
                  "min_bandwidth": 0.001}),
    ],
)
def test_nni_class_args_through_the_loader(name: str, class_args: dict[str, Any]) -> None:
    tuner = create_algorithm("tuner", {"name": name, "classArgs": class_args})
    tuner.update_search_space({"x": {"_type": "uniform", "_value": [0, 1]}})
    params = tuner.generate_parameters(0)
    assert 0 <= params["x"] <= 1


@pytest.mark.parametrize(
    ("cls_args", "word"),
    [({"utility": "pi"}, "utility"), ({"nu": 2.0}, "nu"), ({"kappa": -1}, "kappa"), ({"cold_start_num": 0}, "cold_start")],
)
def test_gp_rejects_bad_class_args(cls_args: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        GPTuner(**cls_args)
