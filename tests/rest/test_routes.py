"""Every REST route against a real store with a known history: NNI's paths, field names and shapes."""

from __future__ import annotations

import json

from nni.manager.commands import (
    AddCustomizedTrial,
    ImportData,
    KillTrial,
    StopExperiment,
    UpdateConcurrency,
    UpdateMaxDuration,
    UpdateMaxTrialNumber,
    UpdateSearchSpace,
)
from nni.rest import decode_metric_data

API = "/api/v1/nni"


def test_version_and_check_status(client) -> None:
    assert client.get(f"{API}/version").json() == __import__("nni").__version__
    assert client.get(f"{API}/check-status").json() == {"status": "RUNNING", "errors": []}


def test_experiment_profile_shape_and_redaction(client) -> None:
    body = client.get(f"{API}/experiment").json()
    assert set(body) == {"id", "revision", "execDuration", "logDir", "nextSequenceId", "params", "startTime",
                         "endTime", "maxSequenceId"}
    assert body["id"] == "abcd1234"
    assert body["startTime"] == 1_700_000_000_000
    assert body["nextSequenceId"] == 4
    assert body["params"]["trialConcurrency"] == 2
    assert body["params"]["searchSpace"] == {"x": {"_type": "uniform", "_value": [0, 1]}}
    assert body["params"]["trainingService"]["machineList"][0]["password"] == "***"
    assert "hunter2" not in json.dumps(body)


def test_trial_jobs_shape(client) -> None:
    jobs = client.get(f"{API}/trial-jobs").json()
    assert [j["id"] for j in jobs] == ["aaaaa", "bbbbb", "ccccc", "ddddd"]
    first = jobs[0]
    for key in ("id", "status", "hyperParameters", "logPath", "startTime", "endTime", "sequenceId",
                "finalMetricData", "message"):
        assert key in first
    assert first["status"] == "SUCCEEDED"
    hp = json.loads(first["hyperParameters"][0])
    assert hp == {"parameter_id": 0, "parameter_source": "algorithm", "parameters": {"x": 0.1}, "parameter_index": 0}
    final = first["finalMetricData"]
    assert len(final) == 1
    assert set(final[0]) == {"timestamp", "trialJobId", "parameterId", "type", "sequence", "data"}
    assert final[0]["type"] == "FINAL" and decode_metric_data(final[0]["data"]) == 0.9
    assert json.loads(json.loads(final[0]["data"])) == 0.9  # NNI's double encoding
    assert jobs[1]["status"] == "FAILED" and jobs[1]["message"] == "exit code 3"
    assert jobs[3]["status"] == "WAITING" and "no free GPU" in jobs[3]["message"]


def test_trial_jobs_filter_and_one(client) -> None:
    assert [j["id"] for j in client.get(f"{API}/trial-jobs", params={"status": "RUNNING"}).json()] == ["ccccc"]
    bad = client.get(f"{API}/trial-jobs", params={"status": "BOGUS"})
    assert bad.status_code == 422 and "status must be one of WAITING" in bad.json()["error"] and "BOGUS" in bad.json()["error"]
    assert client.get(f"{API}/trial-jobs/bbbbb").json()["sequenceId"] == 1
    missing = client.get(f"{API}/trial-jobs/nope1")
    assert missing.status_code == 404 and "nope1" in missing.json()["error"]


def test_job_statistics(client) -> None:
    stats = {s["trialJobStatus"]: s["trialJobNumber"] for s in client.get(f"{API}/job-statistics").json()}
    assert stats == {"SUCCEEDED": 1, "FAILED": 1, "RUNNING": 1, "WAITING": 1}


def test_metric_data_routes(client) -> None:
    all_metrics = client.get(f"{API}/metric-data").json()
    assert len(all_metrics) == 5
    dict_metric = [m for m in all_metrics if m["trialJobId"] == "ccccc"][0]
    assert decode_metric_data(dict_metric["data"]) == {"default": 0.7, "loss": 0.3}
    assert dict_metric["parameterId"] == "2"
    mine = client.get(f"{API}/metric-data/aaaaa").json()
    assert [m["type"] for m in mine] == ["PERIODICAL"] * 3 + ["FINAL"]
    assert [m["sequence"] for m in mine[:3]] == [0, 1, 2]
    latest = client.get(f"{API}/metric-data-latest").json()
    assert {m["trialJobId"]: m["type"] for m in latest} == {"aaaaa": "FINAL", "ccccc": "PERIODICAL"}
    assert client.get(f"{API}/metric-data/zzzzz").status_code == 404


def test_export_data(client) -> None:
    # NNI 3.0 answers value as the metric's JSON text; its clients json.loads it
    assert client.get(f"{API}/export-data").json() == [{"parameter": {"x": 0.1}, "value": "0.9", "trialJobId": "aaaaa"}]


def test_trial_file_only_inside_the_trial_folder(client) -> None:
    ok = client.get(f"{API}/trial-file/aaaaa/stdout")
    assert ok.status_code == 200 and ok.text == "stdout of aaaaa\n"
    assert client.get(f"{API}/trial-file/aaaaa/stderr").status_code == 404
    escaped = client.get(f"{API}/trial-file/aaaaa/..%2F..%2Fsecret.txt")
    assert escaped.status_code in (403, 404)
    assert "not a trial file" not in escaped.text


