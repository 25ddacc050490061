"""The search spaces of the corpus (flat, nested by ``_name``, generated from annotations) parse with
nni.search_space, and what a tuner draws from them has the shape NNI's trials read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nni import search_space
from nni.annotation import generate_search_space
from nni.errors import SearchSpaceError

from .conftest import ARTIFACTS

SPACES = sorted(str(p.relative_to(ARTIFACTS)) for p in ARTIFACTS.glob("*/search_space.json"))


@pytest.mark.parametrize("name", SPACES)
def test_space_parses_and_samples_inside(name: str) -> None:
    space = search_space.load(str(ARTIFACTS / name))
    specs = search_space.parse(space)
    assert specs
    rng = np.random.default_rng(0)
    for _ in range(20):
        flat = search_space.sample(specs, rng)
        assert all(search_space.contains(spec, flat[spec.key]) for spec in specs if spec.key in flat)
        params = search_space.format_parameters(flat, specs)
        assert set(params) == set(space)


def test_nested_choice_gives_name_and_only_its_own_sub_parameters() -> None:
    space = json.loads((ARTIFACTS / "nested_search_space" / "search_space.json").read_text())
    specs = search_space.parse(space)
    sub = {"Empty": set(), "Conv": {"kernel_size"}, "Max_pool": {"pooling_size"}, "Avg_pool": {"pooling_size"}}
    seen = set()
    rng = np.random.default_rng(1)
    for _ in range(60):
        params = search_space.format_parameters(search_space.sample(specs, rng), specs)
        for layer in ("layer0", "layer1", "layer2"):
            chosen = params[layer]
            seen.add(chosen["_name"])
            assert set(chosen) - {"_name"} == sub[chosen["_name"]]
        back = search_space.deformat_parameters(params, specs)
        assert search_space.format_parameters(back, specs) == params
    assert seen == set(sub)


def test_a_broken_nested_space_names_the_parameter_path() -> None:
    space = json.loads((ARTIFACTS / "nested_search_space" / "search_space.json").read_text())
    space["layer1"]["_value"][1]["kernel_size"]["_value"] = []
    with pytest.raises(SearchSpaceError) as info:
        search_space.parse(space)
    assert "layer1" in str(info.value) and "kernel_size" in str(info.value)


def test_annotation_strings_give_the_search_space() -> None:
    space = generate_search_space(ARTIFACTS / "mnist_annotation")
    search_space.parse(space)
    by_type = [(v["_type"], tuple(v["_value"])) for v in space.values()]
    assert ("choice", (1, 4, 8)) in by_type  # batch_size
    assert ("choice", (2, 3, 5, 7)) in by_type  # self.conv_size
    assert ("uniform", (0.0001, 0.1)) in by_type  # self.learning_rate
    functions = [v["_value"] for k, v in space.items() if "function_choice" in k]
    assert len(functions) == 2 and all(len(options) == 2 for options in functions)
    assert len(space) == 6
