"""Custom tuners and assessors written for NNI load through nni.algorithms' loader from the configs that
name them (v2 className + codeDirectory, v1 codeDir + classFileName + className, a name registered with
``nnictl algo register --meta``), their ClassArgsValidator runs, and they work driven by hand as NNI's
docs show. Built-ins named in the corpus construct from the same classArgs."""

from __future__ import annotations

import pytest

from nni.algorithms import AlgorithmConfigError, create_algorithm
from nni.assessor import Assessor, AssessResult
from nni.config import load_config
from nni.errors import ConfigError
from nni.tuner import Tuner


def test_builtins_named_by_the_corpus_construct(project) -> None:
    expected = {
        "mnist_pytorch/config.yml": ("tuner", "TpeTuner"),
        "sklearn_classification/config.yml": ("tuner", "HyperoptTuner"),
        "hyperband_advisor/config_hyperband.yml": ("advisor", "Hyperband"),
        "mnist_pytorch/config_assessor.yml": ("assessor", "CurvefittingAssessor"),
    }
    for name, (kind, class_name) in expected.items():
        folder = project.copy(name.split("/")[0])
        config = load_config(folder / name.split("/")[1])
        algorithm = create_algorithm(kind, getattr(config, kind))
        assert type(algorithm).__name__ == class_name
        assert type(algorithm).__module__.startswith("nni.algorithms.hpo.")


