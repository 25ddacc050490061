"""Real experiments through nnictl: v2 and v1 configs, concurrency, limits, failing trials, kill, stop,
export, view of a copied folder."""

from __future__ import annotations

import csv
import json
import shutil
import time

import pytest

from nni.testing import free_port, max_overlap, pid_alive, port_free, wait_until

pytestmark = pytest.mark.slow


def test_v2_config_runs_to_done_then_stop_export_and_view_copy(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=5,
                        searchSpace={"x": {"_type": "uniform", "_value": [0, 1]},
                                     "sleep": {"_type": "choice", "_value": [0.6]}})
    exp_id = e2e.create(config, port)
    assert len(exp_id) == 8 and exp_id.isalnum() and exp_id.islower() or exp_id.isdigit()
    assert e2e.wait_status(port, ("DONE",)) == "DONE"
    jobs = e2e.rest(port, "/trial-jobs")
    assert len(jobs) == 5 and {j["status"] for j in jobs} == {"SUCCEEDED"}
    assert sorted(j["sequenceId"] for j in jobs) == [0, 1, 2, 3, 4]
    metrics = e2e.rest(port, "/metric-data")
    assert len([m for m in metrics if m["type"] == "PERIODICAL"]) == 10
    finals = [json.loads(json.loads(m["data"])) for m in metrics if m["type"] == "FINAL"]
    assert len(finals) == 5 and all(set(f) == {"default", "other"} for f in finals)
    # concurrency 2: never more than two trial processes at once, and two did run together
    ended = {r["trial"]: r["end"] for r in e2e.records("ended.jsonl")}
    assert max_overlap((r["start"], ended.get(r["trial"])) for r in e2e.records()) == 2
    # detached: still serving after DONE, until stopped; then no process, port free
    pid = e2e.registry()[exp_id]["pid"]
    assert pid_alive(pid)
    e2e.nnictl("stop", exp_id)
    assert not pid_alive(pid) and port_free(port)
    assert not any(pid_alive(r["pid"]) for r in e2e.records())
    listed = json.loads(e2e.nnictl("experiment", "list", "--all", "--json").stdout)
    assert [(e["id"], e["status"]) for e in listed] == [(exp_id, "DONE")]
    # export works on the stopped experiment straight from its store
    e2e.nnictl("experiment", "export", exp_id, "-f", e2e.tmp / "out.csv", "-t", "csv")
    assert len(list(csv.DictReader((e2e.tmp / "out.csv").open()))) == 5
    e2e.nnictl("experiment", "export", exp_id, "-f", e2e.tmp / "out.json", "-t", "json")
    assert len(json.loads((e2e.tmp / "out.json").read_text())) == 5
    # the folder copied elsewhere (another machine) opens with nnictl view --experiment_dir
    copy_root = e2e.tmp / "elsewhere"
    shutil.copytree(e2e.home / exp_id, copy_root / exp_id)
    shutil.rmtree(e2e.home / exp_id)
    view_port = free_port()
    e2e.nnictl("view", exp_id, "--experiment_dir", copy_root, "--port", view_port)
    viewed = e2e.rest(view_port, "/trial-jobs")
    assert sorted(j["id"] for j in viewed) == sorted(j["id"] for j in jobs)
    some = viewed[0]["id"]
    import httpx

    answer = httpx.get(f"http://127.0.0.1:{view_port}/api/v1/nni/trial-file/{some}/stdout", trust_env=False)
    assert answer.status_code == 200 and f"trial {some} params" in answer.text  # the copied folder's log
    e2e.nnictl("stop", exp_id)
    assert port_free(view_port)


