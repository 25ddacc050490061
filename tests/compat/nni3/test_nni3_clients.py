"""NNI 3.0's ``nnictl`` and Python client (``nni==3.0`` from PyPI, its own virtual environment) drive a real
experiment of this project; every answer is checked against the experiment's store. The tests run in order
over one experiment: read, export, update, kill, DONE, extend, ``kill -9`` and resume, stop."""

from __future__ import annotations

import csv
import json
import re

import pytest

from nni.testing import pid_alive, wait_until

pytestmark = pytest.mark.slow


def _finals(experiment) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {t.trial_job_id: t.final_metric for t in experiment.trials() if t.final_metric is not None}


def _wait_done_with(experiment, count: int) -> None:  # type: ignore[no-untyped-def]
    wait_until(lambda: experiment.status() == "DONE" and len(experiment.trials()) == count, 90,
               f"the experiment to be DONE with {count} trials")


def test_nnictl_reads_the_experiment(experiment) -> None:
    exp_id = experiment.id
    show = json.loads(experiment.nni3.nnictl("experiment", "show").stdout)  # the real `nnictl` command once
    assert show["id"] == exp_id and show["params"]["maxTrialNumber"] == 4
    assert show["params"]["searchSpace"] == {"x": {"_type": "uniform", "_value": [0, 1]}}
    listed, status, trial_ls, url, stderr, stdout = experiment.nni3.nnictl_batch(
        ["experiment", "list"], ["experiment", "status", exp_id], ["trial", "ls", exp_id], ["webui", "url", exp_id],
        ["log", "stderr", exp_id], ["log", "stdout", exp_id])
    assert re.search(rf"Id: {exp_id}\s+Name: nni3 compat\s+Status: NO_MORE_TRIAL\s+Port: {experiment.port}", listed), listed
    assert json.loads(status) == {"errors": [], "status": "NO_MORE_TRIAL"}  # all 4 trials submitted

    listed_trials = json.loads(trial_ls)
    stored = experiment.trials()
    assert [t["trialJobId"] for t in listed_trials] == [t.trial_job_id for t in stored]
    assert [t["status"] for t in listed_trials] == [t.status for t in stored]
    done = [t for t in listed_trials if t["status"] == "SUCCEEDED"]
    assert {t["trialJobId"]: json.loads(json.loads(t["finalMetricData"][0]["data"])) for t in done} == _finals(experiment)

    assert re.search(rf"Web UI url: http://127\.0\.0\.1:{experiment.port}\s*$", url), url
    for shown in (stderr, stdout):
        assert f"Experiment {exp_id} start:" in shown, shown


