"""Algorithm loading: built-in names, custom classes from a code directory (v2 keys; v1 through nni.config), classArgs checks."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from nni.algorithms import (
    AlgorithmConfigError,
    _loader,
    builtin_names,
    check_class_args,
    create_algorithm,
    load_class,
    register_algorithm,
    validate_algorithm,
)
from nni.algorithms.hpo.batch_tuner import BatchTuner
from nni.algorithms.hpo.gridsearch_tuner import GridSearchTuner
from nni.algorithms.hpo.random_tuner import RandomTuner
from nni.config import AlgorithmConfig, ExperimentConfig
from nni.errors import AlgorithmError, ConfigError

# A custom tuner as written for NNI 2.x/3.0: its own validator, NNI's helpers, NNI's keyword arguments.
CUSTOM_TUNER = '''
import random

import nni
from nni.tuner import Tuner
from nni.utils import ClassArgsValidator, OptimizeMode, extract_scalar_reward

from helper import center


class MyClassArgsValidator(ClassArgsValidator):
    def validate_class_args(self, **kwargs):
        if kwargs.get("optimize_mode") not in ("maximize", "minimize"):
            raise ValueError("optimize_mode should be maximize or minimize, got %r" % kwargs.get("optimize_mode"))


class MyTuner(Tuner):
    def __init__(self, optimize_mode="maximize", width=1.0):
        self.mode = OptimizeMode(optimize_mode)
        self.width = width
        self.best = None
        self.rewards = []
        self.ended = []
        self.kwargs_seen = []

    def update_search_space(self, search_space):
        self.space = search_space

    def generate_parameters(self, parameter_id, **kwargs):
        self.kwargs_seen.append(sorted(kwargs))
        if parameter_id >= 5:
            raise nni.NoMoreTrialError("done")
        low, high = self.space["x"]["_value"]
        return {"x": center(low, high) + random.uniform(-self.width, self.width) * 0}

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        reward = extract_scalar_reward(value)
        self.rewards.append((parameter_id, reward, kwargs.get("customized"), kwargs.get("trial_job_id")))

    def trial_end(self, parameter_id, success, **kwargs):
        self.ended.append((parameter_id, success))
'''


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "code"
    directory.mkdir()
    (directory / "my_tuner.py").write_text(CUSTOM_TUNER)
    (directory / "helper.py").write_text("def center(a, b):\n    return (a + b) / 2\n")
    return directory


@pytest.fixture
def registered():
    yield register_algorithm
    for kind in _loader.KINDS:
        _loader._registered[kind].clear()


def test_builtin_by_name_alias_and_case() -> None:
    assert isinstance(create_algorithm("tuner", {"name": "Random", "classArgs": {"seed": 3}}), RandomTuner)
    assert isinstance(create_algorithm("tuner", {"name": "BatchTuner"}), BatchTuner)
    assert isinstance(create_algorithm("tuner", {"name": "gridsearch"}), GridSearchTuner)
    assert create_algorithm("tuner", AlgorithmConfig(name="Random", class_args={"seed": 4})).seed == 4
    assert "TPE" in builtin_names("tuner") and "Medianstop" in builtin_names("assessor")


def test_unknown_builtin_name_suggests_and_lists() -> None:
    with pytest.raises(ConfigError) as info:
        create_algorithm("tuner", {"name": "Randon"}, source="exp.yml")
    text = str(info.value)
    assert text.startswith("exp.yml: 'tuner.name': unknown built-in tuner 'Randon'; did you mean 'Random'?")
    assert "TPE, Random, Anneal" in text


def test_name_of_other_kind_is_explained() -> None:
    with pytest.raises(AlgorithmConfigError, match="'Medianstop' is a built-in assessor, not a tuner"):
        create_algorithm("tuner", {"name": "Medianstop"})
    with pytest.raises(AlgorithmConfigError, match="'TPE' is a built-in tuner, not an assessor"):
        create_algorithm("assessor", {"name": "TPE"})


def test_unknown_class_arg_lists_accepted() -> None:
    with pytest.raises(AlgorithmConfigError) as info:
        create_algorithm("tuner", {"name": "Random", "classArgs": {"sed": 1}}, source="exp.yml")
    assert str(info.value) == (
        "exp.yml: 'tuner.classArgs.sed': unknown argument 'sed' for RandomTuner; did you mean 'seed'? "
        "accepted: seed, optimize_mode"
    )
    with pytest.raises(AlgorithmConfigError, match="BatchTuner takes no classArgs"):
        create_algorithm("tuner", {"name": "Batch", "classArgs": {"seed": 1}})


def test_constructor_value_error_becomes_config_error() -> None:
    with pytest.raises(AlgorithmConfigError, match=r"'tuner.classArgs': .* rejected classArgs .*seed must be an integer"):
        create_algorithm("tuner", {"name": "Random", "classArgs": {"seed": "x"}})
    with pytest.raises(AlgorithmConfigError, match=r"'tuner.classArgs': GridSearchTuner rejected classArgs .*optimize_mode"):
        create_algorithm("tuner", {"name": "GridSearch", "classArgs": {"optimize_mode": "max"}})


def test_missing_builtin_module_is_not_available(registered: Any) -> None:
    registered("tuner", "Ghost", "nni.algorithms.hpo.ghost_tuner.GhostTuner")
    with pytest.raises(AlgorithmConfigError, match=r"built-in tuner 'Ghost' is not available in this build .*available: .*Random"):
        create_algorithm("tuner", {"name": "Ghost"})
    validate_algorithm("tuner", {"name": "Ghost", "classArgs": {"anything": 1}})  # unknowable now: accepted


def test_custom_tuner_v2_runs_unchanged(code_dir: Path) -> None:
    tuner = create_algorithm("tuner", {"className": "my_tuner.MyTuner", "codeDirectory": str(code_dir),
                                       "classArgs": {"optimize_mode": "minimize"}})
    tuner.update_search_space({"x": {"_type": "uniform", "_value": [0, 4]}})
    got = tuner.generate_multiple_parameters([0, 1, 2], st_callback=lambda *a: None)
    assert got == [{"x": 2.0}] * 3
    tuner.receive_trial_result(0, got[0], {"default": 0.5, "loss": 1}, customized=False, trial_job_id="Ab1cD")
    tuner.receive_trial_result(7, {"x": 1.0}, 0.25, customized=True, trial_job_id="Zz9yX")
    tuner.trial_end(0, True)
    assert tuner.rewards == [(0, 0.5, False, "Ab1cD"), (7, 0.25, True, "Zz9yX")]
    assert tuner.ended == [(0, True)]
    assert tuner.generate_multiple_parameters(list(range(3, 9))) == [{"x": 2.0}] * 2  # then NoMoreTrialError


def test_custom_tuner_v1_keys(code_dir: Path) -> None:
    """v1 codeDir + classFileName + className: nni.config converts them; the loader takes v2 keys only."""
    section = {"codeDir": "code", "classFileName": "my_tuner.py", "className": "MyTuner",
               "classArgs": {"optimize_mode": "maximize", "width": 2}}
    (code_dir.parent / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 4]}}')
    v1 = {"authorName": "me", "trialConcurrency": 1, "trainingServicePlatform": "local",
          "searchSpacePath": "space.json", "trial": {"command": "true", "codeDir": "."}, "tuner": section}
    config = ExperimentConfig.from_json(v1, base_dir=code_dir.parent)
    assert config.tuner.class_name == "my_tuner.MyTuner" and config.tuner.code_directory == str(code_dir)
    assert create_algorithm("tuner", config.tuner).width == 2
    with pytest.raises(AlgorithmConfigError, match="'tuner.codeDir': unknown key 'codeDir'; a tuner section takes name"):
        create_algorithm("tuner", section, base_dir=code_dir.parent)
    relative = {"className": "my_tuner.MyTuner", "codeDirectory": "code",
                "classArgs": {"optimize_mode": "minimize", "width": 3}}
    assert create_algorithm("tuner", relative, base_dir=code_dir.parent).width == 3


def test_custom_validator_is_honoured(code_dir: Path) -> None:
    with pytest.raises(AlgorithmConfigError) as info:
        validate_algorithm("tuner", {"className": "my_tuner.MyTuner", "codeDirectory": str(code_dir),
                                     "classArgs": {"optimize_mode": "max"}}, source="cfg.yml")
    assert str(info.value) == (
        "cfg.yml: 'tuner.classArgs': MyClassArgsValidator rejected classArgs {'optimize_mode': 'max'}: "
        "optimize_mode should be maximize or minimize, got 'max'"
    )


def test_custom_class_errors(code_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(AlgorithmConfigError, match=r"'tuner.className': .*has no class 'MyTunr'; did you mean 'MyTuner'"):
        load_class("tuner", {"className": "my_tuner.MyTunr", "codeDirectory": str(code_dir)})
    with pytest.raises(AlgorithmConfigError, match=r"module 'nope' not found in"):
        load_class("tuner", {"className": "nope.X", "codeDirectory": str(code_dir)})
    with pytest.raises(AlgorithmConfigError, match=r"code directory .* does not exist"):
        load_class("tuner", {"className": "m.X", "codeDirectory": str(tmp_path / "missing")})
    with pytest.raises(AlgorithmConfigError, match=r"'helper.center' is not a class, got function"):
        load_class("tuner", {"className": "helper.center", "codeDirectory": str(code_dir)})
    (code_dir / "plain.py").write_text("class P:\n    pass\n")
    with pytest.raises(AlgorithmConfigError, match=r"plain.P is not a tuner: it has no generate_parameters\(\)"):
        load_class("tuner", {"className": "plain.P", "codeDirectory": str(code_dir)})
    (code_dir / "broken.py").write_text("import not_a_real_dependency_xyz\nclass T: pass\n")
    with pytest.raises(AlgorithmConfigError, match="importing 'broken' failed: No module named 'not_a_real_dependency_xyz'"):
        load_class("tuner", {"className": "broken.T", "codeDirectory": str(code_dir)})
    with pytest.raises(AlgorithmConfigError, match="give either name .* or className"):
        load_class("tuner", {"name": "Random", "className": "a.B"})
    with pytest.raises(AlgorithmConfigError, match="A tuner needs name"):
        load_class("tuner", {"classArgs": {}})
    with pytest.raises(AlgorithmConfigError, match="'assessor.className': .*is not an assessor"):
        load_class("assessor", {"className": "my_tuner.MyTuner", "codeDirectory": str(code_dir)})


def test_same_module_name_in_two_code_dirs(tmp_path: Path) -> None:
    for tag in ("one", "two"):
        d = tmp_path / tag
        d.mkdir()
        (d / "same_name_tuner.py").write_text(
            f"from nni.tuner import Tuner\nclass T(Tuner):\n    tag = {tag!r}\n")
    first = load_class("tuner", {"className": "same_name_tuner.T", "codeDirectory": str(tmp_path / "one")})
    second = load_class("tuner", {"className": "same_name_tuner.T", "codeDirectory": str(tmp_path / "two")})
    assert (first.tag, second.tag) == ("one", "two")


def test_required_argument_and_kwargs(tmp_path: Path) -> None:
    (tmp_path / "req.py").write_text(textwrap.dedent('''
        from nni.tuner import Tuner
        class Needs(Tuner):
            def __init__(self, budget, seed=0):
                self.budget = budget
        class Open(Tuner):
            def __init__(self, **kwargs):
                self.kwargs = kwargs
        class Fails(Tuner):
            def __init__(self):
                raise RuntimeError("boom")
    '''))
    with pytest.raises(AlgorithmConfigError, match=r"Needs needs 'budget', which classArgs does not give \(given: seed"):
        create_algorithm("tuner", {"className": "req.Needs", "codeDirectory": str(tmp_path), "classArgs": {"seed": 1}})
    assert create_algorithm("tuner", {"className": "req.Open", "codeDirectory": str(tmp_path),
                                      "classArgs": {"anything": 1}}).kwargs == {"anything": 1}
    with pytest.raises(AlgorithmError, match="constructing tuner req.Fails failed: RuntimeError: boom"):
        create_algorithm("tuner", {"className": "req.Fails", "codeDirectory": str(tmp_path)})


def test_algorithm_name_given_to_shared_class(tmp_path: Path, registered: Any) -> None:
    (tmp_path / "hyper.py").write_text(textwrap.dedent('''
        from nni.tuner import Tuner
        class H(Tuner):
            def __init__(self, algorithm_name, optimize_mode="minimize"):
                self.algorithm_name = algorithm_name
    '''))
    import sys
    sys.path.insert(0, str(tmp_path))
    try:
        registered("tuner", "Anneal", "hyper.H")
        assert create_algorithm("tuner", {"name": "Anneal"}).algorithm_name == "anneal"
    finally:
        sys.path.remove(str(tmp_path))


def test_check_class_args_direct() -> None:
    check_class_args(RandomTuner, {"seed": 1})
    with pytest.raises(AlgorithmConfigError, match="expected a mapping"):
        check_class_args(RandomTuner, [1, 2])  # type: ignore[arg-type]


CUSTOM_ASSESSOR = '''
from nni.assessor import Assessor, AssessResult
from nni.utils import extract_scalar_history


class LastBelow(Assessor):
    def __init__(self, threshold=0.5):
        self.threshold = threshold
        self.ended = []

    def assess_trial(self, trial_job_id, trial_history):
        history = extract_scalar_history(trial_history)
        return AssessResult.Bad if history[-1] < self.threshold else AssessResult.Good

    def trial_end(self, trial_job_id, success):
        self.ended.append((trial_job_id, success))
'''


def test_custom_assessor_runs_unchanged(tmp_path: Path) -> None:
    from nni.assessor import AssessResult

    (tmp_path / "my_assessor.py").write_text(CUSTOM_ASSESSOR)
    config = {"codeDirectory": str(tmp_path), "className": "my_assessor.LastBelow", "classArgs": {"threshold": 0.3}}
    assessor = create_algorithm("assessor", config)
    assert assessor.assess_trial("Ab1cD", [0.5, {"default": 0.2, "x": 1}]) is AssessResult.Bad
    assert assessor.assess_trial("Ab1cD", [0.5, 0.4]) is AssessResult.Good
    assessor.trial_end("Ab1cD", False)
    assert assessor.ended == [("Ab1cD", False)]
    with pytest.raises(AlgorithmConfigError, match="'assessor.classArgs.treshold': .*did you mean 'threshold'"):
        create_algorithm("assessor", dict(config, classArgs={"treshold": 1}))
