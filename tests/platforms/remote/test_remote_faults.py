"""Faults against real sshd: dropped connections, a machine killed mid-trial, a link cut and restored,
and a platform restart that re-attaches running trials."""

from __future__ import annotations

import logging
import os
import signal
import time

import pytest

from nni.platforms.base import TrialExited, TrialMetric, TrialStarted, TrialWaiting
from nni.testing import EventLog, pid_alive, wait_until

from .remote_helpers import job, make_code_dir, new_experiment_id, platform, root_machine

pytestmark = pytest.mark.ssh

ALL_METRICS = lambda steps: [("PERIODICAL", i) for i in range(steps)] + [("FINAL", 0)]  # noqa: E731


def _metric_keys(events: EventLog, tid: str) -> list[tuple[str, int]]:
    return [(m.record.type, m.record.sequence) for m in events.of(tid, TrialMetric)]


def _status(plat, key: str) -> dict:
    return next(m for m in plat.machine_status() if f"{m['user']}@{m['host']}:{m['port']}" == key)


def test_dropped_connection_reconnects_and_reattaches(ssh_world, fresh_machine, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="nni.platforms.remote")
    code = make_code_dir(tmp_path)
    a = root_machine(ssh_world, fresh_machine)
    plat = platform([a], code, tmp_path)
    events = EventLog()
    plat.start(events)
    try:
        plat.submit(job("drop1", 0, steps=8, sleep=0.25, tb=True))
        events.wait(lambda: len(events.of("drop1", TrialMetric)) >= 2, 30)
        fresh_machine.drop_connections()
        events.wait(lambda: bool(events.of("drop1", TrialExited)), 30)
        status = _status(plat, a.key)
        remote_dir = events.of("drop1", TrialStarted)[0].handle["trial_dir"]
    finally:
        plat.stop()
    # the TensorBoard file streamed across the reconnect is whole when the exit is reported
    event_file = os.path.join("tensorboard", "run", "events.out.tfevents.1")
    with open(os.path.join(remote_dir, event_file), "rb") as f:
        expected = f.read()
    assert len(expected) == 8 * 100000
    with open(os.path.join(tmp_path, "exp", "trials", "drop1", event_file), "rb") as f:
        assert f.read() == expected
    assert [e.status for e in events.of("drop1", TrialExited)] == ["SUCCEEDED"]
    assert _metric_keys(events, "drop1") == ALL_METRICS(8)  # every record exactly once
    assert len(events.of("drop1", TrialStarted)) == 1
    assert status["connections"] == 2  # the one reconnect, no connection per poll
    # the code went up once; the reconnect found it there
    assert caplog.text.count("uploaded the trial code") == 1
    assert caplog.text.count("trial code already uploaded") == 1


def test_machine_killed_mid_trial_fails_its_trials_and_goes_on(ssh_world, machine_a, fresh_machine, tmp_path):
    code = make_code_dir(tmp_path)
    doomed = root_machine(ssh_world, fresh_machine)
    good = root_machine(ssh_world, machine_a)
    plat = platform([doomed, good], code, tmp_path, max_trials_per_machine=1, unreachable_timeout=2.0)
    events = EventLog()
    plat.start(events)
    try:
        events.wait(lambda: all(m["connected"] for m in plat.machine_status()), 30)
        plat.submit(job("onbad", 0, steps=1000, sleep=0.1))
        plat.submit(job("ongood", 1, steps=12, sleep=0.25))
        events.wait(lambda: len(events.of(kind=TrialStarted)) == 2, 30)
        assert events.of("onbad", TrialStarted)[0].handle["machine"] == doomed.key
        t0 = time.monotonic()
        fresh_machine.stop()  # the machine dies: sshd and everything under it, trials included
        events.wait(lambda: bool(events.of("onbad", TrialExited)), 30)
        failed_after = time.monotonic() - t0
        plat.submit(job("after", 2, steps=2, sleep=0.05))
        events.wait(lambda: len(events.of(kind=TrialExited)) == 3, 60)
    finally:
        plat.stop()
    bad = events.of("onbad", TrialExited)[0]
    assert bad.status == "FAILED" and "unreachable" in bad.reason and doomed.key in bad.reason
    assert failed_after < 15
    assert [e.status for e in events.of("ongood", TrialExited)] == ["SUCCEEDED"]
    assert _metric_keys(events, "ongood") == ALL_METRICS(12)
    assert events.of("after", TrialStarted)[0].handle["machine"] == good.key
    assert [e.status for e in events.of("after", TrialExited)] == ["SUCCEEDED"]
    reasons = [w.reason for w in events.of("after", TrialWaiting)]
    assert all(doomed.key in r and "unreachable" in r for r in reasons), reasons


