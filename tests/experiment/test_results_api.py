"""The best configuration without the UI, fed back: ``best_trials()`` of a finished experiment imported into a
new one (warm start) and run there again as a customized trial, giving the same result (real trial processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.testing import free_port, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPACE = {
    "x": {"_type": "uniform", "_value": [0, 1]},
    "lr": {"_type": "loguniform", "_value": [1e-4, 1]},
    "optimizer": {"_type": "choice", "_value": [
        {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0, 0.99]}}, {"_name": "adam"}]},
}


def _experiment(trials: int) -> object:
    from nni.experiment import Experiment

    experiment = Experiment("local")
    experiment.config.trial_command = "python3 trial.py"
    experiment.config.trial_code_directory = str(ROOT / "examples" / "notebook")
    experiment.config.search_space = SPACE
    experiment.config.tuner.name = "Random"
    experiment.config.tuner.class_args = {"optimize_mode": "maximize", "seed": 1}
    experiment.config.max_trial_number = trials
    experiment.config.trial_concurrency = 2
    return experiment


def test_best_trials_warm_start_and_customized_trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nni.experiment import best_trials, compare_experiments, trials_dataframe

    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path / "home"))
    first = _experiment(4)
    assert first.run(free_port()) is True
    try:
        best = first.best_trials(top=2)
        jobs = {j.trialJobId: j for j in first.list_trial_jobs()}
        finals = {tid: j.finalMetricData[0].data for tid, j in jobs.items() if j.finalMetricData}
        assert [b.trial_job_id for b in best] == sorted(finals, key=lambda t: -finals[t])[:2]
        assert best[0].parameters == jobs[best[0].trial_job_id].hyperParameters[0].parameters
        assert best_trials(first.id, 2) == best  # by id, from the store
        frame = trials_dataframe(first.id)
        assert len(frame) == 4 and frame["value"].max() == best[0].value
    finally:
        first.stop()
    assert first.best_trials(1) == best[:1]  # stopped: still read from its store

    # a budget the tuner cannot spend before the customized trial is added (it counts toward maxTrialNumber,
    # and a spent budget refuses it, as NNI does); lowered once that trial has its result, to end the run
    second = _experiment(1000)
    second.start(free_port())
    try:
        second.import_data([b.as_json() for b in best])  # warm start: the tuner gets the earlier results
        trial_id = second.add_customized_trial(best[0].parameters)
        wait_until(lambda: second.get_trial_job(trial_id).finalMetricData, 120, "the customized trial's result")
        again = second.get_trial_job(trial_id)
        assert again.hyperParameters[0].parameters == best[0].parameters
        assert again.finalMetricData[0].data == best[0].value  # the same configuration, the same result
        second.update_max_trial_number(3)  # at most the trials there are already: no more start
        assert second.watch(poll=0.5) is True  # progress lines outside Jupyter
    finally:
        second.stop()
    comparison = compare_experiments(first.id, second.id)
    assert [row["id"] for row in comparison["experiments"]] == [first.id, second.id]
    assert comparison["experiments"][1]["best"] >= best[0].value
