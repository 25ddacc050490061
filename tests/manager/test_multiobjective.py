"""The manager with several objectives and constraints (fake platform): what reaches the tuner and the
assessor, an unusable final result recorded on its trial, refusal of a tuner that cannot, and replay."""

from __future__ import annotations

from typing import Any

from nni.assessor import Assessor, AssessResult
from nni.manager import ExperimentManager
from nni.storage import ExperimentStore
from nni.testing.fake_platform import Exit, FakePlatform, Final, Metric

from .conftest import RecordingTuner

OBJECTIVES = [{"name": "accuracy", "mode": "maximize"}, {"name": "latency_ms", "mode": "minimize"}]
CONSTRAINTS = [{"name": "memory_mb", "max": 4000}]


class MultiObjectiveTuner(RecordingTuner):
    supports_multiple_objectives = True

    def set_objectives(self, objectives: Any) -> None:
        super().set_objectives(objectives)
        self.calls.append(("objectives", objectives.names, tuple(c.name for c in objectives.constraints)))

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        self.calls.append(("recv", parameter_id, value, kwargs.get("objective_values"),
                           kwargs.get("constraint_values")))


def _result(job: Any) -> list[Any]:
    x = job.parameters["x"]
    if job.sequence_id == 1:  # the second trial forgets an objective
        return [Final({"accuracy": x, "memory_mb": 100}), Exit(0)]
    return [Final({"accuracy": x, "latency_ms": 10 * x, "memory_mb": 3000 + 2000 * x, "note": "kept"}), Exit(0)]


def test_objective_vectors_reach_the_tuner_and_a_bad_result_fails_its_trial(harness) -> None:
    tuner = MultiObjectiveTuner(seed=3)
    h = harness(FakePlatform(_result), tuner, maxTrialNumber=4, trialConcurrency=1, objectives=OBJECTIVES,
                constraints=CONSTRAINTS)
    assert h.start().join() == "DONE"
    trials = h.reader().trials()
    assert tuner.calls[0] == ("objectives", ("accuracy", "latency_ms"), ("memory_mb",))  # before the space
    assert tuner.calls[1][0] == "space"
    bad = trials[1]
    assert bad.status == "FAILED"
    assert bad.reason == ("final result unusable: the final result has no objective 'latency_ms' (it has "
                          "'accuracy', 'memory_mb'); report it in the same dict")
    assert bad.final_metric == {"accuracy": bad.parameters["x"], "memory_mb": 100}  # stored as reported
    good = [t for t in trials if t is not bad]
    assert all(t.status == "SUCCEEDED" for t in good)
    received = {r[1]: r for r in tuner.of("recv")}
    assert sorted(received) == sorted(t.parameter_id for t in good)
    for t in good:
        x = t.parameters["x"]
        _, _, value, objective_values, constraint_values = received[t.parameter_id]
        assert value == t.final_metric and value["note"] == "kept"
        assert objective_values == (x, 10 * x) and constraint_values == (3000 + 2000 * x,)
    ends = {e[1]: e[2] for e in tuner.of("end")}
    assert ends[bad.parameter_id] is False and all(ends[t.parameter_id] for t in good)
    log = (h.dir / "log" / "nnimanager.log").read_text()
    assert f"trial {bad.trial_job_id}: final result unusable: the final result has no objective 'latency_ms'" in log

    # Resume replays the journal: a fresh tuner gets the same calls (the bad result again not at all).
    fresh = MultiObjectiveTuner(seed=3)
    store = ExperimentStore(h.dir)
    manager = ExperimentManager(h.manager.config.to_json(), h.dir, "abcdefgh", store=store, platform=FakePlatform(),
                                tuner=fresh, resume=True, stop_grace=5.0)
    assert manager.run() == "DONE"
    assert fresh.calls == tuner.calls


def test_a_tuner_that_cannot_is_refused_before_any_trial(harness) -> None:
    h = harness(FakePlatform(_result), RecordingTuner(), objectives=OBJECTIVES)
    assert h.start().join() == "ERROR"
    reader = h.reader()
    assert reader.trials() == []
    assert reader.profile().error == ("tuner RecordingTuner.set_objectives() raised NNIError: RecordingTuner cannot "
                                      "optimise accuracy (maximize), latency_ms (minimize): it does not declare "
                                      "supports_multiple_objectives = True")


def test_one_objective_reaches_any_tuner_as_default(harness) -> None:
    tuner = RecordingTuner()
    platform = FakePlatform(lambda job: [Final({"loss": job.parameters["x"] / 2}), Exit(0)])
    h = harness(platform, tuner, maxTrialNumber=2, objectives=[{"name": "loss", "mode": "minimize"}])
    assert h.start().join() == "DONE"
    by_id = {t.parameter_id: t for t in h.reader().trials()}
    for _, pid, value, *_ in tuner.of("recv"):
        assert value == {"loss": by_id[pid].parameters["x"] / 2, "default": by_id[pid].parameters["x"] / 2}


class _Judge(Assessor):
    def __init__(self) -> None:
        self.histories: list[list[Any]] = []

    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        self.histories.append(list(trial_history))
        return AssessResult.Good


def test_the_assessor_sees_the_objective_it_judges_by(harness) -> None:
    platform = FakePlatform(lambda job: [Metric({"accuracy": 0.5, "latency_ms": 7}), Metric({"accuracy": 0.6}),
                                         Final({"accuracy": 0.7, "latency_ms": 5}), Exit(0)])
    judge = _Judge()
    judge.objective = "latency_ms"
    h = harness(platform, MultiObjectiveTuner(), assessor=judge, maxTrialNumber=1, objectives=OBJECTIVES)
    assert h.start().join() == "DONE"
    assert judge.histories == [[7], [7, None]]
    first = _Judge()  # no objective named: the first one
    h2 = harness(platform, MultiObjectiveTuner(), assessor=first, maxTrialNumber=1, objectives=OBJECTIVES)
    assert h2.start().join() == "DONE"
    assert first.histories == [[0.5], [0.5, 0.6]]
