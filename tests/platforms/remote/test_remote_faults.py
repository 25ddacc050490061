"""Faults against real sshd: dropped connections, a machine killed mid-trial, a link cut and restored,
and a platform restart that re-attaches running trials."""

from __future__ import annotations

import logging
import os
import signal
import time

import pytest

from nni.platforms.base import TrialExited, TrialMetric, TrialStarted, TrialWaiting
from nni.platforms.remote import MachineSpec
from nni.testing import pid_alive

from .remote_helpers import Events, job, make_code_dir, new_experiment_id, platform, root_machine

pytestmark = pytest.mark.ssh

ALL_METRICS = lambda steps: [("PERIODICAL", i) for i in range(steps)] + [("FINAL", 0)]  # noqa: E731


def _metric_keys(events: Events, tid: str) -> list[tuple[str, int]]:
    return [(m.record.type, m.record.sequence) for m in events.of(TrialMetric, tid)]


def _status(plat, key: str) -> dict:
    return next(m for m in plat.machine_status() if f"{m['user']}@{m['host']}:{m['port']}" == key)


def test_dropped_connection_reconnects_and_reattaches(ssh_world, fresh_machine, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="nni.platforms.remote")
    code = make_code_dir(tmp_path)
    a = root_machine(ssh_world, fresh_machine)
    plat = platform([a], code, tmp_path)
    events = Events()
    plat.start(events)
    try:
        plat.submit(job("drop1", 0, steps=8, sleep=0.25))
        events.wait(lambda items: len(events.of(TrialMetric, "drop1")) >= 2, 30)
        fresh_machine.drop_connections()
        events.wait(lambda items: bool(events.of(TrialExited, "drop1")), 30)
        status = _status(plat, a.key)
    finally:
        plat.stop()
    assert [e.status for e in events.of(TrialExited, "drop1")] == ["SUCCEEDED"]
    assert _metric_keys(events, "drop1") == ALL_METRICS(8)  # every record exactly once
    assert len(events.of(TrialStarted, "drop1")) == 1
    assert status["connections"] == 2  # the one reconnect, no connection per poll
    # the code went up once; the reconnect found it there
    assert caplog.text.count("uploaded the trial code") == 1
    assert caplog.text.count("trial code already uploaded") == 1


def test_machine_killed_mid_trial_fails_its_trials_and_goes_on(ssh_world, machine_a, fresh_machine, tmp_path):
    code = make_code_dir(tmp_path)
    doomed = root_machine(ssh_world, fresh_machine)
    good = root_machine(ssh_world, machine_a)
    plat = platform([doomed, good], code, tmp_path, max_trials_per_machine=1, unreachable_timeout=2.0)
    events = Events()
    plat.start(events)
    try:
        events.wait(lambda items: all(m["connected"] for m in plat.machine_status()), 30)
        plat.submit(job("onbad", 0, steps=1000, sleep=0.1))
        plat.submit(job("ongood", 1, steps=12, sleep=0.25))
        events.wait(lambda items: len(events.of(TrialStarted)) == 2, 30)
        assert events.of(TrialStarted, "onbad")[0].handle["machine"] == doomed.key
        t0 = time.monotonic()
        fresh_machine.stop()  # the machine dies: sshd and everything under it, trials included
        events.wait(lambda items: bool(events.of(TrialExited, "onbad")), 30)
        failed_after = time.monotonic() - t0
        plat.submit(job("after", 2, steps=2, sleep=0.05))
        events.wait(lambda items: len(events.of(TrialExited)) == 3, 60)
    finally:
        plat.stop()
    bad = events.of(TrialExited, "onbad")[0]
    assert bad.status == "FAILED" and "unreachable" in bad.reason and doomed.key in bad.reason
    assert failed_after < 15
    assert [e.status for e in events.of(TrialExited, "ongood")] == ["SUCCEEDED"]
    assert _metric_keys(events, "ongood") == ALL_METRICS(12)
    assert events.of(TrialStarted, "after")[0].handle["machine"] == good.key
    assert [e.status for e in events.of(TrialExited, "after")] == ["SUCCEEDED"]
    reasons = [w.reason for w in events.of(TrialWaiting, "after")]
    assert all(doomed.key in r and "unreachable" in r for r in reasons), reasons


