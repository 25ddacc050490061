"""NNI trial scripts run by hand, outside any experiment (NNI's standalone mode), unchanged; and the
helpers those scripts import from NNI (nni.utils.merge_parameter, ``from nni import ClassArgsValidator``)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import nni
from nni.utils import ClassArgsValidator, extract_scalar_reward, merge_parameter


@pytest.mark.parametrize("folder, script", [("mnist_pytorch", "mnist.py"), ("mnist_annotation", "mnist.py"),
                                            ("hyperband_advisor", "mnist.py"),
                                            ("sklearn_classification", "main.py")])
def test_trial_script_runs_standalone(folder: str, script: str, project) -> None:
    path = project.copy(folder) / script
    if folder == "hyperband_advisor":
        # Hyperband hands out TRIAL_BUDGET; run by hand, the user's script fails as it does under NNI.
        result = project.python(path)
        assert result.returncode != 0 and "TRIAL_BUDGET" in result.stderr
        return
    result = project.python(path, env={"NNI_OUTPUT_DIR": str(path.parent)})
    assert result.returncode == 0, result.stderr
    if folder != "mnist_annotation":  # un-instrumented, annotation strings are only strings
        assert "final result" in (result.stdout + result.stderr).lower()


def test_annotated_script_runs_standalone_with_its_defaults(project) -> None:
    path = project.copy("mnist_annotation") / "mnist.py"
    result = project.python(path, env={"NNI_OUTPUT_DIR": str(path.parent)})
    assert result.returncode == 0, result.stderr
    seen = json.loads((path.parent / "seen.json").read_text())
    assert seen == {"conv_size": 5, "hidden_size": 1024, "learning_rate": 1e-4, "batch_size": 32}


def test_merge_parameter_into_argparse_defaults() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--degree", type=int, default=3)
    parser.add_argument("--kernel", type=str, default="linear")
    parser.add_argument("--extra", default=None)
    args = parser.parse_args([])
    merged = merge_parameter(args, {"C": 2, "degree": np.int64(2), "kernel": "rbf", "extra": [1, 2]})
    assert merged is args
    assert vars(merged) == {"C": 2.0, "degree": 2, "kernel": "rbf", "extra": [1, 2]}
    assert type(merged.C) is float and type(merged.degree) is int
    assert merge_parameter(args, {}) is args
    assert merge_parameter({"lr": 0.1}, {"lr": 1})["lr"] == 1.0


def test_merge_parameter_refuses_unknown_keys_and_lossy_types() -> None:
    args = argparse.Namespace(lr=0.1, epochs=10)
    with pytest.raises(ValueError, match="'momentum'"):
        merge_parameter(args, {"momentum": 0.9})
    with pytest.raises(TypeError, match="'epochs'"):
        merge_parameter(args, {"epochs": 2.5})
    with pytest.raises(TypeError, match="'lr'"):
        merge_parameter(args, {"lr": "fast"})


def test_helpers_custom_algorithms_import() -> None:
    assert nni.ClassArgsValidator is ClassArgsValidator
    from nni import ClassArgsValidator as imported

    assert imported is ClassArgsValidator
    validator = ClassArgsValidator()
    assert validator.choices("optimize_mode", "maximize", "minimize")("maximize")
    with pytest.raises(ValueError, match="optimize_mode"):
        validator.choices("optimize_mode", "maximize", "minimize")("max")
    with pytest.raises(ValueError, match="start_step"):
        validator.range("start_step", int, 0, 9999)(-1)
    assert extract_scalar_reward(np.float32(0.5)) == 0.5
    assert extract_scalar_reward({"default": np.float64(0.25), "loss": 3}) == 0.25
