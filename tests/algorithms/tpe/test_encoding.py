"""The unit-cube encoding: decoded vectors are valid configurations, and encode/decode round-trips."""

from __future__ import annotations

import numpy as np
import pytest

from nni import search_space as ss
from nni.algorithms.hpo._encoding import UnitCubeEncoding
from nni.algorithms.hpo._history import finite_space_size
from nni.testing.tuner_conformance import ALL_TYPES_SPACE, FINITE_SPACE, NESTED_SPACE


@pytest.mark.parametrize("space", [ALL_TYPES_SPACE, NESTED_SPACE], ids=["all_types", "nested"])
def test_random_vectors_decode_inside_space(space):
    specs = ss.parse(space)
    enc = UnitCubeEncoding(specs)
    rng = np.random.default_rng(0)
    X = np.vstack([enc.random(rng, 300), rng.random((50, enc.dim)), np.zeros((1, enc.dim)), np.ones((1, enc.dim))])
    for vec in X:
        flat = enc.decode(vec)
        for spec in specs:
            if spec.is_active(flat):
                assert ss.contains(spec, flat[spec.key]), (spec.path, flat[spec.key])
            else:
                assert spec.key not in flat
        again = enc.decode(enc.encode(flat))
        assert enc.key_of(again) == enc.key_of(flat)


def test_inactive_coordinates_are_nan_and_choices_are_indices():
    specs = ss.parse(NESTED_SPACE)
    enc = UnitCubeEncoding(specs)
    X = enc.random(np.random.default_rng(1), 200)
    opt = enc.index[("optimizer",)]
    beta = enc.index[("optimizer", 1, "beta")]
    assert set(np.unique(X[:, opt])) == {0.0, 1.0, 2.0}
    assert np.all(np.isnan(X[X[:, opt] != 1, beta]))
    assert np.all(np.isfinite(X[X[:, opt] == 1, beta]))


def test_prior_is_respected_for_log_and_int():
    space = {"lr": {"_type": "loguniform", "_value": [1e-4, 1]}, "k": {"_type": "randint", "_value": [0, 4]}}
    specs = ss.parse(space)
    enc = UnitCubeEncoding(specs)
    flats = [enc.decode(v) for v in enc.random(np.random.default_rng(2), 4000)]
    lr = np.array([f[("lr",)] for f in flats])
    k = np.array([f[("k",)] for f in flats])
    # log-uniform: about a quarter of the draws in each decade
    assert 0.2 < np.mean(lr < 1e-3) < 0.3
    assert sorted(set(k.tolist())) == [0, 1, 2, 3]
    assert all(0.2 < np.mean(k == i) < 0.3 for i in range(4))


def test_finite_space_size():
    assert finite_space_size(ss.parse(FINITE_SPACE)) == 12
    assert finite_space_size(ss.parse(NESTED_SPACE)) == float("inf")
    nested_finite = {"a": {"_type": "choice", "_value": [{"_name": "x", "b": {"_type": "randint", "_value": [0, 3]}}, "y"]},
                     "q": {"_type": "quniform", "_value": [2, 10, 5]}}
    assert finite_space_size(ss.parse(nested_finite)) == (3 + 1) * 3