def test_machine_lost_resubmits_elsewhere_when_configured(ssh_world, machine_a, fresh_machine, tmp_path):
    code = make_code_dir(tmp_path)
    doomed = root_machine(ssh_world, fresh_machine)
    good = root_machine(ssh_world, machine_a)
    plat = platform([doomed, good], code, tmp_path, max_trials_per_machine=1, unreachable_timeout=1.5,
                    on_machine_lost="resubmit")
    events = Events()
    plat.start(events)
    try:
        events.wait(lambda items: all(m["connected"] for m in plat.machine_status()), 30)
        plat.submit(job("moved", 0, steps=4, sleep=0.25))
        events.wait(lambda items: bool(events.of(TrialMetric, "moved")), 30)
        fresh_machine.stop()
        events.wait(lambda items: bool(events.of(TrialExited, "moved")), 60)
    finally:
        plat.stop()
    started = [e.handle["machine"] for e in events.of(TrialStarted, "moved")]
    assert started == [doomed.key, good.key]
    assert [e.status for e in events.of(TrialExited, "moved")] == ["SUCCEEDED"]


def test_link_cut_and_restored(ssh_world, netns_machine, tmp_path):
    server, ns = netns_machine
    code = make_code_dir(tmp_path)
    m = MachineSpec(host=server.host, port=22, user="root", ssh_key_file=str(ssh_world.root_key),
                    python_path=str(ssh_world.root_python))
    plat = platform([m], code, tmp_path, unreachable_timeout=30.0)
    events = Events()
    plat.start(events)
    try:
        plat.submit(job("cut1", 0, steps=16, sleep=0.25))
        plat.submit(job("cut2", 1, steps=1000, sleep=0.1, child=1))
        events.wait(lambda items: len(events.of(TrialMetric, "cut1")) >= 2
                    and len(events.of(TrialMetric, "cut2")) >= 1, 30)
        victim = events.of(TrialStarted, "cut2")[0].handle
        ns.link(up=False)
        try:
            deadline = time.monotonic() + 15
            while _status(plat, m.key)["connected"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _status(plat, m.key)["connected"], "the cut was not noticed"
            plat.kill("cut2", "USER_CANCELED")  # while the machine is unreachable
            events.wait(lambda items: bool(events.of(TrialExited, "cut2")), 10)
            assert pid_alive(victim["pid"])  # cannot be reached yet...
        finally:
            ns.link(up=True)
        events.wait(lambda items: bool(events.of(TrialExited, "cut1")), 60)
        deadline = time.monotonic() + 15
        while pid_alive(victim["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pid_alive(victim["pid"])  # ...and is killed once the machine is back
        status = _status(plat, m.key)
    finally:
        plat.stop()
    assert [e.status for e in events.of(TrialExited, "cut1")] == ["SUCCEEDED"]
    assert _metric_keys(events, "cut1") == ALL_METRICS(16)
    assert [e.status for e in events.of(TrialExited, "cut2")] == ["USER_CANCELED"]
    assert status["connections"] == 2


def test_machine_lost_then_back_kills_leftovers_and_takes_trials_again(ssh_world, netns_machine, tmp_path):
    server, ns = netns_machine
    code = make_code_dir(tmp_path)
    m = MachineSpec(host=server.host, port=22, user="root", ssh_key_file=str(ssh_world.root_key),
                    python_path=str(ssh_world.root_python))
    plat = platform([m], code, tmp_path, unreachable_timeout=2.0)
    events = Events()
    plat.start(events)
    try:
        plat.submit(job("left1", 0, steps=1000, sleep=0.1))
        events.wait(lambda items: bool(events.of(TrialMetric, "left1")), 30)
        pid = events.of(TrialStarted, "left1")[0].handle["pid"]
        ns.link(up=False)
        try:
            events.wait(lambda items: bool(events.of(TrialExited, "left1")), 30)
            assert pid_alive(pid)  # still running over there, cut off
        finally:
            ns.link(up=True)
        deadline = time.monotonic() + 20
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pid_alive(pid)  # killed when the machine answered again
        plat.submit(job("again1", 1, steps=2, sleep=0.05))
        events.wait(lambda items: bool(events.of(TrialExited, "again1")), 30)
    finally:
        plat.stop()
    lost = events.of(TrialExited, "left1")[0]
    assert lost.status == "FAILED" and "unreachable" in lost.reason
    assert [e.status for e in events.of(TrialExited, "again1")] == ["SUCCEEDED"]


def test_reattach_after_platform_restart(ssh_world, machine_a, tmp_path):
    code = make_code_dir(tmp_path)
    a = root_machine(ssh_world, machine_a)
    exp_id = new_experiment_id()
    gate = tmp_path / "gate"
    first = platform([a], code, tmp_path, experiment_id=exp_id)
    events1 = Events()
    first.start(events1)
    trial = job("re1", 0, steps=3, sleep=0.05, wait_file=str(gate))
    try:
        first.submit(trial)
        events1.wait(lambda items: len(events1.of(TrialMetric, "re1")) >= 1, 30)
        handle = events1.of(TrialStarted, "re1")[0].handle
        offset = events1.of(TrialMetric, "re1")[-1].offset
    finally:
        first.detach()  # the manager goes away; the trial keeps running
    assert pid_alive(handle["pid"])
    second = platform([a], code, tmp_path, experiment_id=exp_id)
    events2 = Events()
    second.start(events2)
    try:
        trial.metrics_offset = offset
        assert second.reattach(trial, handle) is True
        gone = job("gone1", 1)
        assert second.reattach(gone, {**handle, "trial_dir": handle["trial_dir"] + "-missing"}) is False
        gate.write_text("go")
        events2.wait(lambda items: bool(events2.of(TrialExited, "re1")), 30)
    finally:
        second.stop()
    assert [e.status for e in events2.of(TrialExited, "re1")] == ["SUCCEEDED"]
    # only the records after the offset the manager had consumed
    assert _metric_keys(events2, "re1") == [("PERIODICAL", 1), ("PERIODICAL", 2), ("FINAL", 0)]
    assert not events2.of(TrialStarted)
    assert not events2.of(TrialExited, "gone1")


def test_reattach_to_a_machine_that_is_down_does_not_hold_the_resume(ssh_world, fresh_machine, tmp_path):
    code = make_code_dir(tmp_path)
    spec = root_machine(ssh_world, fresh_machine)
    exp_id = new_experiment_id()
    first = platform([spec], code, tmp_path, experiment_id=exp_id)
    events1 = Events()
    first.start(events1)
    trial = job("down1", 0, steps=1000, sleep=0.1)
    try:
        first.submit(trial)
        events1.wait(lambda items: bool(events1.of(TrialMetric, "down1")), 30)
        handle = events1.of(TrialStarted, "down1")[0].handle
    finally:
        first.detach()
    fresh_machine.stop()  # the listener goes; the detached trial lives on
    try:
        second = platform([spec], code, tmp_path, experiment_id=exp_id, unreachable_timeout=2.0)
        events2 = Events()
        second.start(events2)
        try:
            events2.wait(lambda items: bool(second.machine_status()[0]["last_error"]), 20)
            t0 = time.monotonic()
            assert second.reattach(trial, handle) is True
            assert time.monotonic() - t0 < 2
            events2.wait(lambda items: bool(events2.of(TrialExited, "down1")), 20)
        finally:
            second.stop()
        lost = events2.of(TrialExited, "down1")[0]
        assert lost.status == "FAILED" and "unreachable" in lost.reason
    finally:
        if pid_alive(handle["pid"]):
            os.killpg(handle["pid"], signal.SIGKILL)
