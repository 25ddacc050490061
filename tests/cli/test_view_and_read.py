"""nnictl on stopped experiments: view a copied folder (a real server process), read its store directly."""

from __future__ import annotations

import csv
import json
import os

import httpx
import pytest

from nni.launcher import Registry, entry_folder
from nni.testing import pid_alive, port_free, wait_until

from .conftest import EXP_ID  # the id of the stored experiment


@pytest.mark.slow
def test_view_copied_folder_then_stop(nnictl, stored, home, port) -> None:
    out = nnictl("view", EXP_ID, "--experiment_dir", stored.parent, "--port", port).stdout
    assert f"http://127.0.0.1:{port}" in out
    entry = Registry().get(EXP_ID)
    pid = entry["pid"]
    # NNI 3.0's registry layout: logDir is the folder holding <id>/
    assert entry["logDir"] == str(stored.parent) and entry_folder(entry) == stored and os.path.exists(f"/proc/{pid}")
    assert entry["webuiUrl"] == [f"http://127.0.0.1:{port}"] and entry["prefixUrl"] is None
    base = f"http://127.0.0.1:{port}/api/v1/nni"
    assert httpx.get(f"{base}/check-status").json()["status"] == "VIEWED"
    jobs = httpx.get(f"{base}/trial-jobs").json()
    assert [j["id"] for j in jobs] == ["aaaaa", "bbbbb", "ccccc"]
    assert httpx.get(f"{base}/trial-file/aaaaa/stdout").text == "hello from aaaaa\n"
    refused = httpx.delete(f"{base}/trial-jobs/bbbbb")
    assert refused.status_code == 409
    # a second server on the same port: one clear line, non-zero exit
    busy = nnictl("view", EXP_ID, "--experiment_dir", stored.parent, "--port", port, check=False)
    assert busy.returncode != 0 and busy.stderr.startswith("ERROR: ") and busy.stderr.count("\n") == 1
    nnictl("stop", EXP_ID)
    wait_until(lambda: not pid_alive(pid), 5, f"the view server (pid {pid}) to exit")
    assert port_free(port)
    assert Registry().get(EXP_ID)["status"] == "DONE"


def test_trial_ls_reads_the_store(nnictl, stored) -> None:
    Registry().add(EXP_ID, {"logDir": str(stored), "status": "DONE", "port": 8080, "pid": None})
    jobs = json.loads(nnictl("trial", "ls", EXP_ID, "--json").stdout)
    assert [j["status"] for j in jobs] == ["SUCCEEDED", "WAITING", "WAITING"]
    assert jobs[1]["message"] == "no free GPU: needs 1, 0 free"
    table = nnictl("trial", "ls", EXP_ID).stdout
    assert "no free GPU" in table and "0.75" in table and "waiting for a free trial slot" in table
    tail = json.loads(nnictl("trial", "ls", EXP_ID, "--json", "--tail", "1").stdout)
    assert [j["id"] for j in tail] == ["ccccc"]
    head = json.loads(nnictl("trial", "ls", EXP_ID, "--json", "--head", "1").stdout)
    assert [j["id"] for j in head] == ["aaaaa"] and head[0]["finalMetricData"]


def test_export_without_a_server(nnictl, stored, tmp_path) -> None:
    Registry().add(EXP_ID, {"logDir": str(stored), "status": "DONE", "port": 8080, "pid": None})
    nnictl("experiment", "export", EXP_ID, "-f", tmp_path / "out.csv", "-t", "csv")
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [(r["trialJobId"], r["status"], r["default"], r["loss"]) for r in rows] == [
        ("aaaaa", "SUCCEEDED", "0.75", "1.5"), ("bbbbb", "WAITING", "", ""), ("ccccc", "WAITING", "", "")]
    nnictl("experiment", "export", EXP_ID, "-f", tmp_path / "out.json", "-t", "json")
    data = json.loads((tmp_path / "out.json").read_text())
    assert [(d["trial_job_id"], d["final_metric"]) for d in data] == [
        ("aaaaa", {"default": 0.75, "loss": 1.5}), ("bbbbb", None), ("ccccc", None)]


def test_status_shows_error_and_traceback(nnictl, tmp_path, make_store) -> None:
    folder = tmp_path / "failed" / EXP_ID
    folder.mkdir(parents=True)
    make_store(folder, status="ERROR", error="tuner failed: ZeroDivisionError",
               traceback="Traceback (most recent call last):\n  File \"my_tuner.py\", line 3\nZeroDivisionError")
    Registry().add(EXP_ID, {"logDir": str(folder), "status": "ERROR", "port": 8080, "pid": None})
    out = nnictl("experiment", "status", EXP_ID).stdout
    assert "ERROR" in out and "tuner failed" in out and "my_tuner.py" in out
    data = json.loads(nnictl("experiment", "status", EXP_ID, "--json").stdout)
    assert data["status"] == "ERROR" and "ZeroDivisionError" in data["traceback"]


def test_list_show_config_and_delete(nnictl, stored) -> None:
    Registry().add(EXP_ID, {"logDir": str(stored), "status": "DONE", "port": 8080, "pid": None,
                            "experimentName": "cli-test"})
    assert "No experiment is running" in nnictl("experiment", "list").stdout
    listed = json.loads(nnictl("experiment", "list", "--all", "--json").stdout)
    assert [e["id"] for e in listed] == [EXP_ID]
    profile = json.loads(nnictl("experiment", "show", EXP_ID).stdout)
    assert profile["id"] == EXP_ID and profile["params"]["trialConcurrency"] == 1
    assert "experimentName: cli-test" in nnictl("config", "show", EXP_ID).stdout
    nnictl("experiment", "delete", EXP_ID, "--yes")
    assert not stored.exists() and Registry().get(EXP_ID) is None


def test_errors_are_one_line(nnictl, home) -> None:
    for args in (("trial", "ls", "nosuch12"), ("stop",), ("experiment", "export", "nosuch12", "-f", "x", "-t", "csv"),
                 ("update", "concurrency", "nosuch12", "-v", "2")):
        result = nnictl(*args, check=False)
        assert result.returncode == 1, args
        assert result.stderr.startswith("ERROR: ") and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_log_trial_and_algo_commands(nnictl, stored, tmp_path) -> None:
    Registry().add(EXP_ID, {"logDir": str(stored), "status": "DONE", "port": 8080, "pid": None})
    assert nnictl("log", "trial", EXP_ID, "-T", "aaaaa").stdout == "hello from aaaaa\n"
    assert nnictl("log", "trial", EXP_ID, "-T", "aaaaa", "--path").stdout.strip() == str(stored / "trials" / "aaaaa")
    names = {a["builtinName"] for a in json.loads(nnictl("algo", "list", "--json").stdout)}
    assert {"TPE", "Random", "Medianstop"} <= names
    (tmp_path / "my_tuner.py").write_text("from nni.tuner import Tuner\nclass MyTuner(Tuner):\n    pass\n")
    meta = tmp_path / "meta.yml"
    meta.write_text("algoType: tuner\nbuiltinName: MyTuner\nclassName: my_tuner.MyTuner\n")
    nnictl.env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    nnictl("algo", "register", "--meta", meta)
    assert "MyTuner" in nnictl("algo", "list").stdout
    again = nnictl("algo", "register", "--meta", meta, check=False)
    assert again.returncode == 1 and "already" in again.stderr
    nnictl("algo", "unregister", "MyTuner")
    assert "MyTuner" not in nnictl("algo", "list").stdout