def test_machine_lost_resubmits_elsewhere_when_configured(ssh_world, machine_a, fresh_machine, tmp_path):
    code = make_code_dir(tmp_path)
    doomed = root_machine(ssh_world, fresh_machine)
    good = root_machine(ssh_world, machine_a)
    plat = platform([doomed, good], code, tmp_path, max_trials_per_machine=1, unreachable_timeout=1.5,
                    on_machine_lost="resubmit")
    events = EventLog()
    plat.start(events)
    try:
        events.wait(lambda: all(m["connected"] for m in plat.machine_status()), 30)
        plat.submit(job("moved", 0, steps=4, sleep=0.25))
        events.wait(lambda: bool(events.of("moved", TrialMetric)), 30)
        fresh_machine.stop()
        events.wait(lambda: bool(events.of("moved", TrialExited)), 60)
    finally:
        plat.stop()
    started = [e.handle["machine"] for e in events.of("moved", TrialStarted)]
    assert started == [doomed.key, good.key]
    assert [e.status for e in events.of("moved", TrialExited)] == ["SUCCEEDED"]


def test_link_cut_and_restored(ssh_world, netns_machine, tmp_path):
    server, ns = netns_machine
    code = make_code_dir(tmp_path)
    m = root_machine(ssh_world, server)  # port 22 in its namespace
    plat = platform([m], code, tmp_path, unreachable_timeout=30.0)
    events = EventLog()
    plat.start(events)
    try:
        plat.submit(job("cut1", 0, steps=16, sleep=0.25))
        plat.submit(job("cut2", 1, steps=1000, sleep=0.1, child=1))
        events.wait(lambda: len(events.of("cut1", TrialMetric)) >= 2
                    and len(events.of("cut2", TrialMetric)) >= 1, 30)
        victim = events.of("cut2", TrialStarted)[0].handle
        ns.link(up=False)
        try:
            wait_until(lambda: not _status(plat, m.key)["connected"], 15, "the cut to be noticed")
            plat.kill("cut2", "USER_CANCELED")  # while the machine is unreachable
            events.wait(lambda: bool(events.of("cut2", TrialExited)), 10)
            assert pid_alive(victim["pid"])  # cannot be reached yet...
        finally:
            ns.link(up=True)
        events.wait(lambda: bool(events.of("cut1", TrialExited)), 60)
        # ...and is killed once the machine is back
        wait_until(lambda: not pid_alive(victim["pid"]), 15, "the trial to be killed once the machine is back")
        status = _status(plat, m.key)
    finally:
        plat.stop()
    assert [e.status for e in events.of("cut1", TrialExited)] == ["SUCCEEDED"]
    assert _metric_keys(events, "cut1") == ALL_METRICS(16)
    assert [e.status for e in events.of("cut2", TrialExited)] == ["USER_CANCELED"]
    assert status["connections"] == 2


