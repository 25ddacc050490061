"""GET /api/v1/nni/pareto-front over real stores with two and three objectives and a constraint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nni.launcher import experiment_app
from nni.storage import StoreReader
from nni.testing import expected_pareto_set
from nni.testing.demo_store import MEMORY_LIMIT_MB, OBJECTIVES, fill_store

ROUTE = "/api/v1/nni/pareto-front"


@pytest.fixture(scope="module", params=[2, 3])
def multi(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, Any], int]:
    folder = tmp_path_factory.mktemp(f"pareto{request.param}")
    written = fill_store(folder, trials=60, intermediates=2, objectives=request.param, status="DONE", write_logs=False)
    reader = StoreReader(folder)
    yield TestClient(experiment_app(experiment_dir=folder, store_reader=reader, control=None)), written, request.param
    reader.close()


def _config(k: int) -> dict[str, Any]:
    return {"objectives": OBJECTIVES[:k], "constraints": [{"name": "memory_mb", "max": MEMORY_LIMIT_MB}]}


def test_the_pareto_set_is_the_non_dominated_feasible_trials(multi: tuple[TestClient, dict[str, Any], int]) -> None:
    client, written, k = multi
    body = client.get(ROUTE).json()
    finals = {tid: t["final"] for tid, t in written["trials"].items() if t.get("final") is not None}
    expected = expected_pareto_set(finals, _config(k))
    assert expected and set(body["paretoSet"]) == expected
    assert [t["trialJobId"] for t in body["trials"]] == body["paretoSet"]
    assert body["objectives"] == OBJECTIVES[:k]
    assert body["constraints"] == [{"name": "memory_mb", "max": float(MEMORY_LIMIT_MB)}]
    for trial in body["trials"]:
        final = finals[trial["trialJobId"]]
        assert trial["values"] == [final[o["name"]] for o in OBJECTIVES[:k]]
        assert trial["feasible"] and trial["violation"] == 0 and trial["pareto"]
    accuracies = [t["values"][0] for t in body["trials"]]
    assert accuracies == sorted(accuracies, reverse=True)  # best first by the first objective (maximised)
    assert len(body["reference"]) == k and body["hypervolume"] > 0
    assert body["history"][-1]["hypervolume"] == pytest.approx(body["hypervolume"])


def test_every_trial_with_its_feasibility_and_problem(multi: tuple[TestClient, dict[str, Any], int]) -> None:
    client, written, k = multi
    body = client.get(ROUTE, params={"all": "true"}).json()
    finals = {tid: t["final"] for tid, t in written["trials"].items() if t.get("final") is not None}
    by_id = {t["trialJobId"]: t for t in body["trials"]}
    assert set(by_id) == set(finals)
    for tid, final in finals.items():
        trial = by_id[tid]
        over = final["memory_mb"] - MEMORY_LIMIT_MB
        if trial["valid"]:
            assert trial["feasible"] == (over <= 0)
            assert trial["violation"] == pytest.approx(max(over, 0.0))
    nan_trial = next(tid for tid, t in written["trials"].items() if t["seq"] == 5)
    missing = next(tid for tid, t in written["trials"].items() if t["seq"] == 6)
    assert by_id[nan_trial]["valid"] is False and "latency_ms=nan" in by_id[nan_trial]["problem"]
    assert by_id[nan_trial]["values"][1] is None
    assert by_id[missing]["valid"] is False and "latency_ms missing" in by_id[missing]["problem"]
    counts = body["counts"]
    assert counts["results"] == len(finals) and counts["invalid"] == 2
    assert counts["infeasible"] == sum(1 for t in by_id.values() if t["valid"] and not t["feasible"]) > 0
    assert counts["pareto"] == len(body["paretoSet"])


def test_a_given_reference_point(multi: tuple[TestClient, dict[str, Any], int]) -> None:
    client, _, k = multi
    reference = ",".join(["0"] + ["1000"] * (k - 1))
    body = client.get(ROUTE, params={"reference": reference}).json()
    assert body["reference"] == [0.0] + [1000.0] * (k - 1) and body["referenceRule"] == "given by the caller"
    bad = client.get(ROUTE, params={"reference": "0.5"})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith(f"reference='0.5': expected {k} finite numbers")


def test_single_objective_experiment_has_no_front(tmp_path: Path) -> None:
    fill_store(tmp_path, trials=5, intermediates=1, write_logs=False)
    with StoreReader(tmp_path) as reader:
        answer = TestClient(experiment_app(experiment_dir=tmp_path, store_reader=reader, control=None)).get(ROUTE)
    assert answer.status_code == 404
    assert "declares no objectives" in answer.json()["error"]


def test_the_route_is_documented(multi: tuple[TestClient, dict[str, Any], int]) -> None:
    client, _, _ = multi
    schema = client.get("/api/v1/nni/openapi.json").json()
    route = schema["paths"][ROUTE]["get"]
    assert {p["name"] for p in route["parameters"]} == {"all", "reference"}
    ok = route["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][ok]["properties"]
    assert {"objectives", "constraints", "reference", "hypervolume", "history", "paretoSet", "trials"} <= set(fields)
    assert {"404", "400"} <= set(route["responses"])