def test_v1_config_and_a_failing_trial(e2e, port) -> None:
    (e2e.tmp / "space.json").write_text(json.dumps({"x": {"_type": "uniform", "_value": [0, 1]}}))
    config = e2e.tmp / "v1.yml"
    config.write_text(
        "authorName: e2e\nexperimentName: e2e-v1\ntrialConcurrency: 2\nmaxExecDuration: 5m\nmaxTrialNum: 4\n"
        "trainingServicePlatform: local\nsearchSpacePath: space.json\nuseAnnotation: false\n"
        "tuner:\n  builtinTunerName: Random\n  classArgs:\n    seed: 3\n"
        f"trial:\n  command: python3 trial.py\n  codeDir: {e2e.code}\n  gpuNum: 0\n"
    )
    exp_id = e2e.create(config, port, env={"E2E_FAIL_SEQ": "1"})  # the second trial exits with code 3
    assert e2e.wait_status(port, ("DONE",)) == "DONE"
    jobs = e2e.rest(port, "/trial-jobs")
    assert len(jobs) == 4
    for job in jobs:  # the experiment went on after the failure
        fail = job["sequenceId"] == 1
        assert job["status"] == ("FAILED" if fail else "SUCCEEDED"), job
        assert bool(job.get("finalMetricData")) != fail
    profile = e2e.rest(port, "/experiment")
    assert profile["params"]["experimentName"] == "e2e-v1"
    e2e.nnictl("stop", exp_id)


def test_kill_a_trial_and_trial_duration_limit(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=2, maxTrialDuration="10s")
    exp_id = e2e.create(config, port, env={"E2E_SLEEP": "60"})
    two = wait_until(lambda: len(e2e.records()) == 2 and e2e.records(), what="two running trials")
    victim = two[0]["trial"]
    e2e.nnictl("trial", "kill", exp_id, "--trial_id", victim)
    wait_until(lambda: e2e.rest(port, f"/trial-jobs/{victim}")["status"] == "USER_CANCELED", what="kill")
    assert wait_until(lambda: not pid_alive(two[0]["pid"]), timeout=10, what="killed process gone")
    # the other one runs past maxTrialDuration (10s) and is cancelled by the manager
    other = two[1]["trial"]
    wait_until(lambda: e2e.rest(port, f"/trial-jobs/{other}")["status"] not in ("RUNNING", "WAITING"), timeout=30,
                 what="maxTrialDuration")
    assert e2e.rest(port, f"/trial-jobs/{other}")["status"] in ("SYS_CANCELED", "USER_CANCELED", "EARLY_STOPPED")
    assert wait_until(lambda: not pid_alive(two[1]["pid"]), timeout=10, what="limited process gone")
    assert e2e.wait_status(port, ("DONE",)) == "DONE"
    e2e.nnictl("stop", exp_id)


def test_stop_while_running_leaves_no_process(e2e, port) -> None:
    config = e2e.config(trialConcurrency=2, maxTrialNumber=10)
    exp_id = e2e.create(config, port, env={"E2E_SLEEP": "60"})
    running = wait_until(lambda: len(e2e.records()) == 2 and e2e.records(), what="two trials")
    # live changes through nnictl update go to the running manager
    e2e.nnictl("update", "concurrency", exp_id, "--value", 1)
    e2e.nnictl("update", "trialnum", exp_id, "--value", 3)
    e2e.nnictl("update", "duration", exp_id, "--value", "1h")
    params = e2e.rest(port, "/experiment")["params"]
    assert params["trialConcurrency"] == 1 and params["maxTrialNumber"] == 3
    # the other commands that talk to a running experiment
    assert e2e.nnictl("webui", "url", exp_id).stdout.strip() == f"http://127.0.0.1:{port}"
    assert exp_id in e2e.nnictl("top", "--once").stdout
    assert "RUNNING" in e2e.nnictl("experiment", "status").stdout  # the only running experiment
    (e2e.tmp / "old.json").write_text(json.dumps([{"parameter": {"x": 0.3}, "value": 0.1}]))
    assert "Imported 1" in e2e.nnictl("experiment", "import", exp_id, "-f", e2e.tmp / "old.json").stdout
    assert e2e.nnictl("log", "stdout", exp_id, "--path").stdout.strip().endswith("log/nnimanager.log")
    assert "nni.manager" in e2e.nnictl("log", "stdout", exp_id).stdout
    manager_pid = e2e.registry()[exp_id]["pid"]
    started = time.monotonic()
    e2e.nnictl("stop", exp_id)
    assert time.monotonic() - started < 30
    assert not pid_alive(manager_pid)
    assert not any(pid_alive(r["pid"]) for r in running)
    assert port_free(port)
    jobs = json.loads(e2e.nnictl("trial", "ls", exp_id, "--json").stdout)
    assert all(j["status"] != "RUNNING" for j in jobs)
    assert e2e.registry()[exp_id]["status"] == "STOPPED"