def test_machine_lost_then_back_kills_leftovers_and_takes_trials_again(ssh_world, netns_machine, tmp_path):
    server, ns = netns_machine
    code = make_code_dir(tmp_path)
    m = root_machine(ssh_world, server)  # port 22 in its namespace
    plat = platform([m], code, tmp_path, unreachable_timeout=2.0)
    events = EventLog()
    plat.start(events)
    try:
        plat.submit(job("left1", 0, steps=1000, sleep=0.1))
        events.wait(lambda: bool(events.of("left1", TrialMetric)), 30)
        pid = events.of("left1", TrialStarted)[0].handle["pid"]
        ns.link(up=False)
        try:
            events.wait(lambda: bool(events.of("left1", TrialExited)), 30)
            assert pid_alive(pid)  # still running over there, cut off
        finally:
            ns.link(up=True)
        wait_until(lambda: not pid_alive(pid), 20, "the leftover trial to be killed when the machine answers again")
        plat.submit(job("again1", 1, steps=2, sleep=0.05))
        events.wait(lambda: bool(events.of("again1", TrialExited)), 30)
    finally:
        plat.stop()
    lost = events.of("left1", TrialExited)[0]
    assert lost.status == "FAILED" and "unreachable" in lost.reason
    assert [e.status for e in events.of("again1", TrialExited)] == ["SUCCEEDED"]


def test_reattach_after_platform_restart(ssh_world, machine_a, tmp_path):
    code = make_code_dir(tmp_path)
    a = root_machine(ssh_world, machine_a)
    exp_id = new_experiment_id()
    gate = tmp_path / "gate"
    first = platform([a], code, tmp_path, experiment_id=exp_id)
    events1 = EventLog()
    first.start(events1)
    trial = job("re1", 0, steps=3, sleep=0.05, wait_file=str(gate))
    try:
        first.submit(trial)
        events1.wait(lambda: len(events1.of("re1", TrialMetric)) >= 1, 30)
        handle = events1.of("re1", TrialStarted)[0].handle
        offset = events1.of("re1", TrialMetric)[-1].offset
    finally:
        first.detach()  # the manager goes away; the trial keeps running
    assert pid_alive(handle["pid"])
    second = platform([a], code, tmp_path, experiment_id=exp_id)
    events2 = EventLog()
    second.start(events2)
    try:
        trial.metrics_offset = offset
        assert second.reattach(trial, handle) is True
        gone = job("gone1", 1)
        assert second.reattach(gone, {**handle, "trial_dir": handle["trial_dir"] + "-missing"}) is False
        gate.write_text("go")
        events2.wait(lambda: bool(events2.of("re1", TrialExited)), 30)
    finally:
        second.stop()
    assert [e.status for e in events2.of("re1", TrialExited)] == ["SUCCEEDED"]
    # only the records after the offset the manager had consumed
    assert _metric_keys(events2, "re1") == [("PERIODICAL", 1), ("PERIODICAL", 2), ("FINAL", 0)]
    assert not events2.of(kind=TrialStarted)
    assert not events2.of("gone1", TrialExited)


def test_reattach_to_a_machine_that_is_down_does_not_hold_the_resume(ssh_world, fresh_machine, tmp_path):
    code = make_code_dir(tmp_path)
    spec = root_machine(ssh_world, fresh_machine)
    exp_id = new_experiment_id()
    first = platform([spec], code, tmp_path, experiment_id=exp_id)
    events1 = EventLog()
    first.start(events1)
    trial = job("down1", 0, steps=1000, sleep=0.1)
    try:
        first.submit(trial)
        events1.wait(lambda: bool(events1.of("down1", TrialMetric)), 30)
        handle = events1.of("down1", TrialStarted)[0].handle
    finally:
        first.detach()
    fresh_machine.stop()  # the listener goes; the detached trial lives on
    try:
        second = platform([spec], code, tmp_path, experiment_id=exp_id, unreachable_timeout=2.0)
        events2 = EventLog()
        second.start(events2)
        try:
            events2.wait(lambda: bool(second.machine_status()[0]["last_error"]), 20)
            t0 = time.monotonic()
            assert second.reattach(trial, handle) is True
            assert time.monotonic() - t0 < 2
            events2.wait(lambda: bool(events2.of("down1", TrialExited)), 20)
        finally:
            second.stop()
        lost = events2.of("down1", TrialExited)[0]
        assert lost.status == "FAILED" and "unreachable" in lost.reason
    finally:
        if pid_alive(handle["pid"]):
            os.killpg(handle["pid"], signal.SIGKILL)
