"""nnictl experiment pareto and export for an experiment with several objectives, read from its store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from nni.launcher import Registry
from nni.testing import expected_pareto_set
from nni.testing.demo_store import MEMORY_LIMIT_MB, OBJECTIVES, fill_store

EXP = "pareto12"


def _register(tmp_path: Path, objectives: int) -> dict[str, dict]:
    folder = tmp_path / EXP
    written = fill_store(folder, experiment_id=EXP, trials=40, intermediates=1, objectives=objectives, status="DONE",
                         write_logs=False)
    Registry().add(EXP, {"logDir": str(folder), "status": "DONE", "port": 8080, "pid": None})
    return {tid: t["final"] for tid, t in written["trials"].items() if t.get("final") is not None}


def test_pareto_set_as_json_and_text(nnictl, home, tmp_path: Path) -> None:
    finals = _register(tmp_path, 3)
    expected = expected_pareto_set(finals, {"objectives": OBJECTIVES,
                                            "constraints": [{"name": "memory_mb", "max": MEMORY_LIMIT_MB}]})
    body = json.loads(nnictl("experiment", "pareto", EXP, "--json").stdout)
    assert set(body["paretoSet"]) == expected
    assert {t["trialJobId"]: t["values"] for t in body["trials"]} == {
        tid: [finals[tid][o["name"]] for o in OBJECTIVES] for tid in expected}
    every = json.loads(nnictl("experiment", "pareto", EXP, "--json", "--all").stdout)
    assert len(every["trials"]) == len(finals)

    text = nnictl("experiment", "pareto", EXP).stdout
    assert text.startswith(f"Pareto set of experiment {EXP}: {len(expected)} trials")
    assert "accuracy ↑" in text and "latency_ms ↓" in text and "memory_mb" in text
    listed = {line.split()[0] for line in text.splitlines()[4:]}
    assert listed == expected

    given = json.loads(nnictl("experiment", "pareto", EXP, "--json", "--reference", "0,100,100").stdout)
    assert given["reference"] == [0.0, 100.0, 100.0]
    bad = nnictl("experiment", "pareto", EXP, "--reference", "0,1", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("ERROR: reference='0,1': expected 3 finite numbers")
    assert bad.stderr.count("\n") == 1


def test_export_has_a_column_per_objective_and_the_place(nnictl, home, tmp_path: Path) -> None:
    finals = _register(tmp_path, 2)
    expected = expected_pareto_set(finals, {"objectives": OBJECTIVES[:2],
                                            "constraints": [{"name": "memory_mb", "max": MEMORY_LIMIT_MB}]})
    nnictl("experiment", "export", EXP, "-f", tmp_path / "out.csv", "-t", "csv")
    with (tmp_path / "out.csv").open() as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    assert header[:4] == ["trialJobId", "sequenceId", "status", "pareto"]
    metrics = header[header.index("accuracy"):]
    assert metrics[:2] == ["accuracy", "latency_ms"] and "memory_mb" in metrics and "default" not in header
    assert {r["trialJobId"] for r in rows if r["pareto"] == "pareto"} == expected
    for r in rows:
        if r["trialJobId"] in finals and r["pareto"] in ("pareto", "dominated"):
            assert float(r["accuracy"]) == finals[r["trialJobId"]]["accuracy"]
    nnictl("experiment", "export", EXP, "-f", tmp_path / "out.json", "-t", "json")
    data = json.loads((tmp_path / "out.json").read_text())
    assert {d["trial_job_id"] for d in data if d["pareto"] == "pareto"} == expected


def test_one_objective_is_refused_in_one_line(nnictl, stored) -> None:
    Registry().add("view1234", {"logDir": str(stored), "status": "DONE", "port": 8080, "pid": None})
    out = nnictl("experiment", "pareto", "view1234", check=False)
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    assert out.stderr.startswith("ERROR: experiment view1234 declares no objectives")
