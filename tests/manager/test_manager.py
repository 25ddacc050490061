"""The manager loop against the fake platform: limits, concurrency, kills, tuner outcomes, commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nni.assessor import Assessor, AssessResult
from nni.errors import NNIError, WaitForResults
from nni.manager import (
    AddCustomizedTrial,
    ImportData,
    KillTrial,
    UpdateConcurrency,
    UpdateMaxTrialNumber,
    UpdateSearchSpace,
)
from nni.testing import max_overlap, wait_until
from nni.testing.fake_platform import Exit, FakePlatform, Final, Gate, Metric, Sleep


def test_runs_to_done_within_limits(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Sleep(0.02), Metric(0.1), Final(job.parameters["x"]), Exit(0)])
    h = harness(platform, tuner_cls(seed=1), maxTrialNumber=6, trialConcurrency=2)
    assert h.start().join() == "DONE"
    reader = h.reader()
    trials = reader.trials()
    assert [t.sequence_id for t in trials] == list(range(6))
    assert all(t.status == "SUCCEEDED" and len(t.trial_job_id) == 5 and t.trial_job_id.isalnum() for t in trials)
    assert sorted(t.parameter_id for t in trials) == list(range(6))
    assert max_overlap((t.start_time, t.end_time) for t in trials) <= 2
    recv = h.tuner.of("recv")
    assert sorted(r[1] for r in recv) == list(range(6))
    assert all(r[3] is False and len(r[4]) == 5 for r in recv)
    assert {r[1]: r[2] for r in recv} == {t.parameter_id: t.parameters["x"] for t in trials}
    assert len(h.tuner.of("end")) == 6 and all(e[2] for e in h.tuner.of("end"))
    profile = reader.profile()
    assert profile.status == "DONE" and profile.end_time is not None
    assert profile.stats["tunerCalls"] > 0
    assert reader.metric_count() == 12
    assert platform.stopped
    assert (h.dir / "log" / "nnimanager.log").read_text().count("SUCCEEDED") == 6


def test_tuner_calls_and_seconds_are_measured(harness, tuner_cls) -> None:
    """tunerCalls counts every call the manager makes into the tuner; tunerSeconds includes their time."""
    import time

    class Slow(tuner_cls):  # type: ignore[misc, valid-type]
        pause = 0.02

        def __init__(self) -> None:
            super().__init__()
            self.made = 0
            self.slept = 0.0

        def _count(self) -> None:
            self.made += 1
            start = time.perf_counter()
            time.sleep(self.pause)
            self.slept += time.perf_counter() - start

        def update_search_space(self, search_space: dict[str, Any]) -> None:
            self._count()
            super().update_search_space(search_space)

        def generate_multiple_parameters(self, parameter_id_list: list[int], **kwargs: Any) -> list[Any]:
            self._count()
            return super().generate_multiple_parameters(parameter_id_list, **kwargs)

        def receive_trial_result(self, *args: Any, **kwargs: Any) -> None:
            self._count()
            super().receive_trial_result(*args, **kwargs)

        def trial_end(self, *args: Any, **kwargs: Any) -> None:
            self._count()
            super().trial_end(*args, **kwargs)

    tuner = Slow()
    h = harness(FakePlatform(lambda job: [Final(1), Exit(0)]), tuner, maxTrialNumber=3, trialConcurrency=1)
    assert h.start().join() == "DONE"
    stats = h.reader().profile().stats
    assert tuner.made >= 1 + 3 + 3 + 3  # space, one request per trial, a result and an end each
    assert stats["tunerCalls"] == tuner.made
    assert stats["tunerSeconds"] >= tuner.slept >= tuner.made * Slow.pause
    assert stats["assessorCalls"] == 0 and stats["assessorSeconds"] == 0


def test_no_more_trial_ends_done(harness, tuner_cls) -> None:
    h = harness(FakePlatform(), tuner_cls(limit=3), maxTrialNumber=10)
    assert h.start().join() == "DONE"
    assert h.reader().trial_count() == 3
    statuses = [e.event for e in h.reader().trial_events()]
    assert statuses.count("EXITED") == 3


def test_tuner_exception_puts_experiment_in_error(harness, tuner_cls) -> None:
    class Broken(tuner_cls):  # type: ignore[misc, valid-type]
        def receive_trial_result(self, *args: Any, **kwargs: Any) -> None:
            raise ValueError("tuner bug 42")

    h = harness(FakePlatform(lambda job: [Final(1), Sleep(0.01), Exit(0)]), Broken(), maxTrialNumber=10)
    assert h.start().join() == "ERROR"
    profile = h.reader().profile()
    assert "tuner bug 42" in profile.error and "Traceback" in profile.traceback
    assert "tuner bug 42" in (h.dir / "log" / "nnimanager.log").read_text()
    assert all(t.finished for t in h.reader().trials())


def test_failing_trial_is_failed_and_experiment_goes_on(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Exit(3)] if job.sequence_id == 0 else [Final(0.5), Exit(0)])
    h = harness(platform, tuner_cls(), maxTrialNumber=3, trialConcurrency=1)
    assert h.start().join() == "DONE"
    trials = h.reader().trials()
    assert [(t.status, t.exit_code) for t in trials] == [("FAILED", 3), ("SUCCEEDED", 0), ("SUCCEEDED", 0)]
    assert h.tuner.of("end")[0][2] is False


def test_wait_for_results_asks_again_after_a_result(harness, tuner_cls) -> None:
    class Rungs(tuner_cls):  # type: ignore[misc, valid-type]
        def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
            received = len(self.of("recv"))
            if self.generated >= 4:
                from nni.errors import NoMoreTrialError

                raise NoMoreTrialError()
            if self.generated >= 2 and received < 2:
                raise WaitForResults()
            return super().generate_parameters(parameter_id, **kwargs)

    h = harness(FakePlatform(lambda job: [Sleep(0.05), Final(1), Exit(0)]), Rungs(), maxTrialNumber=10,
                trialConcurrency=4)
    assert h.start().join() == "DONE"
    trials = h.reader().trials()
    assert len(trials) == 4
    first_two_end = max(t.end_time for t in trials[:2])
    assert all(t.submit_time >= first_two_end - 0.001 for t in trials[2:])


def test_kill_and_runtime_concurrency(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Gate(), Final(1), Exit(0)])
    h = harness(platform, tuner_cls(), maxTrialNumber=4, trialConcurrency=1).start()
    wait_until(lambda: len(platform.running()) == 1, 10)
    first = platform.running()[0]
    assert h.manager.control.send(UpdateConcurrency(3)).result(5) == 3
    wait_until(lambda: len(platform.running()) == 3, 10)
    h.manager.control.send(KillTrial(first)).result(5)
    wait_until(lambda: h.reader().trial(first).status == "USER_CANCELED", 10)
    with pytest.raises(NNIError, match="already ended"):
        h.manager.control.send(KillTrial(first)).result(5)
    with pytest.raises(NNIError, match="no trial"):
        h.manager.control.send(KillTrial("zzzzz")).result(5)
    with pytest.raises(NNIError, match="positive integer"):
        h.manager.control.send(UpdateConcurrency(0)).result(5)
    platform.open_all()
    assert h.join() == "DONE"
    reader = h.reader()
    assert reader.profile().limits["trialConcurrency"] == 3
    assert reader.status_counts() == {"SUCCEEDED": 3, "USER_CANCELED": 1}
    assert (first, "USER_CANCELED") in platform.kills


def test_assessor_bad_stops_trial_early(harness, tuner_cls) -> None:
    class StopAtTwo(Assessor):
        def __init__(self) -> None:
            self.seen: list[tuple[str, list[Any]]] = []
            self.ended: list[tuple[str, bool]] = []

        def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
            self.seen.append((trial_job_id, list(trial_history)))
            return AssessResult.Bad if len(trial_history) >= 2 else AssessResult.Good

        def trial_end(self, trial_job_id: str, success: bool) -> None:
            self.ended.append((trial_job_id, success))

    assessor = StopAtTwo()
    platform = FakePlatform(lambda job: [Metric(1), Metric({"default": 2, "x": 1}), Gate(), Metric(3), Final(3)])
    h = harness(platform, tuner_cls(), assessor=assessor, maxTrialNumber=1)
    assert h.start().join() == "DONE"
    t = h.reader().trials()[0]
    assert t.status == "EARLY_STOPPED" and t.final_metric is None
    assert assessor.seen[-1] == (t.trial_job_id, [1, {"default": 2, "x": 1}])
    assert assessor.ended == [(t.trial_job_id, False)]


def test_max_trial_duration_and_experiment_duration(harness, tuner_cls) -> None:
    h = harness(FakePlatform(lambda job: [Sleep(30)]), tuner_cls(), maxTrialNumber=1, maxTrialDuration="0.2s")
    assert h.start().join() == "DONE"
    t = h.reader().trials()[0]
    assert t.status == "SYS_CANCELED" and "maxTrialDuration" in h.reader().trial_events(t.trial_job_id)[-2].data["reason"]
    h2 = harness(FakePlatform(lambda job: [Sleep(30)]), tuner_cls(), maxTrialNumber=10, maxExperimentDuration=0.3)
    assert h2.start().join() == "DONE"
    assert {t.status for t in h2.reader().trials()} == {"SYS_CANCELED"}
    assert h2.reader().trial_count() == 2


def test_customized_trial_import_data_and_search_space(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Gate(), Final(job.parameters.get("x", 7)), Exit(0)])
    h = harness(platform, tuner_cls(), maxTrialNumber=3, trialConcurrency=1).start()
    wait_until(lambda: len(platform.running()) == 1, 10)
    trial_id = h.manager.control.send(AddCustomizedTrial({"x": 0.25})).result(5)
    assert h.reader().trial(trial_id).parameter_source == "customized"
    assert h.manager.control.send(ImportData([{"parameter": {"x": 0.5}, "value": 0.9}])).result(5) == 1
    with pytest.raises(NNIError, match="import data item 0"):
        h.manager.control.send(ImportData([{"value": 1}])).result(5)
    h.manager.control.send(UpdateSearchSpace({"x": {"_type": "uniform", "_value": [0, 2]}})).result(5)
    with pytest.raises(NNIError):
        h.manager.control.send(UpdateSearchSpace({"x": {"_type": "uniform", "_value": [2, 0]}})).result(5)
    assert h.manager.control.send(UpdateMaxTrialNumber(3)).result(5) == 3
    platform.open_all()
    assert h.join() == "DONE"
    recv = {r[4]: r for r in h.tuner.of("recv")}
    assert recv[trial_id][2] == 0.25 and recv[trial_id][3] is True
    assert ("import", 1) in h.tuner.calls and h.tuner.calls.count(("space", ["x"])) == 2
    assert h.reader().profile().search_space["x"]["_value"] == [0, 2]
    assert h.reader().trial_count() == 3


def test_stop_cancels_running_trials(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Gate()])
    h = harness(platform, tuner_cls(), maxTrialNumber=10).start()
    wait_until(lambda: len(platform.running()) == 2, 10)
    h.manager.request_stop()
    assert h.join() == "STOPPED"
    assert h.reader().status_counts() == {"USER_CANCELED": 2}
    assert platform.stopped and platform.running() == []
    with pytest.raises(NNIError, match="has ended"):
        h.manager.control.send(UpdateConcurrency(2)).result(5)


def test_waiting_reason_is_stored(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Gate(), Exit(0)], waiting_reason="no free GPU: needs 1, 0 free")
    h = harness(platform, tuner_cls(), maxTrialNumber=1).start()
    wait_until(lambda: len(platform.running()) == 1, 10)
    trial_id = platform.running()[0]
    wait_until(lambda: h.reader().trial(trial_id).status == "RUNNING", 10)
    events = h.reader().trial_events(trial_id)
    assert [e.event for e in events[:3]] == ["CREATED", "WAITING", "RUNNING"]
    assert events[1].data["reason"] == "no free GPU: needs 1, 0 free"
    platform.open_all()
    assert h.join() == "DONE"


def test_sets_nni_env_for_the_tuner(harness, tuner_cls, tmp_path: Path) -> None:
    import os

    seen: dict[str, str | None] = {}

    class EnvTuner(tuner_cls):  # type: ignore[misc, valid-type]
        def update_search_space(self, search_space: dict[str, Any]) -> None:
            seen["exp"] = os.environ.get("NNI_EXP_ID")
            seen["ckpt"] = os.environ.get("NNI_CHECKPOINT_DIRECTORY")

    h = harness(FakePlatform(), EnvTuner(), maxTrialNumber=1)
    assert h.start().join() == "DONE"
    assert seen == {"exp": "abcdefgh", "ckpt": str(h.dir / "checkpoint")}


def test_kill_of_a_queued_customized_trial(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Gate(), Final(1), Exit(0)])
    h = harness(platform, tuner_cls(), maxTrialNumber=3, trialConcurrency=1).start()
    wait_until(lambda: len(platform.running()) == 1, 10)
    queued = h.manager.control.send(AddCustomizedTrial({"x": 0.3})).result(5)
    assert h.reader().trial(queued).status == "WAITING"
    h.manager.control.send(KillTrial(queued)).result(5)
    assert h.reader().trial(queued).status == "USER_CANCELED"
    assert all(job.trial_job_id != queued for job in platform.submitted)
    platform.open_all()
    assert h.join() == "DONE"


def test_create_on_a_used_store_and_resume_of_nothing_are_refused(tmp_path: Path, tuner_cls) -> None:
    from nni.manager import ExperimentManager
    from nni.storage import ExperimentStore, open_reader

    from_config = {"trialCommand": "true", "trialConcurrency": 1, "maxTrialNumber": 1, "searchSpace": {},
                   "tuner": {"name": "Random"}, "trainingService": {"platform": "local"}}
    first = ExperimentManager(from_config, tmp_path / "a", "aaaaaaaa", store=ExperimentStore(tmp_path / "a"),
                              platform=FakePlatform(), tuner=tuner_cls())
    assert first.run() == "DONE"
    again = ExperimentManager(from_config, tmp_path / "a", "bbbbbbbb", store=ExperimentStore(tmp_path / "a"),
                              platform=FakePlatform(), tuner=tuner_cls())
    with pytest.raises(NNIError, match="already holds experiment aaaaaaaa"):
        again.run()
    assert open_reader(tmp_path / "a").profile().status == "DONE"  # untouched
    nothing = ExperimentManager(from_config, tmp_path / "b", "cccccccc", store=ExperimentStore(tmp_path / "b"),
                                platform=FakePlatform(), tuner=tuner_cls(), resume=True)
    with pytest.raises(NNIError, match="store .* is empty"):
        nothing.run()


def test_numpy_parameters_are_stored_as_plain_json(harness, tuner_cls) -> None:
    import numpy as np

    class NumpyTuner(tuner_cls):  # type: ignore[misc, valid-type]
        def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
            super().generate_parameters(parameter_id, **kwargs)
            return {"x": np.float64(0.25), "n": np.int64(3), "v": np.array([1, 2]), "t": (np.float32(0.5),)}

    h = harness(FakePlatform(lambda job: [Final(job.parameters["x"]), Exit(0)]), NumpyTuner(), maxTrialNumber=1)
    assert h.start().join() == "DONE"
    (trial,) = h.reader().trials()
    assert trial.parameters == {"x": 0.25, "n": 3, "v": [1, 2], "t": [0.5]}
    assert type(trial.parameters["n"]) is int and trial.final_metric == 0.25


def test_no_more_trial_when_all_are_submitted_and_back_when_raised(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Gate(), Final(1), Exit(0)])
    h = harness(platform, tuner_cls(), maxTrialNumber=2, trialConcurrency=4).start()
    wait_until(lambda: len(platform.running()) == 2, 10)
    wait_until(lambda: h.reader().profile().status == "NO_MORE_TRIAL", 10)
    h.manager.control.send(UpdateMaxTrialNumber(3)).result(5)
    wait_until(lambda: len(platform.running()) == 3, 10)
    wait_until(lambda: h.reader().profile().status == "NO_MORE_TRIAL", 10)
    platform.open_all()
    assert h.join() == "DONE"
    assert h.reader().trial_count() == 3


class _StopAtTwo(Assessor):
    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        return AssessResult.Bad if len(trial_history) >= 2 else AssessResult.Good


@pytest.mark.parametrize("include", [False, True])
def test_include_intermediate_results_gives_the_tuner_the_last_one(harness, tuner_cls, include) -> None:
    """NNI's tuner.includeIntermediateResults: a trial the assessor stops reports its last intermediate
    result to the tuner as its result (once, and again on resume); without it the tuner gets nothing."""
    platform = FakePlatform(lambda job: [Metric(1), Metric({"default": 2, "x": 1}), Gate(), Metric(3), Final(3)])
    tuner = tuner_cls()
    h = harness(platform, tuner, assessor=_StopAtTwo(), maxTrialNumber=1,
                tunerConfig={"name": "Random", "includeIntermediateResults": include})
    assert h.start().join() == "DONE"
    t = h.reader().trials()[0]
    assert t.status == "EARLY_STOPPED" and t.final_metric is None
    expected = [("recv", t.parameter_id, {"default": 2, "x": 1}, False, t.trial_job_id)] if include else []
    assert tuner.of("recv") == expected

    # Resume replays the journal: the fresh tuner gets the same result, exactly once.
    from nni.manager import ExperimentManager
    from nni.storage import ExperimentStore

    tuner2 = tuner_cls()
    h2 = harness(FakePlatform(), tuner2, resume=True, maxTrialNumber=1)
    h2.dir = h.dir
    h2.store = ExperimentStore(h.dir)
    h2.manager = ExperimentManager(h.manager.config.to_json(), h.dir, "abcdefgh", store=h2.store,
                                   platform=h2.platform, tuner=tuner2, resume=True, stop_grace=5.0)
    assert h2.start().join() == "DONE"
    assert tuner2.of("recv") == expected


def test_include_intermediate_results_never_gives_a_trial_two_results(harness, tuner_cls) -> None:
    """A trial that reports its final result right after the verdict: the tuner gets one result only."""
    platform = FakePlatform(lambda job: [Metric(1), Metric(2), Final(5), Exit(0)])
    tuner = tuner_cls()
    h = harness(platform, tuner, assessor=_StopAtTwo(), maxTrialNumber=3, trialConcurrency=1,
                tunerConfig={"name": "Random", "includeIntermediateResults": True})
    assert h.start().join() == "DONE"
    trials = h.reader().trials()
    received = tuner.of("recv")
    assert sorted(r[4] for r in received) == sorted(t.trial_job_id for t in trials)  # one per trial
    for r in received:
        assert r[2] in (2, 5)
