"""Resume: the journal replay rebuilds the tuner exactly; running trials are re-attached or run again."""

from __future__ import annotations

import threading
from typing import Any

from nni.testing import wait_until
from nni.testing.fake_platform import FakePlatform, Final, Gate, Metric, Sleep


def test_resume_replays_tuner_and_never_counts_twice(harness, tuner_cls) -> None:
    frozen = threading.Event()

    class Freezing(tuner_cls):  # type: ignore[misc, valid-type]
        """Hangs (like a manager killed mid-call) when its third result arrives."""

        def receive_trial_result(self, parameter_id: int, parameters: Any, value: Any, **kwargs: Any) -> None:
            super().receive_trial_result(parameter_id, parameters, value, **kwargs)
            if len(self.of("recv")) == 3:
                frozen.set()
                threading.Event().wait()  # forever: this manager is "dead"

    def script(job):  # type: ignore[no-untyped-def]
        if job.sequence_id < 3:
            return [Sleep(0.2 * (job.sequence_id + 1)), Metric(1), Final(job.parameters["x"])]
        return [Metric(1), Metric(2), Gate(), Metric(3), Final(job.parameters["x"])]

    platform1 = FakePlatform(script)
    h1 = harness(platform1, Freezing(seed=5), maxTrialNumber=7, trialConcurrency=3).start()
    wait_until(lambda: frozen.is_set(), 10)
    wait_until(lambda: len(platform1.running()) >= 2, 10)
    calls_before = list(h1.tuner.calls)
    running = [t for t in h1.store.trials(status="RUNNING")]
    h1.abandoned = True
    h1.store.close()  # the dead manager's store handle goes away with it
    assert [t.sequence_id for t in running] == [2, 3, 4]
    finished_unseen = running[0].trial_job_id  # its final result is in; its exit was never seen
    alive = {running[1].trial_job_id}
    lost = {running[2].trial_job_id}

    tuner2 = tuner_cls(seed=5)
    platform2 = FakePlatform(script, reattach_alive=lambda job, handle: job.trial_job_id in alive)
    platform2.open_all()
    h2 = harness(platform2, tuner2, resume=True, maxTrialNumber=7, trialConcurrency=3)
    h2.dir = h1.dir
    from nni.manager import ExperimentManager
    from nni.storage import ExperimentStore

    h2.store = ExperimentStore(h1.dir)
    h2.manager = ExperimentManager(h1.manager.config.to_json(), h1.dir, "abcdefgh", store=h2.store, platform=platform2,
                                   tuner=tuner2, resume=True, stop_grace=5.0)
    assert h2.start().join() == "DONE"

    assert tuner2.calls[: len(calls_before)] == calls_before  # the replay rebuilt the same state
    reader = h2.reader()
    trials = reader.trials()
    assert sum(1 for t in trials if t.parameter_source != "resumed") == 7
    resumed = [t for t in trials if t.parameter_source == "resumed"]
    assert {t.resumed_from for t in resumed} == lost
    for t in resumed:
        origin = reader.trial(t.resumed_from)
        assert origin.status == "SYS_CANCELED" and origin.replaced_by == t.trial_job_id
        assert (t.parameter_id, t.parameters) == (origin.parameter_id, origin.parameters)
    recv = [c[1] for c in tuner2.of("recv")]
    assert len(recv) == len(set(recv))  # one result per parameter id, replay included
    finals = reader.metrics(type="FINAL")
    assert sorted(recv) == sorted(m.parameter_id for m in finals)
    (kept,) = alive
    assert [(m.type, m.value) for m in reader.metrics(kept)] == [("PERIODICAL", 1), ("PERIODICAL", 2),
                                                                  ("PERIODICAL", 3), ("FINAL", reader.trial(kept).parameters["x"])]
    assert platform2.reattached[0].metrics_offset == 2
    assert reader.trial(finished_unseen).status == "SUCCEEDED" and reader.trial(finished_unseen).replaced_by is None
    assert reader.profile().stats["resumes"] == 1


def test_resume_of_a_finished_experiment_reaches_done(harness, tuner_cls) -> None:
    """Nothing left to run or wait for: the resumed manager ends DONE at once instead of idling."""
    from nni.manager import ExperimentManager
    from nni.storage import ExperimentStore

    h1 = harness(FakePlatform(), tuner_cls(seed=1), maxTrialNumber=3, trialConcurrency=2).start()
    assert h1.join() == "DONE"
    h2 = harness(FakePlatform(), tuner_cls(seed=1), resume=True, maxTrialNumber=3, trialConcurrency=2)
    h2.dir = h1.dir
    h2.store = ExperimentStore(h1.dir)
    h2.manager = ExperimentManager(h1.manager.config.to_json(), h1.dir, "abcdefgh", store=h2.store,
                                   platform=h2.platform, tuner=h2.tuner, resume=True, stop_grace=5.0)
    assert h2.start().join() == "DONE"
    assert h2.reader().trial_count() == 3  # no trial added or counted again