@pytest.mark.parametrize("name", ["config.yml", "config_v1.yml"])
def test_custom_tuner_from_v2_and_v1_configs(name: str, project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    config = load_config(folder / name)
    tuner = create_algorithm("tuner", config.tuner)
    assert isinstance(tuner, Tuner) and type(tuner).__name__ == "DemoTuner"
    assert tuner.optimize_mode.value == config.tuner.class_args["optimize_mode"]


def test_custom_tuner_driven_by_hand_like_nni_does(project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    config = load_config(folder / "config.yml")
    tuner = create_algorithm("tuner", config.tuner)
    tuner.update_search_space(config.search_space)
    for parameter_id in range(5):
        params = tuner.generate_parameters(parameter_id)
        assert params["optimizer"] in ("sgd", "adam") and 1 <= params["layers"] < 4
        assert 0.001 <= params["lr"] <= 0.1
        tuner.receive_trial_result(parameter_id, params, {"default": 0.5 + parameter_id, "loss": 1.0},
                                   customized=False, trial_job_id=f"abcd{parameter_id}")
        tuner.trial_end(parameter_id, True)
    assert tuner.results == {i: 0.5 + i for i in range(5)}
    batch = tuner.generate_multiple_parameters([10, 11, 12], st_callback=lambda *a: None)
    assert len(batch) == 3


@pytest.mark.parametrize("bad, key", [({"optimize_mode": "maximise"}, "optimize_mode"),
                                       ({"optimize_mode": "maximize", "seed": -3}, "seed")])
def test_the_users_schema_validator_rejects_bad_class_args(bad: dict, key: str, project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    text = (folder / "config.yml").read_text().replace("    optimize_mode: maximize\n    seed: 7\n",
                                                       "".join(f"    {k}: {v}\n" for k, v in bad.items()))
    (folder / "bad.yml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(folder / "bad.yml")
    message = str(info.value)
    assert "MyClassArgsValidator" in message and key in message and "bad.yml" in message
    assert "\n" not in message and "raised" not in message  # schema's wrapping is unwrapped to one line


def test_a_class_arg_the_tuner_does_not_take_is_named(project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    text = (folder / "config.yml").read_text().replace("    seed: 7\n", "    sead: 7\n")
    (folder / "bad.yml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(folder / "bad.yml")
    assert "sead" in str(info.value) and "seed" in str(info.value)


def test_custom_assessor_from_a_v1_config_driven_by_hand(project) -> None:
    folder = project.copy("customized_assessor")
    config = load_config(folder / "config.yml")
    assessor = create_algorithm("assessor", config.assessor)
    assert isinstance(assessor, Assessor)
    assert assessor.assess_trial("Abc12", [0.9]) is AssessResult.Good
    assert assessor.assess_trial("Abc12", [0.9, 0.95]) is AssessResult.Good
    assert assessor.assess_trial("Xyz34", [{"default": 0.2}, {"default": 0.21}]) is AssessResult.Bad
    assessor.trial_end("Xyz34", False)


def test_a_tuner_registered_with_nnictl_algo_register_is_a_builtin_name(project, monkeypatch) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    # NNI's step 3: the user installs the package (here: puts its folder on PYTHONPATH), then registers it.
    env = {"PYTHONPATH": f"{folder}:{project.env['PYTHONPATH']}"}
    registered = project.nnictl("algo", "register", "--meta", folder / "meta_file.yml", env=env)
    assert registered.returncode == 0, registered.stderr
    listed = project.nnictl("algo", "list", env=env)
    assert "demotuner" in listed.stdout
    text = (folder / "config_v1.yml").read_text().replace(
        "  codeDir: .\n  classFileName: demo_tuner.py\n  className: DemoTuner\n", "  builtinTunerName: demotuner\n")
    (folder / "config_registered.yml").write_text(text)
    monkeypatch.setenv("XDG_CONFIG_HOME", project.env["XDG_CONFIG_HOME"])
    monkeypatch.syspath_prepend(str(folder))
    config = load_config(folder / "config_registered.yml")
    assert config.tuner.name == "demotuner"
    tuner = create_algorithm("tuner", config.tuner)
    assert type(tuner).__name__ == "DemoTuner" and tuner.optimize_mode.value == "minimize"
    with pytest.raises(AlgorithmConfigError):
        create_algorithm("assessor", {"name": "demotuner"})  # registered as a tuner only


# classArgs as NNI's docs list them for each built-in (reference/hpo tuners, assessors; Tuner/HyperbandAdvisor)
DOCUMENTED_CLASS_ARGS = [
    ("tuner", "TPE", {"optimize_mode": "maximize", "seed": 1,
                      "tpe_args": {"constant_liar_type": "mean", "n_startup_jobs": 10, "n_ei_candidates": 24,
                                   "linear_forgetting": 25, "prior_weight": 1.0, "gamma": 0.25}}),
    ("tuner", "Random", {"seed": 1}),
    ("tuner", "Anneal", {"optimize_mode": "minimize"}),
    ("tuner", "Evolution", {"optimize_mode": "maximize", "population_size": 100}),
    ("tuner", "GridSearch", {}),
    ("tuner", "BatchTuner", {}),
    ("tuner", "GPTuner", {"optimize_mode": "maximize", "utility": "ei", "kappa": 5.0, "xi": 0.0, "nu": 2.5,
                          "alpha": 1e-6, "cold_start_num": 10, "selection_num_warm_up": 100000,
                          "selection_num_starting_points": 250}),
    ("tuner", "MetisTuner", {"optimize_mode": "maximize", "no_resampling": True, "no_candidates": False,
                             "selection_num_starting_points": 600, "cold_start_num": 10,
                             "exploration_probability": 0.9}),
    ("tuner", "SMAC", {"optimize_mode": "maximize", "config_dedup": False}),
    ("tuner", "PBTTuner", {"optimize_mode": "maximize", "all_checkpoint_dir": "/tmp/compat-pbt", "population_size": 10,
                           "factor": 0.2, "resample_probability": 0.25, "fraction": 0.2}),
    ("tuner", "DNGOTuner", {"optimize_mode": "maximize", "sample_size": 1000, "trials_per_update": 20,
                            "num_epochs_per_training": 500}),
    ("advisor", "Hyperband", {"optimize_mode": "maximize", "R": 60, "eta": 3, "exec_mode": "parallelism"}),
    ("tuner", "Hyperband", {"optimize_mode": "maximize", "R": 60, "eta": 3, "exec_mode": "serial"}),
    ("advisor", "BOHB", {"optimize_mode": "maximize", "min_budget": 1, "max_budget": 27, "eta": 3,
                         "min_points_in_model": 7, "top_n_percent": 15, "num_samples": 64, "random_fraction": 0.33,
                         "bandwidth_factor": 3.0, "min_bandwidth": 0.001}),
    ("assessor", "Medianstop", {"optimize_mode": "maximize", "start_step": 5}),
    ("assessor", "Curvefitting", {"epoch_num": 20, "start_step": 6, "threshold": 0.95, "gap": 1}),
]


@pytest.mark.parametrize("kind, name, class_args", DOCUMENTED_CLASS_ARGS,
                         ids=[f"{k}-{n}" for k, n, _ in DOCUMENTED_CLASS_ARGS])
def test_builtin_takes_the_class_args_nni_documents(kind: str, name: str, class_args: dict) -> None:
    algorithm = create_algorithm(kind, {"name": name, "classArgs": class_args})
    assert type(algorithm).__module__.startswith("nni.algorithms.hpo.")


def test_old_style_tuner_hooks_take_what_nni_2_passes(project) -> None:
    folder = project.copy("customized_tuner")
    config = load_config(folder / "config_old_style.yml")
    tuner = create_algorithm("tuner", config.tuner)
    tuner.update_search_space(config.search_space)
    batch = tuner.generate_multiple_parameters([0, 1], st_callback=lambda *a, **k: None)
    assert [p["lr"] for p in batch] == [0.001, 0.002]
    tuner.receive_trial_result(0, batch[0], {"default": 0.25}, customized=False, trial_job_id="Abc12")
    tuner.trial_end(0, True)
    assert tuner.population[-1].result == -0.25
    assert tuner.extract_scalar_reward(0.5) == 0.5


def test_the_class_args_validator_named_in_the_meta_file_is_used(project, monkeypatch) -> None:
    folder = project.copy("customized_tuner")
    # the validator in a module of its own, as a meta file may name it
    (folder / "strict_validators.py").write_text(
        "from nni.utils import ClassArgsValidator\n\n\nclass StrictValidator(ClassArgsValidator):\n"
        "    def validate_class_args(self, **kwargs):\n"
        "        if kwargs.get('population_size', 4) > 8:\n"
        "            raise ValueError('population_size should be at most 8, got %r' % kwargs['population_size'])\n")
    (folder / "meta_old_style.yml").write_text(
        "algoType: tuner\nbuiltinName: oldstyle\nclassName: old_style_tuner.OldStyleTuner\n"
        "classArgsValidator: strict_validators.StrictValidator\n")
    env = {"PYTHONPATH": f"{folder}:{project.env['PYTHONPATH']}"}
    registered = project.nnictl("algo", "register", "--meta", folder / "meta_old_style.yml", env=env)
    assert registered.returncode == 0, registered.stderr
    monkeypatch.setenv("XDG_CONFIG_HOME", project.env["XDG_CONFIG_HOME"])
    monkeypatch.syspath_prepend(str(folder))
    good = {"name": "oldstyle", "classArgs": {"optimize_mode": "maximize", "population_size": 8}}
    assert type(create_algorithm("tuner", good)).__name__ == "OldStyleTuner"
    bad = {"name": "oldstyle", "classArgs": {"optimize_mode": "maximize", "population_size": 9}}
    with pytest.raises(AlgorithmConfigError, match="StrictValidator.*population_size should be at most 8"):
        create_algorithm("tuner", bad)
