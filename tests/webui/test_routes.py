"""The web UI's routes over a real store (written with the store's writer API), through ``nni.launcher.experiment_app`` (NNI's REST API with the web UI)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nni.launcher import experiment_app
from nni.storage import NewMetric, open_reader, open_store

UI = "/api/v1/nni/webui"


@pytest.fixture(scope="module")
def client(demo_store: tuple[Path, dict[str, Any]]) -> TestClient:
    folder, _ = demo_store
    return TestClient(experiment_app(experiment_dir=folder, store_reader=open_reader(folder), control=None))


def _default(value: Any) -> Any:
    return value["default"] if isinstance(value, dict) else value


def test_summary_matches_the_store(client: TestClient, demo_store) -> None:
    folder, _ = demo_store
    data = client.get(f"{UI}/summary").json()
    with open_reader(folder) as r:
        trials = r.trials()
        counts = r.status_counts()
        profile = r.profile()
    assert data["experiment"]["id"] == profile.experiment_id
    assert data["counts"] == counts
    assert data["total"] == len(trials)
    assert data["done"] == sum(t.finished for t in trials)
    best = max((t for t in trials if t.final_metric is not None), key=lambda t: _default(t.final_metric))
    top = data["top"]
    assert top["rows"][0][top["columns"].index("id")] == best.trial_job_id
    assert data["experiment"]["maxTrials"] == profile.limits["maxTrialNumber"]
    assert data["experiment"]["searchSpace"] == profile.search_space
    assert data["readOnly"] is True


def test_pages_cover_every_trial_once(client: TestClient, demo_store) -> None:
    folder, _ = demo_store
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get(f"{UI}/trials", params={"offset": offset, "limit": 25, "sort": "default", "order": "desc",
                                                  "columns": "id,default"}).json()
        if not page["rows"]:
            break
        seen += [row[0] for row in page["rows"]]
        offset += 25
    with open_reader(folder) as r:
        trials = r.trials()
    assert sorted(seen) == sorted(t.trial_job_id for t in trials)
    metrics = [_default(t.final_metric) for t in sorted(trials, key=lambda t: seen.index(t.trial_job_id))
               if t.final_metric is not None]
    assert metrics == sorted(metrics, reverse=True)


def test_bad_query_says_what_to_do(client: TestClient) -> None:
    res = client.get(f"{UI}/trials", params={"filter": "default >"})
    assert res.status_code == 400 and "cannot read filter 'default >'" in res.json()["error"]
    res = client.get(f"{UI}/trials", params={"filter": "bogus < 1"})
    assert res.status_code == 404 and "unknown column 'bogus'" in res.json()["error"]
    res = client.get(f"{UI}/trials", params={"order": "sideways"})
    assert res.status_code == 422 and "order must be one of asc or desc, got 'sideways'" in res.json()["error"]


def test_file_views_cannot_leave_the_trial_folder(client: TestClient, demo_store) -> None:
    folder, written = demo_store
    tid = next(iter(written["trials"]))
    ok = client.get(f"{UI}/trial/{tid}/file", params={"path": "stdout"})
    assert ok.status_code == 200 and f"trial {tid} stdout" in ok.text
    for bad in ("../../db/nni.sqlite", "/etc/passwd", "../" + tid + "/../../db/nni.sqlite"):
        res = client.get(f"{UI}/trial/{tid}/file", params={"path": bad})
        assert res.status_code == 403, bad
        assert "outside the trial's folder" in res.json()["error"]
    (folder / "outside.txt").write_text("secret")
    (folder / "trials" / tid / "link").symlink_to(folder / "outside.txt")
    assert client.get(f"{UI}/trial/{tid}/file", params={"path": "link"}).status_code == 403
    assert client.get(f"{UI}/trial/nosuch/file", params={"path": "stdout"}).status_code == 404


def test_export_csv_and_json_follow_the_filter(client: TestClient, demo_store) -> None:
    folder, _ = demo_store
    text = client.get(f"{UI}/export", params={"format": "csv", "status": "FAILED"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    with open_reader(folder) as r:
        failed = {t.trial_job_id for t in r.trials(status="FAILED")}
    assert {row["id"] for row in rows} == failed and failed
    assert "lr" in rows[0] and "optimizer/_name" in rows[0]
    items = client.get(f"{UI}/export", params={"format": "json"}).json()
    assert all("parameters" in i and "trialJobId" in i for i in items)


def test_updates_since_a_revision_return_only_changes(tmp_path: Path) -> None:
    from nni.testing.demo_store import fill_store

    fill_store(tmp_path, trials=30, intermediates=3, running=2, waiting=0, failed=0)
    client = TestClient(experiment_app(experiment_dir=tmp_path, store_reader=open_reader(tmp_path), control=None))
    first = client.get(f"{UI}/summary").json()
    assert client.get(f"{UI}/updates", params={"since": first["revision"]}).json()["changed"] == 0
    running = [t for t in open_reader(tmp_path).trials(status="RUNNING")]
    store = open_store(tmp_path)
    try:
        tid = running[0].trial_job_id
        store.add_metrics([NewMetric(tid, running[0].parameter_id, "FINAL", 0, 0.99, 0.0, 10_000)])
        store.add_trial_event(tid, "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
    finally:
        store.close()
    import time

    time.sleep(0.4)  # the table refreshes at most every 0.3 s
    upd = client.get(f"{UI}/updates", params={"since": first["revision"]}).json()
    assert upd["changed"] == 1 and not upd["reload"]
    row = dict(zip(upd["columns"], upd["rows"][0], strict=True))
    assert row["id"] == tid and row["status"] == "SUCCEEDED" and row["default"] == 0.99
    assert upd["summary"]["top"]["rows"][0][0] == tid


def test_importance_is_cached_and_ranks_lr_first(client: TestClient) -> None:
    first = client.get(f"{UI}/importance").json()
    assert first["params"][0] == "lr"  # the demo metric depends mostly on lr
    assert client.get(f"{UI}/importance").json() == first


def test_page_and_plotly_are_served_locally(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200 and 'src="static/js/app.js"' in index.text
    assert "cdn" not in index.text.lower()
    js = client.get("/webui-vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert client.get("/static/js/pages/overview.js").status_code == 200


def test_an_experiment_error_is_shown_with_its_traceback(tmp_path: Path) -> None:
    from nni.testing.demo_store import fill_store

    fill_store(tmp_path, trials=5, intermediates=2, running=0, waiting=0, failed=0)
    store = open_store(tmp_path)
    try:
        store.set_status("ERROR", error="tuner failed: ZeroDivisionError", traceback="Traceback ...\nZeroDivisionError",
                         end_time=store.profile().start_time + 90)
    finally:
        store.close()
    client = TestClient(experiment_app(experiment_dir=tmp_path, store_reader=open_reader(tmp_path), control=None))
    exp = client.get(f"{UI}/summary").json()["experiment"]
    assert exp["status"] == "ERROR"
    assert "tuner failed: ZeroDivisionError" in exp["error"] and "Traceback" in exp["error"]
    assert exp["elapsed"] == pytest.approx(90)


def test_another_experiment_must_be_a_known_id(client: TestClient, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path))
    res = client.get(f"{UI}/summary", params={"exp": "../../etc"})
    assert res.status_code == 422 and "exp" in res.json()["error"] and "../../etc" in res.json()["error"]
    res = client.get(f"{UI}/summary", params={"exp": "zzzzzzzz"})
    assert res.status_code == 404 and "zzzzzzzz" in res.json()["error"]
