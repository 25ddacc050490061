"""NNI user projects run unchanged through the real ``nnictl create --config ... --foreground``: their
configs (v2 and v1), search spaces, trial scripts and custom tuner/assessor, each in a temp experiments
home on a free port. Outcomes are read from the experiment's store and the trials' own output files."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nni import search_space
from nni.testing import free_port

pytestmark = pytest.mark.slow


def _finals(outcome) -> dict[str, object]:
    return {m.trial_job_id: m.value for m in outcome.metrics if m.type == "FINAL"}


def _periodicals(outcome, trial_id: str) -> list[object]:
    return [m.value for m in outcome.metrics if m.type == "PERIODICAL" and m.trial_job_id == trial_id]


def test_mnist_pytorch_v2_config(project) -> None:
    folder = project.copy("mnist_pytorch")
    # run from the folder above, as users do (nnictl create --config mnist_pytorch/config.yml): paths in the
    # config resolve against the config file's folder
    outcome = project.run(Path("mnist_pytorch") / "config.yml", cwd=project.tmp)
    assert re.fullmatch(r"[a-z0-9]{8}", outcome.experiment_id)
    assert outcome.statuses() == ["SUCCEEDED"] * 4
    assert [t.sequence_id for t in outcome.trials] == [0, 1, 2, 3]
    specs = search_space.parse(json.loads((folder / "search_space.json").read_text()))
    finals = _finals(outcome)
    for trial in outcome.trials:
        assert re.fullmatch(r"[A-Za-z0-9]{5}", trial.trial_job_id)
        assert set(trial.parameters) == {"batch_size", "hidden_size", "lr", "momentum"}
        flat = search_space.deformat_parameters(trial.parameters, specs)
        assert all(search_space.contains(spec, flat[spec.key]) for spec in specs)
        # epochs=3: two intermediate results, then the final one (the mnist.py pattern)
        assert len(_periodicals(outcome, trial.trial_job_id)) == 2
        assert isinstance(finals[trial.trial_job_id], float) and trial.final_metric == finals[trial.trial_job_id]


def test_mnist_pytorch_v1_config_with_a_builtin_assessor(project) -> None:
    folder = project.copy("mnist_pytorch")
    outcome = project.run(folder / "config_v1_assessor.yml")
    assert outcome.profile.name == "example_mnist_medianstop"
    assert outcome.profile.config["assessor"]["name"] == "Medianstop"
    assert len(outcome.trials) == 4
    assert set(outcome.statuses()) <= {"SUCCEEDED", "EARLY_STOPPED"} and "SUCCEEDED" in outcome.statuses()
    for trial in outcome.trials:
        steps = len(_periodicals(outcome, trial.trial_job_id))
        assert steps == 3 if trial.status == "SUCCEEDED" else 1 <= steps <= 3  # --epochs 4 reached argparse


def test_nested_search_space_reaches_the_trial_in_nni_shape(project) -> None:
    folder = project.copy("nested_search_space")
    outcome = project.run(folder / "config.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 4  # mnist.py raises on a wrongly shaped layer
    for trial in outcome.trials:
        written = json.loads(outcome.trial_file(trial, "params.json").read_text())
        assert written == trial.parameters
        assert {written[f"layer{i}"]["_name"] for i in range(3)} <= {"Empty", "Conv", "Max_pool", "Avg_pool"}


def test_annotated_trial_with_a_v1_config(project) -> None:
    folder = project.copy("mnist_annotation")
    outcome = project.run(folder / "config.yml")
    assert outcome.profile.name == "example_mnist"
    assert outcome.statuses() == ["SUCCEEDED"] * 3
    for trial in outcome.trials:
        seen = json.loads(outcome.trial_file(trial, "seen.json").read_text())
        assert seen["conv_size"] in (2, 3, 5, 7) and seen["hidden_size"] in (124, 512, 1024)
        assert 0.0001 <= seen["learning_rate"] <= 0.1 and seen["batch_size"] in (1, 4, 8)
        assert len(_periodicals(outcome, trial.trial_job_id)) == 3  # a numpy float32 each
        assert isinstance(trial.final_metric, float)
    assert (folder / "mnist.py").read_text().count("@nni.") == 9  # the user's file is left as it was


def test_hyperband_advisor_v1_config(project) -> None:
    folder = project.copy("hyperband_advisor")
    outcome = project.run(folder / "config_hyperband.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 6
    budgets = {}
    for trial in outcome.trials:
        written = json.loads(outcome.trial_file(trial, "budget.json").read_text())
        assert written == {"budget": trial.parameters["TRIAL_BUDGET"], "sequence": trial.sequence_id}
        budgets.setdefault(written["budget"], []).append(trial)
    assert len(budgets[1]) >= 2 and set(budgets) <= {1, 2, 4} and len(budgets) >= 2


def test_custom_tuner_v2_class_name_gets_nni_calls(project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    outcome = project.run(folder / "config.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 4
    calls = outcome.tuner_calls
    assert calls[0] == {"call": "__init__", "optimize_mode": "maximize", "seed": 7,
                        "log_dir": str(outcome.experiment_dir / "log")}
    assert calls[1] == {"call": "update_search_space", "keys": ["layers", "lr", "optimizer"]}
    generated = [c for c in calls if c["call"] == "generate_parameters"]
    assert sorted(c["parameter_id"] for c in generated) == [t.parameter_id for t in outcome.trials]
    received = {c["parameter_id"]: c for c in calls if c["call"] == "receive_trial_result"}
    assert len(received) == 4
    for trial in outcome.trials:
        call = received[trial.parameter_id]
        assert call["parameters"] == trial.parameters
        assert call["value"] == trial.final_metric  # the dict metric as reported
        assert call["reward"] == trial.final_metric["default"]
        assert call["kwargs"] == {"customized": False, "trial_job_id": trial.trial_job_id}
        reported = trial.final_metric
        assert (reported["trial"], reported["sequence"], reported["experiment"]) == (
            trial.trial_job_id, trial.sequence_id, outcome.experiment_id)
        assert _periodicals(outcome, trial.trial_job_id) == [{"default": reported["default"] * 2, "epoch": 1}]
        env = json.loads(outcome.trial_file(trial, "env.json").read_text())
        assert env["cwd"] == str(folder)  # NNI runs a trial in its code directory
        assert (env["NNI_PLATFORM"], env["NNI_EXP_ID"], env["NNI_TRIAL_JOB_ID"]) == (
            "local", outcome.experiment_id, trial.trial_job_id)
        assert env["NNI_TRIAL_SEQ_ID"] == str(trial.sequence_id) and env["NNI_CODE_DIR"] == str(folder)
        assert env["NNI_SYS_DIR"] == env["NNI_OUTPUT_DIR"] == str(outcome.experiment_dir / "trials" / trial.trial_job_id)
    ended = [c for c in calls if c["call"] == "trial_end"]
    assert sorted(c["parameter_id"] for c in ended) == list(range(4)) and all(c["success"] for c in ended)


def test_tuner_registered_with_nnictl_algo_register_runs_from_a_v1_config(project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    env = {"PYTHONPATH": f"{folder}:{project.env['PYTHONPATH']}"}
    registered = project.nnictl("algo", "register", "--meta", folder / "meta_file.yml", env=env)
    assert registered.returncode == 0, registered.stderr
    text = (folder / "config_v1.yml").read_text().replace(
        "  codeDir: .\n  classFileName: demo_tuner.py\n  className: DemoTuner\n", "  builtinTunerName: demotuner\n")
    (folder / "config_registered.yml").write_text(text)
    outcome = project.run(folder / "config_registered.yml", env=env)
    assert outcome.statuses() == ["SUCCEEDED"] * 3
    assert outcome.tuner_calls[0]["optimize_mode"] == "minimize" and outcome.tuner_calls[0]["seed"] is None
    assert len([c for c in outcome.tuner_calls if c["call"] == "receive_trial_result"]) == 3


def test_custom_tuner_raising_no_more_trial_error_ends_the_experiment(project) -> None:
    folder = project.copy("customized_tuner")
    outcome = project.run(folder / "config_list.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 2  # maxTrialNumber is 5; the tuner had two
    assert sorted(t.parameters["optimizer"] for t in outcome.trials) == ["adam", "sgd"]
    assert {t.parameters["layers"] for t in outcome.trials} == {3}


def test_custom_assessor_stops_bad_trials(project) -> None:
    folder = project.copy("customized_assessor")
    outcome = project.run(folder / "config.yml")
    by_quality = {}
    for trial in outcome.trials:
        by_quality.setdefault(trial.parameters["quality"], []).append(trial.status)
    assert by_quality == {0.2: ["EARLY_STOPPED"] * 2, 0.9: ["SUCCEEDED"] * 2}
    bad = [c for c in outcome.assessor_calls if c["call"] == "assess_trial" and c["verdict"] == "Bad"]
    stopped = {t.trial_job_id for t in outcome.trials if t.status == "EARLY_STOPPED"}
    assert {c["trial"] for c in bad} == stopped
    assert all(len(c["history"]) >= 2 for c in bad)
    ends = {c["trial"]: c["success"] for c in outcome.assessor_calls if c["call"] == "trial_end"}
    assert ends == {t.trial_job_id: t.status == "SUCCEEDED" for t in outcome.trials}


def test_sklearn_trial_with_merge_parameter(project) -> None:
    folder = project.copy("sklearn_classification")
    outcome = project.run(folder / "config.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 2
    for trial in outcome.trials:
        assert isinstance(trial.final_metric, float) and 0 <= trial.final_metric <= 1  # numpy float64 reported
        assert trial.parameters["kernel"] in ("linear", "rbf", "poly", "sigmoid")


def test_hpo_quickstart_python_api(project) -> None:
    folder = project.copy("hpo_quickstart")
    port = free_port()
    result = subprocess.run([sys.executable, "main.py", str(port)], cwd=folder, env=project.env, text=True,
                            capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.startswith(
        ("STATUS", "TRIALS", "EXPORTED", "EXPERIMENT_ID")))
    assert (lines["STATUS"], lines["TRIALS"], lines["EXPORTED"]) == ("DONE", "4", "4")
    assert (project.home / lines["EXPERIMENT_ID"]).is_dir()
    with socket.socket() as s:  # experiment.stop() closed the server: the port can be listened on again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
    standalone = project.python(folder / "model.py")
    assert standalone.returncode == 0 and "'features': 512" in standalone.stdout  # run directly: defaults


def test_nnictl_experiment_import_feeds_the_custom_tuners_import_data(project) -> None:
    pytest.importorskip("schema")
    folder = project.copy("customized_tuner")
    (folder / "slow_trial.py").write_text("import time\nimport nni\n\nparams = nni.get_next_parameter()\n"
                                          "time.sleep(3)\nnni.report_final_result(params['lr'])\n")
    config = folder / "config_import.yml"
    config.write_text((folder / "config.yml").read_text().replace("python3 trial.py", "python3 slow_trial.py")
                      .replace("maxTrialNumber: 4", "maxTrialNumber: 2"))
    data = [{"parameter": {"optimizer": "sgd", "layers": 2, "lr": 0.01}, "value": 0.5},
            {"parameter": {"optimizer": "adam", "layers": 1, "lr": 0.05}, "value": {"default": 0.25, "other": 1}}]
    (folder / "data.json").write_text(json.dumps(data))
    created = project.nnictl("create", "--config", config, "--port", free_port(), cwd=folder)
    assert created.returncode == 0, created.stdout + created.stderr
    exp_id = re.search(r"experiment id is (\w+)", created.stdout).group(1)
    try:
        imported = project.nnictl("experiment", "import", exp_id, "-f", folder / "data.json")
        assert imported.returncode == 0, imported.stdout + imported.stderr
    finally:
        stopped = project.nnictl("stop", exp_id)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    calls = [json.loads(line) for line in project.tuner_log.read_text().splitlines()]
    assert [c["data"] for c in calls if c["call"] == "import_data"] == [data]


def test_shell_trial_command_and_json_choice_values(project) -> None:
    folder = project.copy("config_variants")
    outcome = project.run(folder / "config_shell.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 4
    for trial in outcome.trials:
        seen = json.loads(outcome.trial_file(trial, "seen.json").read_text())
        assert seen["argv"] == ["--flag", "a b"] and seen["FOO"] == "bar"
        assert seen["params"] == trial.parameters
        assert seen["params"]["act"] in (None, "relu", True, [1, 2])
        assert 1e-4 <= seen["params"]["lr"] <= 0.1


def test_old_style_tuner_without_kwargs_hooks(project) -> None:
    folder = project.copy("customized_tuner")
    outcome = project.run(folder / "config_old_style.yml")
    assert outcome.statuses() == ["SUCCEEDED"] * 6
    received = [c for c in outcome.tuner_calls if c["call"] == "receive_trial_result"]
    assert sorted(c["parameter_id"] for c in received) == list(range(6))
    finals = {t.parameter_id: t.final_metric["default"] for t in outcome.trials}
    assert all(c["reward"] == -finals[c["parameter_id"]] for c in received)  # minimize: reward negated
    assert {t.parameters["lr"] for t in outcome.trials[:4]} == {0.001, 0.002, 0.003, 0.004}
