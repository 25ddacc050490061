"""NNI's annotation example in PyTorch: through nnictl (``useAnnotation: true``) and as a plain script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nni.annotation import generate_search_space
from nni.storage import open_reader
from nni.testing import Nnictl

from .conftest import MNIST_EXAMPLE, REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
_ENV = {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def test_the_annotations_are_nnis_and_give_the_search_space() -> None:
    source = (MNIST_EXAMPLE / "mnist.py").read_text()
    assert "'''@nni.variable(nni.choice(50, 250, 500), name=batch_size)'''\n    batch_size = 128" in source
    space = generate_search_space(MNIST_EXAMPLE)
    assert space["mnist/batch_size/choice"] == {"_type": "choice", "_value": [50, 250, 500]}
    assert space["mnist/dropout_rate/uniform"]["_type"] == "uniform"
    assert {key.split("/")[1] for key in space} == {"batch_size", "dropout_rate", "conv_size", "hidden_size",
                                                    "learning_rate"}


def test_the_annotated_example_through_nnictl_and_as_a_plain_script(tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(MNIST_EXAMPLE, code)
    config = (code / "config.yml").read_text().replace("maxTrialNumber: 10", "maxTrialNumber: 2")
    (code / "config.yml").write_text(config.replace("python3 mnist.py", f"{sys.executable} mnist.py"))
    folder = Nnictl(tmp_path / "home", env=_ENV, timeout=400).foreground(code / "config.yml").folder
    with open_reader(folder) as reader:
        trials = reader.trials()
        assert len(trials) == 2 and {t.status for t in trials} == {"SUCCEEDED"}
        for trial in trials:
            history = reader.intermediate_history(trial.trial_job_id)
            assert len(history) == 3  # every 100 of the 300 steps
            assert trial.final_metric == history[-1]
            stdout = (folder / "trials" / trial.trial_job_id / "stdout").read_text()
            assert f"batch_size={trial.parameters['mnist/batch_size/choice']}," in stdout  # the tuner's value ran

    plain = subprocess.run([sys.executable, "mnist.py"], cwd=MNIST_EXAMPLE, env={**os.environ, **_ENV},
                           capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    assert len(re.findall(r"^step \d+00: test accuracy", plain.stdout, re.M)) == 3
    assert "batch_size=128, dropout_rate=0.500)" in plain.stdout  # the defaults written in the code
