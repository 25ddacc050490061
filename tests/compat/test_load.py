"""Every NNI config of the corpus loads unchanged with nni.config.load_config, and means what it meant in
NNI (durations, GPUs, annotation, algorithm names and classArgs, v1 keys mapped to v2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nni.config import load_config
from nni.errors import ConfigError, SearchSpaceError

from .conftest import ARTIFACTS

CONFIGS = sorted(str(p.relative_to(ARTIFACTS)) for p in ARTIFACTS.glob("*/config*.yml")
                 if p.parent.name != "config_variants")


def test_the_corpus_has_every_config_kind() -> None:
    assert len(CONFIGS) >= 11
    texts = {name: (ARTIFACTS / name).read_text() for name in CONFIGS}
    assert any("builtinTunerName" in t for t in texts.values())
    assert any("builtinAdvisorName" in t for t in texts.values())
    assert any("classFileName" in t for t in texts.values())
    assert any("codeDirectory" in t for t in texts.values())
    assert any("useAnnotation: true" in t for t in texts.values())


@pytest.mark.parametrize("name", CONFIGS)
def test_config_loads_unchanged(name: str, project) -> None:
    folder = project.copy(name.split("/")[0])
    config = load_config(folder / Path(name).name)
    assert config.trial_command.startswith("python3 ")
    assert Path(config.trial_code_directory) == folder
    assert config.training_service.platform == "local"
    assert config.trial_concurrency >= 1
    algorithms = [a for a in (config.tuner, getattr(config, "advisor", None)) if a is not None]
    assert len(algorithms) == 1


def _load(project, name: str):
    folder = project.copy(name.split("/")[0])
    return load_config(folder / name.split("/")[1])


def test_v2_detailed_values(project) -> None:
    config = _load(project, "mnist_pytorch/config_detailed.yml")
    assert config.experiment_name == "MNIST"
    assert config.max_experiment_duration == 3600  # "1h"
    assert config.trial_gpu_number == 0
    assert config.max_trial_number == 3
    assert config.training_service.use_active_gpu is False
    assert set(config.search_space) == {"batch_size", "hidden_size", "lr", "momentum"}
    assert config.tuner.name == "TPE" and config.tuner.class_args == {"optimize_mode": "maximize"}


def test_v1_config_means_the_same_as_its_v2_twin(project) -> None:
    v1 = _load(project, "mnist_pytorch/config_v1.yml")
    v2 = _load(project, "mnist_pytorch/config.yml")
    assert v1.experiment_name == "example_mnist_pytorch"
    assert v1.max_experiment_duration == 3600  # maxExecDuration: 1h
    assert v1.max_trial_number == 3  # maxTrialNum
    assert v1.trial_gpu_number == 0  # trial.gpuNum
    assert v1.use_annotation is False
    assert v1.search_space == v2.search_space  # searchSpacePath vs searchSpaceFile, same file
    assert (v1.tuner.name, v1.tuner.class_args) == (v2.tuner.name, v2.tuner.class_args)
    assert v1.trial_command == v2.trial_command and v1.trial_code_directory == v2.trial_code_directory


def test_v1_advisor_and_annotation(project) -> None:
    hyperband = _load(project, "hyperband_advisor/config_hyperband.yml")
    assert hyperband.tuner is None
    assert hyperband.advisor.name == "Hyperband"
    assert hyperband.advisor.class_args == {"R": 4, "eta": 2, "optimize_mode": "maximize"}
    assert hyperband.max_experiment_duration == 100 * 3600
    annotated = _load(project, "mnist_annotation/config.yml")
    assert annotated.use_annotation is True


def test_assessor_sections(project) -> None:
    builtin = _load(project, "mnist_pytorch/config_assessor.yml")
    assert builtin.assessor.name == "Curvefitting"
    assert builtin.assessor.class_args == {"epoch_num": 20, "threshold": 0.9}
    custom = _load(project, "customized_assessor/config.yml")
    assert custom.assessor.class_name == "my_customized_assessor.CustomizedAssessor"
    assert Path(custom.assessor.code_directory) == project.tmp / "customized_assessor"
    assert custom.tuner.name == "GridSearch"


def test_custom_tuner_v1_and_v2_name_the_same_class(project) -> None:
    pytest.importorskip("schema")
    v2 = _load(project, "customized_tuner/config.yml")
    v1 = load_config(project.tmp / "customized_tuner" / "config_v1.yml")
    assert v2.tuner.class_name == v1.tuner.class_name == "demo_tuner.DemoTuner"
    assert v2.tuner.code_directory == v1.tuner.code_directory
    assert v2.tuner.class_args == {"optimize_mode": "maximize", "seed": 7}
    assert v2.max_experiment_duration == 600  # "10m"


def test_snake_case_keys_as_nni_accepts_them(project) -> None:
    folder = project.copy("mnist_pytorch")
    (folder / "snake.yml").write_text(
        "search_space_file: search_space.json\ntrial_command: python3 mnist.py\ntrial_concurrency: 1\n"
        "max_experiment_duration: 2d\ntuner:\n  name: TPE\n  class_args:\n    optimize_mode: maximize\n"
        "training_service:\n  platform: local\n  use_active_gpu: false\n")
    config = load_config(folder / "snake.yml")
    assert config.max_experiment_duration == 2 * 86400
    assert config.tuner.class_args == {"optimize_mode": "maximize"}


def test_a_typo_in_a_users_config_is_named(project) -> None:
    folder = project.copy("mnist_pytorch")
    data = yaml.safe_load((folder / "config.yml").read_text())
    data["maxTrialNumbr"] = data.pop("maxTrialNumber")
    (folder / "typo.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_config(folder / "typo.yml")
    assert "maxTrialNumbr" in str(info.value) and "maxTrialNumber" in str(info.value)
    assert "typo.yml" in str(info.value)


def test_config_variants_local_gpus_json_and_remote(project, monkeypatch) -> None:
    home = project.tmp / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("not a real key\n")
    monkeypatch.setenv("HOME", str(home))
    folder = project.copy("config_variants")

    v1_local = load_config(folder / "config_v1_local.yml")
    assert v1_local.max_experiment_duration == 2 * 86400
    assert v1_local.tuner.name == "Evolution" and v1_local.tuner.class_args["population_size"] == 10
    assert v1_local.tuner_gpu_indices == [0]  # tuner.gpuIndices: '0'
    assert (v1_local.assessor.name, v1_local.assessor.class_args) == (
        "Medianstop", {"optimize_mode": "maximize", "start_step": 5})
    service = v1_local.training_service
    assert (service.gpu_indices, service.max_trial_number_per_gpu, service.use_active_gpu) == ([0, 1], 2, True)

    as_json = load_config(folder / "config.json")
    assert as_json.max_trial_duration == 90 and as_json.max_experiment_duration == 1800
    assert as_json.training_service.gpu_indices == [0, 1]
    assert Path(as_json.experiment_working_directory) == folder / "exps"

    v1_remote = load_config(folder / "config_v1_remote.yml")
    first, second = v1_remote.training_service.machine_list
    assert (first.host, first.port, first.user, first.password) == ("10.1.1.1", 22, "bob", "bob123")
    assert (second.ssh_key_file, second.passphrase) == (str(home / ".ssh" / "id_rsa"), "qwert")
    assert second.gpu_indices == [0, 1] and second.python_path == "/usr/bin"
    assert v1_remote.training_service.reuse_mode is False

    v2_remote = load_config(folder / "config_remote.yml")
    machines = v2_remote.training_service.machine_list
    assert machines[0].ssh_key_file == str(home / ".ssh" / "id_rsa") and machines[1].port == 10022
    assert (machines[1].max_trial_number_per_gpu, machines[1].use_active_gpu) == (2, True)
    assert v2_remote.training_service.reuse_mode is True
    assert "alice123" not in json.dumps(v2_remote.to_json(redact=True))  # what the store and logs get


def test_yaml_scientific_notation_without_a_dot_gets_a_hint(project) -> None:
    folder = project.copy("mnist_pytorch")
    (folder / "sci.yml").write_text(
        "searchSpace:\n  lr:\n    _type: loguniform\n    _value: [1e-4, 1e-1]\ntrialCommand: python3 mnist.py\n"
        "trialConcurrency: 1\ntuner:\n  name: TPE\ntrainingService:\n  platform: local\n")
    with pytest.raises(SearchSpaceError) as info:
        load_config(folder / "sci.yml")
    message = str(info.value)
    assert "'lr'" in message and "sci.yml" in message and "1.0e-4" in message
    (folder / "sci.yml").write_text((folder / "sci.yml").read_text().replace("[1e-4, 1e-1]", "[1.0e-4, 1.0e-1]"))
    assert load_config(folder / "sci.yml").search_space["lr"]["_value"] == [0.0001, 0.1]
