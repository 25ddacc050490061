"""A DONE experiment whose manager stays up (``stay_after_done``, as a detached one) runs again when a limit is
raised, its tuner continuing from its state (as NNI's manager, which deletes the end time and submits again)."""

from __future__ import annotations

import pytest

from nni.errors import NNIError
from nni.manager.commands import KillTrial, UpdateConcurrency, UpdateMaxDuration, UpdateMaxTrialNumber
from nni.testing import wait_until
from nni.testing.fake_platform import Exit, FakePlatform, Final, Sleep


def _quick(job):  # type: ignore[no-untyped-def]
    return [Final(job.parameters["x"]), Exit(0)]


def _status(h) -> str:  # type: ignore[no-untyped-def]
    profile = h.reader().profile()
    return "" if profile is None else profile.status


def test_raising_max_trial_number_runs_a_done_experiment_again(harness, tuner_cls) -> None:
    platform = FakePlatform(_quick)
    h = harness(platform, tuner_cls(seed=3), maxTrialNumber=2, stay_after_done=True).start()
    wait_until(lambda: _status(h) == "DONE", 10)
    profile = h.reader().profile()
    assert profile.end_time is not None and h.thread.is_alive() and not platform.stopped
    elapsed_at_done = profile.stats["elapsed"]
    # at DONE nothing changes without a raised limit
    h.manager.control.send(UpdateConcurrency(3)).result(5)
    with pytest.raises(NNIError, match="already ended"):
        h.manager.control.send(KillTrial(h.reader().trials()[0].trial_job_id)).result(5)
    assert _status(h) == "DONE" and h.reader().trial_count() == 2

    h.manager.control.send(UpdateMaxTrialNumber(5)).result(5)
    wait_until(lambda: h.reader().trial_count() == 5 and _status(h) == "DONE", 10)
    trials = h.reader().trials()
    assert [t.sequence_id for t in trials] == list(range(5)) and {t.status for t in trials} == {"SUCCEEDED"}
    # the same tuner went on: parameter ids continue and it got every result
    assert [g[1] for g in h.tuner.of("gen")] == list(range(5))
    assert sorted(r[1] for r in h.tuner.of("recv")) == list(range(5))
    assert h.tuner.calls.count(("space", ["x"])) == 1
    statuses = _statuses_seen(h)
    assert statuses.index("RUNNING", statuses.index("DONE")) > statuses.index("DONE")
    # time while DONE does not count toward maxExperimentDuration
    assert h.reader().profile().stats["elapsed"] >= elapsed_at_done

    h.manager.request_stop()
    assert h.join() == "DONE" and platform.stopped


def _statuses_seen(h) -> list[str]:  # type: ignore[no-untyped-def]
    text = (h.dir / "log" / "nnimanager.log").read_text()
    return [line.rsplit(": ", 1)[1] for line in text.splitlines() if "experiment abcdefgh: " in line]


def test_raising_the_duration_runs_an_experiment_done_by_its_duration_again(harness, tuner_cls) -> None:
    platform = FakePlatform(lambda job: [Sleep(30)] if job.sequence_id < 2 else _quick(job))
    h = harness(platform, tuner_cls(), maxTrialNumber=4, maxExperimentDuration=0.3, stay_after_done=True).start()
    wait_until(lambda: _status(h) == "DONE", 10)
    assert {t.status for t in h.reader().trials()} == {"SYS_CANCELED"}
    h.manager.control.send(UpdateMaxDuration(60)).result(5)
    wait_until(lambda: _status(h) == "DONE" and h.reader().trial_count() == 4, 10)
    assert [t.status for t in h.reader().trials()][2:] == ["SUCCEEDED", "SUCCEEDED"]


def test_an_exhausted_tuner_or_a_spent_budget_stays_done(harness, tuner_cls) -> None:
    h = harness(FakePlatform(_quick), tuner_cls(limit=2), maxTrialNumber=10, stay_after_done=True).start()
    wait_until(lambda: _status(h) == "DONE", 10)
    h.manager.control.send(UpdateMaxTrialNumber(20)).result(5)  # the tuner has no more: nothing to run
    h.manager.control.send(UpdateMaxDuration(3600)).result(5)
    assert _status(h) == "DONE" and h.reader().trial_count() == 2
    h2 = harness(FakePlatform(_quick), tuner_cls(), maxTrialNumber=2, stay_after_done=True).start()
    wait_until(lambda: _status(h2) == "DONE", 10)
    h2.manager.control.send(UpdateMaxDuration(3600)).result(5)  # the trial budget is still spent
    assert _status(h2) == "DONE" and h2.reader().trial_count() == 2


def test_without_stay_after_done_run_returns_at_done(harness, tuner_cls) -> None:
    platform = FakePlatform(_quick)
    h = harness(platform, tuner_cls(), maxTrialNumber=2).start()
    assert h.join() == "DONE" and platform.stopped
    with pytest.raises(NNIError, match="has ended"):
        h.manager.control.send(UpdateMaxTrialNumber(3)).result(5)
