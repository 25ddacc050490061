"""The web UI's result routes over real stores: sampled chart columns, best so far, slices, contour, compare —
each checked against the store read directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nni.launcher import Registry, experiment_app
from nni.storage import open_reader
from nni.testing.demo_store import fill_store

UI = "/api/v1/nni/webui"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, dict[str, float], dict[str, Any]]:
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path / "home"))
    folders = {}
    for exp, seed, trials in (("explore1", 0, 80), ("explore2", 3, 40)):
        folder = tmp_path / "home" / exp
        fill_store(folder, experiment_id=exp, trials=trials, intermediates=2, status="DONE", write_logs=False, seed=seed)
        Registry().add(exp, {"logDir": str(folder), "status": "DONE", "port": 8080, "pid": None})
        folders[exp] = folder
    reader = open_reader(folders["explore1"])
    trials = {t.trial_job_id: t for t in reader.trials()}
    finals = {tid: t.final_metric["default"] for tid, t in trials.items() if t.final_metric is not None}
    client = TestClient(experiment_app(experiment_dir=folders["explore1"], store_reader=reader, control=None))
    yield client, finals, trials
    reader.close()


def test_chart_columns_sample_beyond_max_points_and_keep_the_best(served) -> None:
    client, finals, trials = served
    whole = client.get(f"{UI}/chart-columns", params={"names": "id,default"}).json()
    assert whole["sampled"] is False and whole["shown"] == whole["total"] == len(trials)
    assert whole["data"]["id"] == sorted(trials, key=lambda t: trials[t].sequence_id)
    part = client.get(f"{UI}/chart-columns", params={"names": "id,seq,default", "max_points": 20}).json()
    assert part["sampled"] is True and part["shown"] == 20 and part["total"] == len(trials)
    best4 = sorted(finals, key=lambda t: -finals[t])[:4]  # the best fifth of 20
    assert set(best4) <= set(part["data"]["id"]) and part["data"]["seq"] == sorted(part["data"]["seq"])
    top = client.get(f"{UI}/chart-columns", params={"names": "id,default", "top_percent": 10}).json()
    assert top["total"] == len(finals) and set(top["data"]["id"]) == set(sorted(finals, key=lambda t: -finals[t])[:len(top["data"]["id"])])
    assert top["shown"] == -(-len(finals) // 10)
    bad = client.get(f"{UI}/chart-columns", params={"top_percent": 0})
    assert bad.status_code == 422


def test_best_so_far_follows_the_store(served) -> None:
    client, finals, trials = served
    curve = client.get(f"{UI}/best-so-far").json()
    best, expected_seq, expected_best = None, [], []
    for t in sorted(trials.values(), key=lambda t: t.sequence_id):
        if t.trial_job_id in finals and (best is None or finals[t.trial_job_id] > best):
            best = finals[t.trial_job_id]
            expected_seq.append(t.sequence_id)
            expected_best.append(best)
    assert curve["bySeq"]["best"][:len(expected_best)] == expected_best
    assert curve["bySeq"]["seq"][:len(expected_seq)] == expected_seq
    assert curve["withResult"] == len(finals) and curve["mode"] == "maximize"


def test_explore_slices_conditional_and_log_parameters(served) -> None:
    client, finals, trials = served
    body = client.get(f"{UI}/explore").json()
    slices = {s["name"]: s for s in body["parameters"]}
    assert slices["lr"]["log"] is True and slices["lr"]["kind"] == "numeric"
    sgd = {tid for tid in finals if trials[tid].parameters["optimizer"]["_name"] == "sgd"}
    momentum = slices["optimizer/momentum"]
    assert momentum["conditional"] is True and set(momentum["id"]) == sgd
    assert momentum["inactive"] == len(finals) - len(sgd)
    assert momentum["x"] == [trials[t].parameters["optimizer"]["momentum"] for t in momentum["id"]]
    assert momentum["y"] == [finals[t] for t in momentum["id"]]
    assert slices["batch_size"]["categories"] == ["16", "32", "64", "128"]
    assert body["distribution"]["count"] == len(finals) and body["distribution"]["max"] == max(finals.values())


def test_contour_route_and_its_errors(served) -> None:
    client, finals, trials = served
    body = client.get(f"{UI}/contour", params={"x": "lr", "y": "optimizer/momentum", "bins": 4}).json()
    sgd = [t for t in finals if trials[t].parameters["optimizer"]["_name"] == "sgd"]
    assert body["trials"] == len(sgd) and sum(map(sum, body["count"])) == len(sgd)
    best_cell = max(v for row in body["z"] for v in row if v is not None)
    assert best_cell == max(finals[t] for t in sgd)
    assert body["x"]["log"] and len(body["x"]["centers"]) == 4
    missing = client.get(f"{UI}/contour", params={"x": "lr", "y": "nope"})
    assert missing.status_code == 404 and missing.json()["error"].startswith("no parameter 'nope'")
    same = client.get(f"{UI}/contour", params={"x": "lr", "y": "lr"})
    assert same.status_code == 400 and "two different parameters" in same.json()["error"]


def test_compare_reads_other_experiments_of_this_machine(served) -> None:
    client, finals, _ = served
    body = client.get(f"{UI}/compare", params={"ids": "explore1,explore2"}).json()
    rows = {r["id"]: r for r in body["experiments"]}
    assert rows["explore1"]["best"] == max(finals.values())
    with open_reader(Path(Registry().all()["explore2"]["logDir"])) as reader:
        other = [t.final_metric["default"] for t in reader.trials() if t.final_metric is not None]
    assert rows["explore2"]["best"] == max(other) and rows["explore2"]["withResult"] == len(other)
    assert {d["key"] for d in body["configDiff"]} == {"maxTrialNumber"}
    one = client.get(f"{UI}/compare", params={"ids": "explore1"})
    assert one.status_code == 422 and "ids" in one.json()["error"] and "explore1" in one.json()["error"]
    twice = client.get(f"{UI}/compare", params={"ids": "explore1,explore1"}).json()
    assert [r["id"] for r in twice["experiments"]] == ["explore1", "explore1"]
    unknown = client.get(f"{UI}/compare", params={"ids": "explore1,nosuch12"})
    assert unknown.status_code == 404 and "no experiment 'nosuch12'" in unknown.json()["error"]
