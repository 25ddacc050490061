"""nnictl experiment best / compare / mlflow, read from real stores of registered (stopped) experiments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nni.launcher import Registry
from nni.testing.demo_store import fill_store


def _register(tmp_path: Path, experiment_id: str, *, seed: int = 0, write_logs: bool = False,
              trials: int = 30) -> dict[str, Any]:
    folder = tmp_path / experiment_id
    written = fill_store(folder, experiment_id=experiment_id, trials=trials, intermediates=3, status="DONE",
                         write_logs=write_logs, seed=seed)
    Registry().add(experiment_id, {"logDir": str(folder), "status": "DONE", "port": 8080, "pid": None})
    return {tid: t["final"]["default"] for tid, t in written["trials"].items() if t.get("final")}


def test_best_lists_the_top_trials_with_their_parameters(nnictl, home, tmp_path: Path) -> None:
    finals = _register(tmp_path, "bestexp1")
    expected = sorted(finals, key=lambda t: -finals[t])[:3]
    body = json.loads(nnictl("experiment", "best", "bestexp1", "--top", "3", "--json").stdout)
    assert [b["trialJobId"] for b in body] == expected
    assert [b["value"] for b in body] == [finals[t] for t in expected]
    assert all({"parameter", "value"} <= set(b) for b in body)  # what `nnictl experiment import` reads
    assert body[0]["parameter"]["optimizer"]["_name"] in ("sgd", "adam")

    text = nnictl("experiment", "best", "bestexp1").stdout
    assert text.startswith("Best of experiment bestexp1 (maximize the default metric;")
    row = text.splitlines()[3].split()
    assert row[:2] == ["1", expected[0]] and float(row[4]) == pytest.approx(finals[expected[0]], rel=1e-5)
    assert "nnictl experiment import NEW_ID -f best.json" in text

    bad = nnictl("experiment", "best", "bestexp1", "--top", "0", check=False)
    assert bad.returncode == 2 and "--top" in bad.stderr


def test_compare_two_experiments_as_table_and_json(nnictl, home, tmp_path: Path) -> None:
    a = _register(tmp_path, "cmpexpa1", seed=1)
    b = _register(tmp_path, "cmpexpb2", seed=2, trials=20)
    body = json.loads(nnictl("experiment", "compare", "cmpexpa1", "cmpexpb2", "--json").stdout)
    rows = {r["id"]: r for r in body["experiments"]}
    assert rows["cmpexpa1"]["best"] == max(a.values()) and rows["cmpexpb2"]["best"] == max(b.values())
    assert rows["cmpexpa1"]["trials"] == 30 and rows["cmpexpb2"]["withResult"] == len(b)
    assert body["sharedParameters"] == ["lr", "batch_size", "dropout", "layers", "optimizer/_name", "optimizer/momentum"]
    diff = {d["key"]: d["values"] for d in body["configDiff"]}
    assert diff == {"maxTrialNumber": ["50", "40"]}
    assert body["bestSoFar"][0]["bySeq"]["best"][-1] == max(a.values())

    text = nnictl("experiment", "compare", "cmpexpa1", "cmpexpb2").stdout.splitlines()
    assert text[0].split()[:3] == ["experiment", "name", "status"]
    assert text[2].startswith("cmpexpa1") and text[3].startswith("cmpexpb2")
    assert "config differences:" in text and any(line.startswith("maxTrialNumber") for line in text)

    one = nnictl("experiment", "compare", "cmpexpa1", check=False)
    assert one.returncode == 1 and one.stderr.startswith("ERROR: compare needs two or more experiment ids, got 1")
    missing = nnictl("experiment", "compare", "cmpexpa1", "nosuch99", check=False)
    assert missing.returncode == 1 and "no experiment 'nosuch99'" in missing.stderr


@pytest.mark.slow  # MLflow creates its SQLite schema (migrations) in about 10 s
def test_mlflow_export_read_back_with_mlflows_client(nnictl, home, tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    _register(tmp_path, "mlflowe1", trials=8, write_logs=True)
    folder = tmp_path / "mlflowe1"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = nnictl("experiment", "mlflow", "mlflowe1", "--tracking-uri", uri, timeout=240).stdout
    assert "8 runs written, 0 already there" in out

    from nni.storage import open_reader

    with open_reader(folder) as reader:
        trials = {t.trial_job_id: t for t in reader.trials()}
        periodical = reader.intermediate_results(list(trials))
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("nni-mlflowe1")
    assert experiment.tags["nni.experiment_id"] == "mlflowe1"
    assert Path(experiment.artifact_location.removeprefix("file://")) == tmp_path / "mlartifacts"
    runs = {r.data.tags["nni.trial_job_id"]: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == set(trials)
    status_of = {"SUCCEEDED": "FINISHED", "FAILED": "FAILED", "RUNNING": "RUNNING", "WAITING": "RUNNING"}
    for tid, trial in trials.items():
        run = runs[tid]
        assert run.info.status == status_of[trial.status] and run.data.tags["nni.status"] == trial.status
        assert run.info.run_name == tid and run.data.tags["nni.sequence_id"] == str(trial.sequence_id)
        assert run.data.params["lr"] == str(trial.parameters["lr"])
        assert run.data.params["optimizer/_name"] == trial.parameters["optimizer"]["_name"]
        assert ("optimizer/momentum" in run.data.params) == (trial.parameters["optimizer"]["_name"] == "sgd")
        history = client.get_metric_history(run.info.run_id, "intermediate")
        assert sorted((m.step, m.value) for m in history) == [(m.sequence, m.value) for m in periodical.get(tid, [])]
        if trial.final_metric is not None:
            assert run.data.metrics["final"] == trial.final_metric["default"]
            assert run.data.metrics["final.loss"] == trial.final_metric["loss"]
        else:
            assert "final" not in run.data.metrics
        names = {a.path for a in client.list_artifacts(run.info.run_id, "trial")}
        files = folder / "trials" / tid
        assert names == ({f"trial/{f.name}" for f in files.iterdir()} if files.is_dir() else set())
    assert any(client.list_artifacts(r.info.run_id, "trial") for r in runs.values())
    again = nnictl("experiment", "mlflow", "mlflowe1", "--tracking-uri", uri, timeout=240).stdout
    unfinished = sum(1 for t in trials.values() if not t.finished)
    assert f"{unfinished} runs written, {len(trials) - unfinished} already there" in again
    assert len(client.search_runs([experiment.experiment_id])) == len(trials)
    assert mlflow.__version__
