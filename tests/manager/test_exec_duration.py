"""The experiment's running time (NNI's ``execDuration``) goes on while trials run, not only when one ends,
and a stored experiment whose manager is gone shows the time it had when it stopped."""

from __future__ import annotations

from fastapi.testclient import TestClient

from nni.rest import create_app
from nni.storage import open_reader
from nni.testing import wait_until
from nni.testing.fake_platform import Exit, FakePlatform, Final, Gate


def _exec_duration(folder, control) -> int:  # type: ignore[no-untyped-def]
    with open_reader(folder) as reader, TestClient(create_app(experiment_dir=folder, store_reader=reader,
                                                              control=control)) as client:
        return client.get("/api/v1/nni/experiment").json()["execDuration"]


def test_exec_duration_counts_while_a_trial_runs_and_stops_with_the_manager(harness, tuner_cls) -> None:
    # trial 0 ends at once (the manager records its clock then), trial 1 runs until the test lets it end
    platform = FakePlatform(lambda job: [Final(0.5), Exit(0)] if job.sequence_id == 0 else [Gate(), Final(0.7), Exit(0)])
    h = harness(platform, tuner_cls(), maxTrialNumber=2, trialConcurrency=1).start()
    # trial 0's end recorded the clock in the transaction that ended it; nothing records it again until the end
    wait_until(lambda: [t.status for t in h.reader().trials()] == ["SUCCEEDED", "RUNNING"], 10)
    at_first_end = h.reader().profile().stats["elapsed"]
    assert at_first_end < 2
    wait_until(lambda: _exec_duration(h.dir, h.manager.control) >= at_first_end + 2, 10,
               "execDuration to go on while trial 1 runs")
    profile = h.reader().profile()
    assert profile.stats["clockRunning"] is True
    # read from the store alone (a view, or nnictl on a dead manager): the last recorded time, not a clock
    assert _exec_duration(h.dir, None) == int(profile.stats["elapsed"])

    platform.open_all()
    assert h.join() == "DONE"
    done = h.reader().profile()
    assert done.stats["clockRunning"] is False and done.stats["elapsed"] >= at_first_end + 2
    later = done.stats["elapsedAt"] + 3600
    assert done.running_seconds(later, live=True) == done.stats["elapsed"]  # time DONE does not count
