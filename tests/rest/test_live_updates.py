"""The REST lists follow a store that is still being written (the cached trial JSON is refreshed)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from nni.rest import create_app, decode_metric_data
from nni.storage import ExperimentStore, NewMetric, StoreReader

API = "/api/v1/nni"


def test_trial_jobs_and_metrics_follow_new_writes(tmp_path) -> None:
    store = ExperimentStore(tmp_path)
    reader = StoreReader(tmp_path)
    try:
        store.init_profile("live0001", "live", {"trialConcurrency": 1}, {}, {"trialConcurrency": 1}, status="RUNNING")
        client = TestClient(create_app(experiment_dir=tmp_path, store_reader=reader, control=None))
        assert client.get(f"{API}/trial-jobs").json() == []
        assert client.get(f"{API}/metric-data").json() == []
        store.add_trial_event("aaaaa", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {"x": 1}})
        assert [j["status"] for j in client.get(f"{API}/trial-jobs").json()] == ["WAITING"]
        store.add_trial_event("aaaaa", "RUNNING", {"handle": {}})
        store.add_trial_event("bbbbb", "CREATED", {"sequence_id": 1, "parameter_id": 1, "parameters": {"x": 2}})
        jobs = client.get(f"{API}/trial-jobs").json()
        assert [(j["id"], j["status"]) for j in jobs] == [("aaaaa", "RUNNING"), ("bbbbb", "WAITING")]
        assert [j["id"] for j in client.get(f"{API}/trial-jobs", params={"status": "WAITING"}).json()] == ["bbbbb"]
        store.add_metrics([NewMetric("aaaaa", 0, "PERIODICAL", i, i / 10, 1.0 + i, i + 1) for i in range(5)]
                          + [NewMetric("aaaaa", 0, "FINAL", 0, {"default": 0.5, "f1": 0.4}, 9.0, 6)])
        store.add_trial_event("aaaaa", "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
        jobs = client.get(f"{API}/trial-jobs").json()
        assert jobs[0]["status"] == "SUCCEEDED"
        assert decode_metric_data(jobs[0]["finalMetricData"][0]["data"]) == {"default": 0.5, "f1": 0.4}
        metrics = client.get(f"{API}/metric-data").json()
        assert [(m["type"], m["sequence"]) for m in metrics] == [("PERIODICAL", i) for i in range(5)] + [("FINAL", 0)]
        assert [decode_metric_data(m["data"]) for m in metrics[:5]] == [0.0, 0.1, 0.2, 0.3, 0.4]
    finally:
        reader.close()
        store.close()


def test_metric_data_streams_in_pages(tmp_path) -> None:
    store = ExperimentStore(tmp_path)
    try:
        store.init_profile("page0001", "p", {}, {}, {}, status="RUNNING")
        store.add_trial_event("aaaaa", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {}})
        store.add_metrics([NewMetric("aaaaa", 0, "PERIODICAL", i, i, 1.0, i + 1) for i in range(7)])
    finally:
        store.close()
    with StoreReader(tmp_path) as reader:
        assert [len(rows) for rows in reader.metric_pages(page=3)] == [3, 3, 1]
        assert [len(rows) for rows in reader.metric_pages(page=7)] == [7]
        client = TestClient(create_app(experiment_dir=tmp_path, store_reader=reader, control=None))
        assert [m["sequence"] for m in client.get(f"{API}/metric-data").json()] == list(range(7))
