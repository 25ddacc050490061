"""``Experiment.pareto_front()`` over a stopped experiment opened with ``Experiment.view`` (a real view server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.errors import NNIError
from nni.launcher import Registry
from nni.testing import expected_pareto_set, free_port
from nni.testing.demo_store import MEMORY_LIMIT_MB, OBJECTIVES, fill_store

pytestmark = pytest.mark.slow


def test_pareto_front_of_a_viewed_experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nni.experiment import Experiment, ParetoTrial

    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / "paretoap"
    written = fill_store(folder, experiment_id="paretoap", trials=30, intermediates=1, objectives=2, status="DONE",
                         write_logs=False)
    Registry().add("paretoap", {"logDir": str(folder), "status": "DONE", "port": 8080, "pid": None})
    finals = {tid: t["final"] for tid, t in written["trials"].items() if t.get("final") is not None}
    expected = expected_pareto_set(finals, {"objectives": OBJECTIVES[:2],
                                            "constraints": [{"name": "memory_mb", "max": MEMORY_LIMIT_MB}]})

    viewer = Experiment.view("paretoap", port=free_port(), non_blocking=True)
    try:
        front = viewer.pareto_front()
        assert all(isinstance(t, ParetoTrial) and t.pareto and t.feasible for t in front)
        assert {t.trialJobId for t in front} == expected
        for t in front:
            assert t.objectives == {"accuracy": finals[t.trialJobId]["accuracy"],
                                    "latency_ms": finals[t.trialJobId]["latency_ms"]}
        accuracies = [t.objectives["accuracy"] for t in front]
        assert accuracies == sorted(accuracies, reverse=True)
        every = viewer.pareto_front(every_trial=True)
        assert {t.trialJobId for t in every} == set(finals)
        report = viewer.get_pareto_report(reference=[0.0, 100.0])
        assert report["reference"] == [0.0, 100.0] and report["hypervolume"] > 0
        with pytest.raises(NNIError, match="expected 2 finite numbers"):
            viewer.pareto_front(reference=[1.0])
    finally:
        viewer.stop()