def test_updates_become_manager_commands(client, control) -> None:
    profile = client.get(f"{API}/experiment").json()
    profile["params"]["trialConcurrency"] = 5
    r = client.put(f"{API}/experiment", params={"update_type": "TRIAL_CONCURRENCY"}, json=profile)
    assert r.status_code == 200, r.text
    client.put(f"{API}/experiment", params={"update_type": "MAX_EXEC_DURATION"},
               json={"params": {"maxExperimentDuration": "2h"}})
    client.put(f"{API}/experiment", params={"update_type": "MAX_TRIAL_NUM"}, json={"params": {"maxTrialNumber": 7}})
    space = {"y": {"_type": "choice", "_value": [1, 2]}}
    client.put(f"{API}/experiment", params={"update_type": "SEARCH_SPACE"}, json={"params": {"searchSpace": space}})
    assert control.commands == [UpdateConcurrency(5), UpdateMaxDuration(7200.0), UpdateMaxTrialNumber(7),
                                UpdateSearchSpace(space)]


def test_bad_updates_are_400_with_a_reason(client, control) -> None:
    r = client.put(f"{API}/experiment", params={"update_type": "COLOR"}, json={})
    assert r.status_code == 422 and "TRIAL_CONCURRENCY" in r.json()["error"] and "COLOR" in r.json()["error"]
    r = client.put(f"{API}/experiment", params={"update_type": "TRIAL_CONCURRENCY"}, json={})
    assert r.status_code == 400 and "params.trialConcurrency" in r.json()["error"]
    r = client.put(f"{API}/experiment", params={"update_type": "TRIAL_CONCURRENCY"}, json={"params": {"trialConcurrency": -1}})
    assert r.status_code == 400 and "-1" in r.json()["error"]
    r = client.put(f"{API}/experiment", params={"update_type": "SEARCH_SPACE"},
                   json={"params": {"searchSpace": {"x": {"_type": "uniform", "_value": [2, 1]}}}})
    assert r.status_code == 400 and "'x'" in r.json()["error"]
    r = client.put(f"{API}/experiment", params={"update_type": "MAX_EXEC_DURATION"}, json={"value": "soon"})
    assert r.status_code == 400 and "soon" in r.json()["error"]
    assert control.commands == []


def test_kill_stop_import_and_customized_trial(client, control) -> None:
    assert client.delete(f"{API}/trial-jobs/ccccc").status_code == 200
    refused = client.delete(f"{API}/trial-jobs/aaaaa")
    assert refused.status_code == 400 and "already ended" in refused.json()["error"]
    assert client.delete(f"{API}/trial-jobs/nope1").status_code == 404
    data = [{"parameter": {"x": 0.5}, "value": 0.3}]
    # what NNI 3.0's export-data gave (the value's JSON text) imports back as the metric
    assert client.post(f"{API}/experiment/import-data", json=[{"parameter": {"x": 0.5}, "value": "0.3"}]).status_code == 200
    assert client.post(f"{API}/experiment/import-data", json={"x": 1}).status_code == 400
    # NNI 3.0 answers {sequenceId}; the trial id comes too (a fake manager: no trial in the store)
    assert client.post(f"{API}/trial-jobs", json={"x": 0.25}).json() == {"sequenceId": None, "trialJobId": "zzzzz"}
    assert client.delete(f"{API}/experiment").status_code == 200
    assert control.commands == [KillTrial("ccccc"), KillTrial("aaaaa"), ImportData(data),
                                AddCustomizedTrial({"x": 0.25}), StopExperiment()]


def test_read_only_view_refuses_changes_with_409(view_client) -> None:
    assert view_client.get(f"{API}/check-status").json()["status"] == "VIEWED"
    for method, path in (("delete", "/experiment"), ("delete", "/trial-jobs/ccccc")):
        r = getattr(view_client, method)(API + path)
        assert r.status_code == 409 and "read-only" in r.json()["error"]
    r = view_client.put(f"{API}/experiment", params={"update_type": "MAX_TRIAL_NUM"}, json={"value": 3})
    assert r.status_code == 409
    assert view_client.get(f"{API}/trial-jobs").status_code == 200


def test_unknown_route_and_validation_errors_are_json(client) -> None:
    r = client.get(f"{API}/no-such-thing")
    assert r.status_code == 404 and "no such route" in r.json()["error"]
    r = client.post(f"{API}/experiment/import-data", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "error" in r.json()


def test_openapi_schema_lists_the_routes(client) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    for path in ("/api/v1/nni/trial-jobs", "/api/v1/nni/metric-data/{trial_job_id}", "/api/v1/nni/experiment"):
        assert path in schema["paths"]


def test_experiments_info_reads_the_registry(client) -> None:
    from nni.launcher import Registry

    Registry().add("abcd1234", {"experimentName": "rest-test", "port": 8080, "status": "RUNNING", "pid": None})
    info = client.get(f"{API}/experiments-info").json()
    assert [e["id"] for e in info] == ["abcd1234"] and info[0]["experimentName"] == "rest-test"


def test_fast_metric_encoding_matches_the_shape() -> None:
    from nni.rest import metric_json
    from nni.rest._shapes import metric_fragment
    from nni.storage import MetricRow

    for row in (MetricRow(1, "aaaaa", 3, "FINAL", 0, {"default": 0.5, "x": [1, 2]}, 1_700_000_000.1234, 0, 1),
                MetricRow(2, "b\"b", None, "PERIODICAL", 7, 2, 1.0, 0, 1),
                MetricRow(3, "c", 1, "FINAL", 0, float("nan"), 2.0, 0, 1)):
        assert json.loads(metric_fragment(row)) == json.loads(json.dumps(metric_json(row)))
