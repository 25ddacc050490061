import numpy as np
import pytest

from nni import search_space as ss
from nni.errors import SearchSpaceError


def test_quniform_examples_reach_exactly_nni_grid():
    for values, expected in (([0, 10, 2.5], {0, 2.5, 5, 7.5, 10}), ([2, 10, 5], {2, 5, 10})):
        specs = ss.parse({"x": {"_type": "quniform", "_value": values}})
        rng = np.random.default_rng(0)
        drawn = {ss.sample(specs, rng)[("x",)] for _ in range(3000)}
        assert drawn == expected


def test_nested_choice_flatten_and_roundtrip():
    space = {
        "optimizer": {
            "_type": "choice",
            "_value": [
                {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [1e-4, 1]},
                 "momentum": {"_type": "choice", "_value": [{"_name": "nesterov", "m": {"_type": "uniform", "_value": [0, 1]}}, 0.0]}},
                {"_name": "adam"},
                "plain",
            ],
        },
        "layers": {"_type": "randint", "_value": [1, 5]},
    }
    specs = ss.parse(space)
    keys = [s.key for s in specs]
    assert keys == [("optimizer",), ("optimizer", 0, "lr"), ("optimizer", 0, "momentum"),
                    ("optimizer", 0, "momentum", 0, "m"), ("layers",)]
    assert specs[3].condition == ((("optimizer",), 0), (("optimizer", 0, "momentum"), 0))
    rng = np.random.default_rng(1)
    seen_names = set()
    for _ in range(200):
        flat = ss.sample(specs, rng)
        params = ss.format_parameters(flat, specs)
        assert isinstance(params["layers"], int) and 1 <= params["layers"] < 5
        opt = params["optimizer"]
        seen_names.add(opt["_name"] if isinstance(opt, dict) else opt)
        if isinstance(opt, dict) and opt["_name"] == "sgd":
            assert 1e-4 <= opt["lr"] <= 1
        assert ss.deformat_parameters(params, specs) == flat
    assert seen_names == {"sgd", "adam", "plain"}


@pytest.mark.parametrize(
    "space, fragment",
    [
        ({"x": {"_type": "choice", "_value": []}}, "'x': choice needs at least one option"),
        ({"x": {"_type": "uniform", "_value": [1, 0]}}, "needs low < high"),
        ({"x": {"_type": "quniform", "_value": [0, 1, 0]}}, "needs q > 0"),
        ({"x": {"_type": "loguniform", "_value": [0, 1]}}, "needs low > 0"),
        ({"x": {"_type": "normal", "_value": [0]}}, "takes [mu, sigma]"),
        ({"x": {"_type": "gauss", "_value": [0, 1]}}, "unknown _type 'gauss'"),
        ({"x": {"_type": "choice", "_value": [{"lr": 1}]}}, "dict without '_name'"),
        ({"a": {"_type": "choice", "_value": [{"_name": "n", "b": {"_type": "uniform", "_value": [2, 1]}}]}},
         "'a[0]/b'"),
    ],
)
def test_malformed_spaces_name_the_parameter(space, fragment):
    with pytest.raises(SearchSpaceError) as info:
        ss.validate(space)
    assert fragment in str(info.value)
