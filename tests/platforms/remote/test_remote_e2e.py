"""The remote platform against real sshd instances on loopback: two machines, key and password login."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nni.errors import NNIError
from nni.platforms.base import TrialExited, TrialMetric, TrialStarted, TrialWaiting
from nni.platforms.remote import MachineSpec, clean
from nni.testing import EventLog, pid_alive

from .remote_helpers import job, make_code_dir, platform, root_machine, user_machine

pytestmark = pytest.mark.ssh


def _exited(events: EventLog, n: int):
    return lambda: len(events.of(kind=TrialExited)) >= n


def _remote_path(plat, trial_id: str, name: str) -> Path:
    handle = _handle(plat, trial_id)
    return Path(handle["trial_dir"]) / name


def _handle(plat, trial_id: str) -> dict:
    return next(e.handle for e in plat._test_events.of(trial_id, TrialStarted))


def test_two_machines_key_and_password(ssh_world, machine_a, machine_b, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    code = make_code_dir(tmp_path)
    a = root_machine(ssh_world, machine_a)
    b = user_machine(ssh_world, machine_b)
    plat = platform([a, b], code, tmp_path, max_trials_per_machine=2)
    events = EventLog()
    plat._test_events = events
    plat.start(events)
    try:
        ids = [f"t{i:04d}" for i in range(6)]
        for i, tid in enumerate(ids):
            plat.submit(job(tid, i, steps=3, sleep=0.3, lr=0.1 * i))
        # while the first four run, stdout is readable over the same connection
        events.wait(lambda: events.of(kind=TrialMetric), 30, "a first metric")
        started = events.of(kind=TrialMetric)[0].trial_job_id  # it printed before reporting
        assert b"hello from trial" in plat.read_file(started, "stdout")
        assert b"launching on" in plat.read_file(started, "trial.log")
        assert b"a warning" in plat.read_file(started, "stderr")
        events.wait(_exited(events, 6), 60)
        env = json.loads(plat.read_file(ids[0], "env.json"))
    finally:
        plat.stop()

    waiting = events.of(kind=TrialWaiting)
    full = [w for w in waiting if "full (2/2 trials)" in w.reason]
    assert full, f"six trials on two machines of two slots each: some must wait; got {waiting}"
    machines_used = {e.handle["machine"] for e in events.of(kind=TrialStarted)}
    assert machines_used == {a.key, b.key}
    for tid in ids:
        exited = events.of(tid, TrialExited)
        assert [e.status for e in exited] == ["SUCCEEDED"], exited
        assert exited[0].exit_code == 0
        metrics = events.of(tid, TrialMetric)
        assert [(m.record.type, m.record.sequence) for m in metrics] == [
            ("PERIODICAL", 0), ("PERIODICAL", 1), ("PERIODICAL", 2), ("FINAL", 0)]
        assert metrics[-1].record.value == {"default": 4.5, "other": 1}
        offsets = [m.offset for m in metrics]
        assert offsets == sorted(offsets) and len(set(offsets)) == 4
        # order: started, metrics, exited
        kinds = [type(e).__name__ for e in events.events if getattr(e, "trial_job_id", None) == tid
                 and not isinstance(e, TrialWaiting)]
        assert kinds[0] == "TrialStarted" and kinds[-1] == "TrialExited"
    # logs, parameters and metrics were copied back into the local experiment folder before each exit
    for tid in ids:
        local = tmp_path / "exp" / "trials" / tid
        assert b"hello from trial" in (local / "stdout").read_bytes()
        assert b"a warning" in (local / "stderr").read_bytes()
        assert b"exit code 0" in (local / "trial.log").read_bytes()
        assert len((local / ".nni" / "metrics").read_bytes().splitlines()) == 4
        assert json.loads((local / "parameter.cfg").read_text())["parameters"]["steps"] == 3
    # the environment and parameter file the trial saw
    sample = ids[0]
    handle = _handle(plat, sample)
    assert env == json.loads(_remote_path(plat, sample, "env.json").read_text())
    assert env["NNI_PLATFORM"] == "remote"
    assert env["NNI_TRIAL_JOB_ID"] == sample
    assert env["NNI_EXP_ID"] == plat.experiment_id
    assert env["NNI_SYS_DIR"] == env["NNI_OUTPUT_DIR"] == handle["trial_dir"]
    assert env["NNI_TRIAL_SEQ_ID"] == "0"
    assert env["cwd"] == env["NNI_CODE_DIR"] == handle["code_dir"]
    assert "CUDA_VISIBLE_DEVICES" not in env
    assert env["params"] == {"steps": 3, "sleep": 0.3, "lr": 0.0}
    machine = next(m for m in (a, b) if m.key == handle["machine"])
    assert env["PATH"].startswith(machine.python_path + ":")  # pythonPath comes first
    assert env["python"].startswith(str(Path(machine.python_path).parent))  # the venv's python ran it
    # one connection per machine, reused for everything
    assert [m["connections"] for m in plat.machine_status()] == [1, 1]
    # .nniignore honoured on the remote copy (machine A's folder is readable here)
    handle_a = next(e.handle for e in events.of(kind=TrialStarted) if e.handle["machine"] == a.key)
    remote_code = Path(handle_a["code_dir"])
    files = sorted(str(p.relative_to(remote_code)) for p in remote_code.rglob("*") if p.is_file())
    assert files == [".nni_code_digest", ".nniignore", "keep.ckpt", "sub/top_only.txt", "trial.py"]
    # secrets never in logs, events or handles
    everything = caplog.text + repr(events.events) + repr(plat.machine_status()) + repr(b)
    assert ssh_world.password not in everything
    assert "password" not in repr(b).lower() or ssh_world.password not in repr(b)


def test_passphrase_key_failure_exit_and_kill(ssh_world, machine_a, tmp_path):
    code = make_code_dir(tmp_path)
    a = MachineSpec(host=machine_a.host, port=machine_a.port, user="root", ssh_key_file=str(ssh_world.pass_key),
                    passphrase=ssh_world.passphrase, python_path=str(ssh_world.root_python))
    plat = platform([a], code, tmp_path)
    events = EventLog()
    plat._test_events = events
    plat.start(events)
    try:
        plat.submit(job("fail1", 0, steps=1, exit=3))
        plat.submit(job("kill1", 1, steps=1000, sleep=0.1, child=1))
        plat.submit(job("badcmd", 2, command="definitely-not-a-command-xyz"))
        events.wait(lambda: len(events.of("kill1", TrialMetric)) >= 2, 30)
        child_pid = int(_remote_path(plat, "kill1", "child.pid").read_text())
        trial_pid = _handle(plat, "kill1")["pid"]
        assert pid_alive(child_pid) and pid_alive(trial_pid)
        plat.kill("kill1", "EARLY_STOPPED")
        events.wait(_exited(events, 3), 30)
        # the whole process group is gone: the trial's own child too
        assert not pid_alive(child_pid) and not pid_alive(trial_pid)
    finally:
        plat.stop()
    assert [(e.status, e.exit_code) for e in events.of("fail1", TrialExited)] == [("FAILED", 3)]
    assert len(events.of("fail1", TrialMetric)) == 2  # its records still arrived
    assert [e.status for e in events.of("kill1", TrialExited)] == ["EARLY_STOPPED"]
    bad = events.of("badcmd", TrialExited)
    assert [(e.status, e.exit_code) for e in bad] == [("FAILED", 127)]


def test_max_duration_and_stop_leave_nothing_behind(ssh_world, machine_a, machine_b, tmp_path):
    code = make_code_dir(tmp_path)
    plat = platform([root_machine(ssh_world, machine_a), user_machine(ssh_world, machine_b)], code, tmp_path)
    events = EventLog()
    plat._test_events = events
    plat.start(events)
    try:
        plat.submit(job("slow1", 0, steps=1000, sleep=0.1, max_duration=1.5))
        plat.submit(job("long1", 1, steps=1000, sleep=0.1, child=1))
        plat.submit(job("long2", 2, steps=1000, sleep=0.1))
        events.wait(lambda: len(events.of(kind=TrialStarted)) == 3, 30)
        events.wait(lambda: bool(events.of("slow1", TrialExited)), 20)
        assert events.of("slow1", TrialExited)[0].status == "SYS_CANCELED"
        events.wait(lambda: len(events.of("long1", TrialMetric)) >= 1, 30)
        pids = [_handle(plat, t)["pid"] for t in ("long1", "long2")]
        assert all(pid_alive(p) for p in pids)
    finally:
        t0 = time.monotonic()
        plat.stop()
        stop_s = time.monotonic() - t0
    assert [e.status for e in events.of("long1", TrialExited)] == ["USER_CANCELED"]
    assert [e.status for e in events.of("long2", TrialExited)] == ["USER_CANCELED"]
    assert not any(pid_alive(p) for p in pids)
    assert stop_s < 10
    # stopped: the local copies of the logs still answer
    assert b"hello from trial long1" in plat.read_file("long1", "stdout")
    with pytest.raises(NNIError, match="stopped"):
        plat.read_file("long1", "env.json")  # written by the trial, only on its machine
    # no agent and no connection left on either machine
    time.sleep(0.5)
    assert machine_a.connection_pids() == [] and machine_b.connection_pids() == []


def test_gpu_scheduling_with_discovered_gpus(ssh_world, machine_a, tmp_path):
    fake = tmp_path / "fakegpu"
    fake.mkdir()
    apps = fake / "apps.txt"
    apps.write_text("GPU-ccc, 4242\n")  # someone else's process holds GPU 2
    script = fake / "nvidia-smi"
    script.write_text('#!/bin/sh\ncase "$*" in\n  *query-gpu*) printf "0, GPU-aaa\\n1, GPU-bbb\\n2, GPU-ccc\\n";;\n'
                      f'  *query-compute-apps*) cat {apps};;\nesac\n')
    script.chmod(0o755)
    code = make_code_dir(tmp_path)
    a = MachineSpec(host=machine_a.host, port=machine_a.port, user="root", ssh_key_file=str(ssh_world.root_key),
                    python_path=f"{ssh_world.root_python}:{fake}", gpu_indices=(0, 1, 2))
    plat = platform([a], code, tmp_path, gpu_recheck_interval=0.3)
    events = EventLog()
    plat._test_events = events
    plat.start(events)
    try:
        plat.submit(job("toomany", 9, gpu_number=4))
        events.wait(lambda: bool(events.of("toomany", TrialExited)), 30)
        for i in range(3):
            plat.submit(job(f"gpu{i}", i, gpu_number=1, steps=3, sleep=1.0))
        events.wait(lambda: any("0 of 3 GPUs free" in w.reason for w in events.of("gpu2", TrialWaiting)), 30)
        assert not events.of("gpu2", TrialStarted)
        apps.write_text("")  # GPU 2 is free now: the waiting trial gets it without waiting for the others
        events.wait(lambda: bool(events.of("gpu2", TrialStarted)), 30)
        assert not [e for e in events.of(kind=TrialExited) if e.trial_job_id.startswith("gpu")]
        events.wait(_exited(events, 4), 60)
    finally:
        plat.stop()
    toomany = events.of("toomany", TrialExited)[0]
    assert toomany.status == "FAILED" and "needs 4 GPUs" in toomany.reason
    devices = {}
    for i in range(3):
        tid = f"gpu{i}"
        assert events.of(tid, TrialExited)[0].status == "SUCCEEDED"
        env = json.loads(_remote_path(plat, tid, "env.json").read_text())
        devices[tid] = env["CUDA_VISIBLE_DEVICES"]
        assert events.of(tid, TrialStarted)[0].handle["gpus"] == [int(devices[tid])]
    # GPU 2 was skipped while another process used it (useActiveGpu false), then taken once free
    assert devices == {"gpu0": "0", "gpu1": "1", "gpu2": "2"}


@pytest.mark.parametrize("sftp", [True, False], ids=["sftp", "no-sftp"])
def test_many_trials_on_a_machine_allowing_two_sessions(ssh_world, tmp_path, sftp):
    """NNI's remote platform failed to open channels at concurrency 8; here every trial, metric and log of
    16 concurrent trials travels over one connection that sshd allows only two sessions on (and, on a
    server without the SFTP subsystem, files go through the shell)."""
    server = ssh_world.sshd(max_sessions=2, sftp=sftp)
    try:
        code = make_code_dir(tmp_path)
        plat = platform([root_machine(ssh_world, server)], code, tmp_path)
        events = EventLog()
        plat._test_events = events
        plat.start(events)
        try:
            ids = [f"m{i:04d}" for i in range(16)]
            for i, tid in enumerate(ids):
                plat.submit(job(tid, i, steps=3, sleep=0.2))
            events.wait(lambda: len(events.of(kind=TrialStarted)) == 16, 60)
            with ThreadPoolExecutor(8) as pool:  # many readers at once (web UI, nnictl) while they all run
                # (without SFTP each read is a shell command, slow under root's pyenv .bashrc: read fewer)
                logs = list(pool.map(lambda tid: plat.read_file(tid, "parameter.cfg"), ids if sftp else ids[:4]))
            events.wait(_exited(events, 16), 60)
            status = plat.machine_status()[0]
        finally:
            plat.stop()
    finally:
        server.stop()
        ssh_world.started.remove(server)
    assert all(json.loads(text)["parameters"]["steps"] == 3 for text in logs)
    assert {e.status for e in events.of(kind=TrialExited)} == {"SUCCEEDED"}
    assert all(len(events.of(tid, TrialMetric)) == 4 for tid in ids)
    assert status["connections"] == 1


def test_platform_clean_removes_finished_experiment_folders_only(ssh_world, machine_b, tmp_path):
    root = ssh_world.user_home / "nni-experiments"
    done, running, foreign = root / "cleandone", root / "cleanbusy", root / "notours"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        for folder in (done, running, foreign):
            (folder / "trials" / "t1" / ".nni").mkdir(parents=True, exist_ok=True)
        (done / ".nni_agent.py").write_text("")
        (done / "trials" / "t1" / ".nni" / "pid").write_text("999999 0\n")
        (done / "trials" / "t1" / ".nni" / "exitcode").write_text("0\n")
        (running / ".nni_agent.py").write_text("")
        (running / "trials" / "t1" / ".nni" / "pid").write_text(f"{sleeper.pid} 0\n")
        subprocess.run(["chown", "-R", f"{ssh_world.user}:{ssh_world.user}", str(root)], check=True)
        os.chown(running / "trials" / "t1" / ".nni" / "pid", 0, 0)
        service = {"platform": "remote", "machineList": [
            {"host": machine_b.host, "port": machine_b.port, "user": ssh_world.user, "password": ssh_world.password}]}
        text = clean(service)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not done.exists() and running.exists() and foreign.exists()
    assert re.search(r"removed [1-9]\d* experiment folder", text) and "kept cleanbusy" in text
    assert ssh_world.password not in text
    shutil.rmtree(running)
    shutil.rmtree(foreign)


def test_same_trial_run_again_starts_clean(ssh_world, machine_a, tmp_path):
    """The manager runs a trial again under its id (reattach found it gone): a fresh run, fresh records."""
    code = make_code_dir(tmp_path)
    plat = platform([root_machine(ssh_world, machine_a)], code, tmp_path)
    events = EventLog()
    plat._test_events = events
    plat.start(events)
    try:
        plat.submit(job("twice", 0, steps=2, sleep=0.05))
        events.wait(_exited(events, 1), 30)
        plat.submit(job("twice", 0, steps=3, sleep=0.05))
        events.wait(_exited(events, 2), 30)
        assert b"exit code 0" in plat.read_file("twice", "trial.log")
    finally:
        plat.stop()
    assert [e.status for e in events.of("twice", TrialExited)] == ["SUCCEEDED", "SUCCEEDED"]
    keys = [(m.record.type, m.record.sequence) for m in events.of("twice", TrialMetric)]
    assert keys == [("PERIODICAL", 0), ("PERIODICAL", 1), ("FINAL", 0),
                    ("PERIODICAL", 0), ("PERIODICAL", 1), ("PERIODICAL", 2), ("FINAL", 0)]
    local = tmp_path / "exp" / "trials" / "twice"
    assert len((local / ".nni" / "metrics").read_bytes().splitlines()) == 4  # the second run only
    assert len(list(Path(_handle(plat, "twice")["trial_dir"]).parent.glob("twice.*"))) == 1


def test_large_outputs_arrive_whole_in_window_sized_events(ssh_world, machine_a, tmp_path, caplog):
    """Megabytes of stdout, of metric records and of an event file at once: every byte arrives (an event line
    longer than the SSH channel's window would reach the manager cut, and be dropped as unreadable)."""
    caplog.set_level(logging.WARNING, logger="nni.platforms.remote")
    code = make_code_dir(tmp_path)
    (code / "big.py").write_text(
        "import os, sys\n"
        "import nni\n"
        "nni.get_next_parameter()\n"
        "for i in range(3000):\n"
        "    nni.report_intermediate_result(i)\n"
        "sys.stdout.write(('x' * 99 + '\\n') * 50000)\n"
        "tb = os.path.join(os.environ['NNI_OUTPUT_DIR'], 'tensorboard')\n"
        "os.makedirs(tb)\n"
        "open(os.path.join(tb, 'events.out.tfevents.big'), 'wb').write(os.urandom(3 << 20))\n")
    plat = platform([root_machine(ssh_world, machine_a)], code, tmp_path)
    events = EventLog()
    plat.start(events)
    try:
        plat.submit(job("big1", 0, command="python3 big.py"))
        events.wait(lambda: bool(events.of("big1", TrialExited)), 60)
        remote = Path(events.of("big1", TrialStarted)[0].handle["trial_dir"])
        connections = plat.machine_status()[0]["connections"]
    finally:
        plat.stop()
    assert [e.status for e in events.of("big1", TrialExited)] == ["SUCCEEDED"]
    assert [m.record.sequence for m in events.of("big1", TrialMetric)] == list(range(3000))
    local = tmp_path / "exp" / "trials" / "big1"
    assert (local / "stdout").stat().st_size == 5_000_000
    for name in ("stdout", ".nni/metrics", "tensorboard/events.out.tfevents.big"):
        assert (local / name).read_bytes() == (remote / name).read_bytes(), name
    assert connections == 1 and "unreadable agent output" not in caplog.text
