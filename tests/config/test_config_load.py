"""Loading experiment configs: v2 and legacy v1, YAML and JSON, durations, paths, redaction, round trips."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nni.config import (
    REDACTED,
    AlgorithmConfig,
    ExperimentConfig,
    LocalConfig,
    RemoteConfig,
    load_config,
    parse_duration,
    platform_names,
    register_training_service,
)
from nni.config import training_services as ts
from nni.errors import ConfigError

SPACE = {"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}, "bs": {"_type": "choice", "_value": [16, 32]}}


def test_v2_yaml_everything(write: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    key = tmp_path / "id_test"
    key.write_text("not really a key")
    path = write("exp.yml", {
        "experimentName": "demo",
        "searchSpaceFile": "space.json",
        "trialCommand": "python3 trial.py",
        "trialCodeDirectory": "code",
        "trialConcurrency": 4,
        "trialGpuNumber": 0,
        "maxExperimentDuration": "1.5h",
        "maxTrialNumber": 20,
        "maxTrialDuration": "90s",
        "nniManagerIp": "127.0.0.1",
        "useAnnotation": False,
        "debug": True,
        "logLevel": "INFO",
        "experimentWorkingDirectory": "~/somewhere",
        "tunerGpuIndices": "0,1",
        "tuner": {"name": "GridSearch"},
        "assessor": {"name": "Medianstop", "classArgs": {"optimize_mode": "maximize"}},
        "trainingService": {
            "platform": "remote",
            "reuseMode": True,
            "machineList": [
                {"host": "127.0.0.1", "user": "me", "password": "pw"},
                {"host": "10.0.0.2", "port": 2222, "user": "you", "sshKeyFile": "id_test", "passphrase": "pp",
                 "useActiveGpu": True, "maxTrialNumberPerGpu": 2, "gpuIndices": [0], "pythonPath": "/opt/py/bin"},
            ],
        },
    })
    config = load_config(path)
    assert config.experiment_name == "demo"
    assert config.search_space == SPACE
    assert config.search_space_file == str(tmp_path / "space.json")
    assert config.trial_code_directory == str(tmp_path / "code")
    assert config.trial_concurrency == 4
    assert config.max_experiment_duration == 5400.0
    assert config.max_trial_duration == 90.0
    assert config.log_level == "info"
    assert config.experiment_working_directory == str(Path.home() / "somewhere")
    assert config.tuner_gpu_indices == [0, 1]
    assert config.tuner is not None and config.tuner.name == "GridSearch"
    service = config.training_service
    assert isinstance(service, RemoteConfig) and service.reuse_mode is True
    first, second = service.machine_list
    assert (first.host, first.port, first.user, first.password) == ("127.0.0.1", 22, "me", "pw")
    assert (second.port, second.ssh_key_file, second.passphrase) == (2222, str(key), "pp")
    assert (second.use_active_gpu, second.max_trial_number_per_gpu, second.gpu_indices) == (True, 2, [0])


def test_to_json_roundtrip_and_redaction(write: Callable[..., Path], v2: Callable[..., dict[str, Any]]) -> None:
    path = write("exp.json", v2(trainingService={
        "platform": "remote", "machineList": [{"host": "h", "user": "u", "password": "hunter2"}]}))
    config = load_config(path)
    full = config.to_json()
    assert full["trainingService"]["machineList"][0]["password"] == "hunter2"
    redacted = config.to_json(redact=True)
    assert redacted["trainingService"]["machineList"][0]["password"] == REDACTED
    assert "hunter2" not in json.dumps(redacted)
    again = ExperimentConfig.from_json(full)
    assert again == config
    assert again.to_json() == full
    assert set(full) >= {"searchSpace", "trialCommand", "trialConcurrency", "tuner", "trainingService"}


def test_inline_search_space_and_json_config(write: Callable[..., Path], v2: Callable[..., dict[str, Any]]) -> None:
    config = load_config(write("exp.json", v2(searchSpaceFile=None, searchSpace=SPACE)))
    assert config.search_space == SPACE and config.search_space_file is None


def test_yaml_search_space_file(write: Callable[..., Path], v2: Callable[..., dict[str, Any]]) -> None:
    write("space.yaml", "x:\n  _type: uniform\n  _value: [0, 1]\n")
    config = load_config(write("exp.yml", v2(searchSpaceFile="space.yaml")))
    assert config.search_space == {"x": {"_type": "uniform", "_value": [0, 1]}}


def test_annotation_needs_no_space(write: Callable[..., Path], v2: Callable[..., dict[str, Any]]) -> None:
    config = load_config(write("exp.yml", v2(searchSpaceFile=None, useAnnotation=True)))
    assert config.search_space is None and config.use_annotation


def test_snake_case_keys_accepted(write: Callable[..., Path], v2: Callable[..., dict[str, Any]]) -> None:
    data = v2(trialCommand=None, trialConcurrency=None)
    data.update(trial_command="python3 t.py", trial_concurrency=3)
    config = load_config(write("exp.yml", data))
    assert (config.trial_command, config.trial_concurrency) == ("python3 t.py", 3)


def test_v1_converted(write: Callable[..., Path], v1: Callable[..., dict[str, Any]], tmp_path: Path) -> None:
    (tmp_path / "tuners").mkdir()
    (tmp_path / "tuners" / "my_tuner.py").write_text(
        "from nni.tuner import Tuner\nclass MyTuner(Tuner):\n    def __init__(self, optimize_mode='maximize'):\n"
        "        pass\n")
    key = tmp_path / "key"
    key.write_text("k")
    data = v1(
        trainingServicePlatform="remote",
        tuner={"codeDir": "tuners", "classFileName": "my_tuner.py", "className": "MyTuner",
               "classArgs": {"optimize_mode": "minimize"}, "gpuIndices": "1"},
        assessor={"builtinAssessorName": "Medianstop", "classArgs": {"optimize_mode": "maximize"}},
        machineList=[{"ip": "10.0.0.1", "port": 22, "username": "bob", "passwd": "pw"},
                     {"ip": "10.0.0.2", "username": "amy", "sshKeyPath": "key", "passphrase": "x"}],
        remoteConfig={"reuse": False},
        multiThread=True,
        logDir="logs",
    )
    config = load_config(write("old.yml", data))
    assert config.max_experiment_duration == 3600 and config.max_trial_number == 10
    assert config.trial_command == "python3 trial.py" and config.trial_gpu_number == 0
    assert config.trial_code_directory == str(tmp_path)
    assert config.experiment_working_directory == str(tmp_path / "logs")
    assert config.tuner is not None
    assert (config.tuner.class_name, config.tuner.code_directory) == ("my_tuner.MyTuner", str(tmp_path / "tuners"))
    assert config.tuner_gpu_indices == [1]
    assert config.assessor is not None and config.assessor.name == "Medianstop"
    service = config.training_service
    assert isinstance(service, RemoteConfig)
    assert [(m.host, m.user, m.password, m.ssh_key_file) for m in service.machine_list] == [
        ("10.0.0.1", "bob", "pw", None), ("10.0.0.2", "amy", None, str(key))]
    v2_json = config.to_json()
    assert "authorName" not in v2_json and v2_json["trainingService"]["platform"] == "remote"
    assert ExperimentConfig.from_json(v2_json) == config


def test_v1_local_config(write: Callable[..., Path], v1: Callable[..., dict[str, Any]]) -> None:
    config = load_config(write("old.yml", v1(localConfig={"gpuIndices": "0,2", "maxTrialNumPerGpu": 2,
                                                          "useActiveGpu": True})))
    service = config.training_service
    assert isinstance(service, LocalConfig)
    assert (service.gpu_indices, service.max_trial_number_per_gpu, service.use_active_gpu) == ([0, 2], 2, True)


@pytest.mark.parametrize(
    ("given", "seconds"),
    [(90, 90.0), (1.5, 1.5), ("90s", 90.0), ("30m", 1800.0), ("1h", 3600.0), ("2d", 172800.0), ("1.5h", 5400.0),
     (" 10 m ", 600.0), ("45", 45.0), ("2H", 7200.0)],
)
def test_durations(given: Any, seconds: float) -> None:
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("given", ["1w", "h", "-5s", "1h30m", "", 0, -1, True, None, [1], float("nan")])
def test_bad_durations(given: Any) -> None:
    with pytest.raises(ValueError, match="expected a"):
        parse_duration(given)


def test_python_api_config_then_validate(tmp_path: Path) -> None:
    config = ExperimentConfig.for_platform("local")
    config.trial_command = "python3 trial.py"
    config.search_space = SPACE
    assert config.tuner is not None
    config.tuner.name = "Random"
    config.tuner.class_args = {"seed": 3}
    config.max_experiment_duration = "10m"  # type: ignore[assignment]
    checked = config.validate(base_dir=tmp_path)
    assert checked.max_experiment_duration == 600.0
    assert checked.trial_code_directory == str(tmp_path)
    empty = ExperimentConfig.for_platform("remote")
    with pytest.raises(ConfigError, match="'trainingService.machineList': expected at least one machine entry"):
        empty.validate()
    local = ExperimentConfig.for_platform("local")
    with pytest.raises(ConfigError, match="'trialCommand': missing; the command that runs one trial"):
        local.validate()
    local.trial_command = "python3 t.py"
    local.search_space = SPACE
    with pytest.raises(ConfigError, match="'tuner': missing; a tuner"):
        local.validate()
    local.tuner = None
    local.advisor = AlgorithmConfig(name="Hyperband")
    assert local.validate().advisor == AlgorithmConfig(name="Hyperband")


def test_slurm_entry_is_lazy(write: Callable[..., Path], v2: Callable[..., dict[str, Any]], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert "slurm" in platform_names()
    # Point the slurm entry at a module that is missing, as before its engineer lands it.
    monkeypatch.setitem(ts.TRAINING_SERVICES, "slurm", "nni.config.training_services.no_such_module:SlurmConfig")
    with pytest.raises(ConfigError) as info:
        load_config(write("exp.yml", v2(trainingService={"platform": "slurm"})))
    assert "'trainingService.platform': platform 'slurm' is not available in this build" in str(info.value)
    assert "it runs: local, remote" in str(info.value)


def test_registered_platform(write: Callable[..., Path], v2: Callable[..., dict[str, Any]], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fake_platform_cfg.py").write_text(
        "from dataclasses import dataclass\n"
        "from nni.config import TrainingServiceConfig, option, platform_field, to_str\n"
        "@dataclass\n"
        "class FakeConfig(TrainingServiceConfig):\n"
        "    platform: str = platform_field('fake')\n"
        "    queue: str | None = option('queue', to_str, required=True, help='the queue name')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ts.TRAINING_SERVICES, "fake", "fake_platform_cfg:FakeConfig")
    config = load_config(write("exp.yml", v2(trainingService={"platform": "fake", "queue": "q1"})))
    assert config.training_service is not None and config.training_service.to_json() == {"platform": "fake", "queue": "q1"}
    with pytest.raises(ConfigError, match="'trainingService.queue': missing; the queue name"):
        load_config(write("exp2.yml", v2(trainingService={"platform": "fake"})))
    with pytest.raises(ValueError):
        register_training_service("x", "no_colon")


def test_batch_tuner_space_accepted(write: Callable[..., Path], v2: Callable[..., dict[str, Any]]) -> None:
    space = {"combine_params": {"_type": "choice", "_value": [{"lr": 0.1}, {"lr": 0.01}]}}
    write("batch.json", space)
    config = load_config(write("exp.yml", v2(searchSpaceFile="batch.json", tuner={"name": "BatchTuner"})))
    assert config.search_space == space


def test_nni_style_python_config(tmp_path: Path) -> None:
    config = ExperimentConfig("local")
    config.trial_command = "python3 model.py"
    config.trial_code_directory = str(tmp_path)
    config.search_space = SPACE
    assert config.tuner is not None
    config.tuner.name = "Random"
    config.tuner.class_args["seed"] = 5
    config.max_trial_number = 10
    config.trial_concurrency = 2
    assert isinstance(config.training_service, LocalConfig)
    config.training_service.use_active_gpu = True
    checked = config.validate()
    assert checked.tuner is not None and checked.tuner.class_args == {"seed": 5}
    assert checked.to_json()["trainingService"] == {"platform": "local", "useActiveGpu": True,
                                                    "maxTrialNumberPerGpu": 1}
    assert ExperimentConfig(trial_command="x").trial_command == "x"
    with pytest.raises(TypeError, match="unknown argument"):
        ExperimentConfig(trial_comand="x")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="hybrid mode"):
        ExperimentConfig(["local", "remote"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="platform 'pai' is not supported"):
        ExperimentConfig("pai")


def test_v1_advisor_and_custom_assessor(write: Callable[..., Path], v1: Callable[..., dict[str, Any]],
                                        tmp_path: Path) -> None:
    (tmp_path / "asr.py").write_text(
        "from nni.assessor import Assessor\nclass A(Assessor):\n    def __init__(self, start_step=1):\n        pass\n"
        "    def assess_trial(self, trial_job_id, trial_history):\n        return True\n")
    data = v1(tuner=None, advisor={"builtinAdvisorName": "Hyperband", "classArgs": {"optimize_mode": "maximize"}})
    config = load_config(write("adv.yml", data))
    assert config.tuner is None and config.advisor is not None and config.advisor.name == "Hyperband"
    data = v1(assessor={"codeDir": ".", "classFileName": "asr.py", "className": "A", "classArgs": {"start_step": 2}})
    config = load_config(write("asr.yml", data))
    assert config.assessor is not None
    assert (config.assessor.class_name, config.assessor.code_directory) == ("asr.A", str(tmp_path))
    data = v1(assessor={"codeDir": ".", "classFileName": "asr.py", "className": "A", "classArgs": {"start": 2}})
    with pytest.raises(ConfigError, match=r"'assessor.classArgs.start': unknown argument 'start' for A; "
                                          r"did you mean 'start_step'\?"):
        load_config(write("asr2.yml", data))


def test_include_intermediate_results_in_both_dialects(write: Callable[..., Path], v1: Callable[..., dict[str, Any]],
                                                       v2: Callable[..., dict[str, Any]]) -> None:
    old = load_config(write("old.yml", v1(tuner={"builtinTunerName": "TPE", "includeIntermediateResults": True})))
    new = load_config(write("new.yml", v2(tuner={"name": "TPE", "includeIntermediateResults": True})))
    plain = load_config(write("plain.yml", v2(tuner={"name": "TPE"})))
    assert old.tuner is not None and new.tuner is not None and plain.tuner is not None
    assert old.tuner.include_intermediate_results and new.tuner.include_intermediate_results
    assert not plain.tuner.include_intermediate_results
    assert new.to_json()["tuner"]["includeIntermediateResults"] is True
    with pytest.raises(ConfigError, match="includeIntermediateResults"):
        load_config(write("bad.yml", v2(tuner={"name": "TPE", "includeIntermediateResults": "yes please"})))


def test_the_multi_objective_example_loads_with_its_objectives() -> None:
    from nni.config import load_config

    example = Path(__file__).resolve().parents[2] / "examples" / "multiobjective_digits" / "config.yml"
    config = load_config(example)
    assert config.objective_spec().describe() == "accuracy (maximize), latency_ms (minimize); constraints: model_kb <= 150"
    assert config.to_json()["objectives"] == [{"name": "accuracy", "mode": "maximize"},
                                              {"name": "latency_ms", "mode": "minimize"}]
    assert config.to_json()["constraints"] == [{"name": "model_kb", "max": 150}]