def test_nnictl_exports_csv_and_json(experiment) -> None:
    exp_id, tmp = experiment.id, experiment.tmp
    experiment.nni3.nnictl_batch(["experiment", "export", exp_id, "--filename", tmp / "out.csv", "--type", "csv"],
                                 ["experiment", "export", exp_id, "--filename", tmp / "out.json", "--type", "json"])
    with open(tmp / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    stored = {t.trial_job_id: t for t in experiment.trials() if t.final_metric is not None}
    assert len(rows) == len(stored) == 3
    for row in rows:
        trial = stored[row["trialJobId"]]
        assert float(row["x"]) == trial.parameters["x"]
        assert float(row["default"]) == trial.final_metric["default"] and float(row["loss"]) == trial.final_metric["loss"]

    exported = json.loads((tmp / "out.json").read_text())
    assert all(isinstance(e["value"], str) for e in exported)  # NNI's shape: the metric's JSON text
    assert {e["trialJobId"]: json.loads(e["value"]) for e in exported} == _finals(experiment)
    assert {e["trialJobId"]: e["parameter"] for e in exported} == {i: t.parameters for i, t in stored.items()}


def test_nnictl_updates_kills_and_extends_a_done_experiment(experiment) -> None:
    exp_id = experiment.id
    space = {"x": {"_type": "uniform", "_value": [0, 0.5]}}
    (experiment.tmp / "space.json").write_text(json.dumps(space))
    outputs = experiment.nni3.nnictl_batch(["update", "concurrency", exp_id, "--value", "3"],
                                           ["update", "duration", exp_id, "--value", "2h"],
                                           ["update", "searchspace", exp_id, "--filename", experiment.tmp / "space.json"])
    assert all("success" in out for out in outputs), outputs
    profile = experiment.profile()
    assert profile.limits["trialConcurrency"] == 3 and profile.limits["maxExperimentDuration"] == 7200
    assert profile.search_space == space

    running = next(t for t in experiment.trials() if t.status == "RUNNING")
    experiment.nni3.nnictl("trial", "kill", exp_id, "--trial_id", running.trial_job_id)
    _wait_done_with(experiment, 4)
    assert experiment.reader().trial(running.trial_job_id).status == "USER_CANCELED"
    wait_until(lambda: experiment.registry()[exp_id]["status"] == "DONE", 10, "the registry to say DONE")

    # "it finished, give it 2 more": the manager is still up and runs the tuner on from where it was
    assert "success" in experiment.nni3.nnictl("update", "trialnum", exp_id, "--value", "6").stdout
    _wait_done_with(experiment, 6)
    trials = experiment.trials()
    assert [t.parameter_id for t in trials] == list(range(6))
    assert all(t.parameters["x"] <= 0.5 for t in trials[4:])  # drawn from the updated space
    assert experiment.profile().end_time is not None


def test_python_client_reads_updates_and_extends(experiment) -> None:
    stored = experiment.trials()
    out = experiment.nni3.python(f"""
import json
from nni.experiment import Experiment
e = Experiment.connect({experiment.port})
metrics = e.get_job_metrics()
result = {{
    "status": e.get_status(),
    "jobs": [[j.trialJobId, j.status, j.sequenceId] for j in e.list_trial_jobs()],
    "finals": {{k: [m.data for m in v if m.type == "FINAL"] for k, v in metrics.items()}},
    "periodical": {{k: len([m for m in v if m.type == "PERIODICAL"]) for k, v in metrics.items()}},
    "one": [m.data for m in e.get_job_metrics("{stored[0].trial_job_id}")["{stored[0].trial_job_id}"]],
    "statistics": sorted((s["trialJobStatus"], s["trialJobNumber"]) for s in e.get_job_statistics()),
    "export": {{r.trialJobId: r.value for r in e.export_data()}},
    "profile": e.get_experiment_profile()["id"],
}}
e.update_trial_concurrency(1)
e.update_max_experiment_duration("3h")
e.update_search_space({{"x": {{"_type": "uniform", "_value": [0.5, 1]}}}})
e.update_max_trial_number(7)
print("RESULT" + json.dumps(result))
""").stdout
    result = json.loads(out.split("RESULT", 1)[1])
    finals = {t.trial_job_id: t.final_metric for t in stored if t.final_metric is not None}
    assert result["status"] == "DONE" and result["profile"] == experiment.id
    assert result["jobs"] == [[t.trial_job_id, t.status, t.sequence_id] for t in stored]
    assert {k: v[0] for k, v in result["finals"].items() if v} == finals
    assert all(n == 3 for n in result["periodical"].values())
    assert result["one"][-1] == finals[stored[0].trial_job_id]
    assert result["statistics"] == [["SUCCEEDED", 5], ["USER_CANCELED", 1]]
    assert result["export"] == finals

    _wait_done_with(experiment, 7)
    profile = experiment.profile()
    assert profile.limits["trialConcurrency"] == 1 and profile.limits["maxExperimentDuration"] == 3 * 3600
    assert experiment.trials()[6].parameters["x"] >= 0.5


def test_kill_9_of_an_extended_experiment_then_resume_loses_nothing(experiment) -> None:
    before = [(t.trial_job_id, t.status, t.parameter_id, t.final_metric) for t in experiment.trials()]
    experiment.kill_9()
    experiment.run("resume", experiment.id, "--port", experiment.port)
    assert experiment.status() == "DONE"
    assert [(t.trial_job_id, t.status, t.parameter_id, t.final_metric) for t in experiment.trials()] == before
    experiment.nni3.python(f"""
from nni.experiment import Experiment
Experiment.connect({experiment.port}).update_max_trial_number(8)
""")
    _wait_done_with(experiment, 8)
    assert [t.parameter_id for t in experiment.trials()] == list(range(8))


def test_python_client_and_nnictl_stop(experiment) -> None:
    pid = experiment.pid()
    experiment.nni3.python(f"""
from nni.experiment import Experiment
Experiment.connect({experiment.port}).stop()
""")
    assert not pid_alive(pid)
    experiment.run("resume", experiment.id, "--port", experiment.port)
    pid = experiment.pid()
    assert "Stop experiment success" in experiment.nni3.nnictl("stop", experiment.id).stdout
    wait_until(lambda: not pid_alive(pid), 30, "NNI 3.0's nnictl stop to end the manager process")
    assert len(experiment.trials()) == 8