def test_port_busy_is_one_clear_line(e2e, port) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        result = e2e.nnictl("create", "--config", e2e.config(), "--port", port, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("ERROR: ") and str(port) in result.stderr and result.stderr.count("\n") == 1


def test_bad_config_is_refused_before_anything_starts(e2e, port) -> None:
    config = e2e.config(trialConcurency=2)
    result = e2e.nnictl("create", "--config", config, "--port", port, check=False)
    assert result.returncode == 1 and "trialConcurency" in result.stderr and "Traceback" not in result.stderr
    assert not e2e.home.exists() or not any(p for p in e2e.home.iterdir() if not p.name.startswith("."))


def test_tuner_exception_puts_the_experiment_in_error_with_its_traceback(e2e, port) -> None:
    (e2e.code / "bad_tuner.py").write_text(
        "from nni.tuner import Tuner\n\n"
        "class BadTuner(Tuner):\n"
        "    def update_search_space(self, search_space):\n"
        "        pass\n\n"
        "    def generate_parameters(self, parameter_id, **kwargs):\n"
        "        return 1 / 0  # a bug in the user's tuner\n\n"
        "    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):\n"
        "        pass\n"
    )
    config = e2e.config(tuner={"className": "bad_tuner.BadTuner", "codeDirectory": str(e2e.code)})
    created = e2e.nnictl("create", "--config", config, "--port", port, check=False)
    exp_id = created.stdout.split("The experiment id is ")[1].split()[0]
    if created.returncode:  # it failed before create returned: one error line, exit 1
        assert created.returncode == 1 and "ZeroDivisionError" in created.stderr, created.stderr
    assert e2e.wait_status(port, ("ERROR",)) == "ERROR"
    status = e2e.rest(port, "/check-status")
    assert status["errors"] and "ZeroDivisionError" in " ".join(status["errors"]) + str(status)
    out = e2e.nnictl("experiment", "status", exp_id).stdout
    assert "ERROR" in out and "bad_tuner.py" in out and "ZeroDivisionError" in out
    assert "ZeroDivisionError" in (e2e.home / exp_id / "log" / "nnimanager.log").read_text()
    e2e.nnictl("stop", exp_id)


def test_use_annotation_generates_the_space_and_runs_an_instrumented_copy(e2e, port) -> None:
    annotated = e2e.tmp / "annotated"
    annotated.mkdir()
    source = (
        "import nni\n\n"
        "'''@nni.variable(nni.uniform(0.1, 0.9), name=x)'''\n"
        "x = 0.5\n"
        "'''@nni.report_intermediate_result(x / 2)'''\n"
        "'''@nni.report_final_result(x)'''\n"
    )
    (annotated / "main.py").write_text(source)
    config = e2e.config(searchSpace=None, useAnnotation=True, trialCommand="python3 main.py",
                        trialCodeDirectory=str(annotated), maxTrialNumber=2)
    exp_id = e2e.create(config, port)
    assert e2e.wait_status(port, ("DONE",)) == "DONE"
    jobs = e2e.rest(port, "/trial-jobs")
    assert len(jobs) == 2 and {j["status"] for j in jobs} == {"SUCCEEDED"}
    space = e2e.rest(port, "/experiment")["params"]["searchSpace"]
    (key,) = space  # NNI's generated name: <module>/<variable>/<sampler>
    assert key.split("/")[1:] == ["x", "uniform"]
    for job in jobs:
        x = json.loads(job["hyperParameters"][0])["parameters"][key]
        assert 0.1 <= x <= 0.9
        assert json.loads(json.loads(job["finalMetricData"][0]["data"])) == x
    assert (annotated / "main.py").read_text() == source  # the user's file is never written
    e2e.nnictl("stop", exp_id)
