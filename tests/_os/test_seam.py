"""The OS seam (nni._os): each operation on both paths, the Linux fast path and the portable one (psutil and
watchdog), which is what macOS runs. These machines run Linux, so the portable path is exercised here."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nni._os import OsSeam, UnsupportedSystemError, os_seam, process_alive, process_start_time
from nni._os import _linux as linux_module
from nni._os._linux import LinuxSeam
from nni._os._portable import PortableSeam

SEAMS = [LinuxSeam(), PortableSeam()]
PY = sys.executable


@pytest.fixture(params=SEAMS, ids=lambda seam: seam.name)
def seam(request: pytest.FixtureRequest) -> OsSeam:
    return request.param


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except (subprocess.TimeoutExpired, ChildProcessError):
            pass


def _start(procs: list[subprocess.Popen[bytes]], code: str, **kwargs: object) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]
    procs.append(proc)
    return proc


def _readable(fd: int, timeout: float) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def _earlier_start(seam: OsSeam, token: str) -> str:
    """The token an earlier process with the same pid would have had (an hour before)."""
    if seam.name == "portable":
        return f"psutil:{float(token.split(':', 1)[1]) - 3600:.6f}"
    return str(int(token) - 3600 * os.sysconf("SC_CLK_TCK"))


def test_a_process_that_exits(seam: OsSeam, procs: list[subprocess.Popen[bytes]]) -> None:
    proc = _start(procs, "import sys; sys.stdin.readline(); sys.exit(3)", stdin=subprocess.PIPE)
    token = seam.start_time(proc.pid)
    assert token is not None and seam.alive(proc.pid) and seam.alive(proc.pid, token)
    waiter = seam.exit_waiter(proc)
    by_pid = seam.exit_waiter(proc.pid, token)
    try:
        assert not _readable(waiter.fileno(), 0.3) and not _readable(by_pid.fileno(), 0)
        assert seam.wait_gone(proc.pid, 0.1) is False  # still running: the wait times out
        proc.stdin.write(b"go\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        assert _readable(waiter.fileno(), 10) and _readable(by_pid.fileno(), 10)
        assert not seam.alive(proc.pid, token) and seam.start_time(proc.pid) is None
        assert proc.wait(timeout=5) == 3  # the waiter did not take the exit code from Popen
    finally:
        waiter.close()
        by_pid.close()
        waiter.close()  # idempotent


def test_a_process_killed_and_its_group(seam: OsSeam, procs: list[subprocess.Popen[bytes]]) -> None:
    leader = _start(procs, "import subprocess, sys, time\n"
                           "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                           "print(child.pid, flush=True); time.sleep(60)", start_new_session=True)
    child_pid = int(leader.stdout.readline())  # type: ignore[union-attr]
    child_token = seam.start_time(child_pid)
    waiter = seam.exit_waiter(child_pid, child_token)  # not our child: by pid
    try:
        assert seam.signal_group(leader.pid, signal.SIGKILL)
        assert _readable(waiter.fileno(), 10)
        assert leader.wait(timeout=5) == -signal.SIGKILL
        assert seam.wait_gone(child_pid, 10) and not seam.alive(child_pid, child_token)
    finally:
        waiter.close()
    ended = _start(procs, "pass", start_new_session=True)
    ended.wait(timeout=10)
    assert not seam.signal_group(ended.pid, signal.SIGTERM)  # a group that is gone
    assert not seam.signal_group(None, signal.SIGTERM)


def test_a_zombie_counts_as_ended(seam: OsSeam, procs: list[subprocess.Popen[bytes]]) -> None:
    # the parent never reaps its child: the child stays a zombie that is not ours
    parent = _start(procs, "import subprocess, sys, time\n"
                           "child = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.readline()'],"
                           " stdin=subprocess.PIPE)\n"
                           "print(child.pid, flush=True); child.stdin.write(b'x\\n'); child.stdin.flush();"
                           " time.sleep(60)")
    zombie = int(parent.stdout.readline())  # type: ignore[union-attr]
    token = seam.start_time(zombie)
    waiter = seam.exit_waiter(zombie, token) if token else seam.exit_waiter(zombie)
    try:
        assert _readable(waiter.fileno(), 10)
        assert seam.start_time(zombie) is None and not seam.alive(zombie)
        assert seam.wait_gone(zombie, 5)
        with open(f"/proc/{zombie}/stat") as f:  # the test checks it really is a zombie
            assert f.read().rsplit(")", 1)[1].split()[0] == "Z"
    finally:
        waiter.close()


def test_a_pid_reused_by_another_process(seam: OsSeam, procs: list[subprocess.Popen[bytes]]) -> None:
    proc = _start(procs, "import time; time.sleep(60)")
    now = seam.start_time(proc.pid)
    assert now is not None
    recorded = _earlier_start(seam, now)  # the handle of the process that had this pid before
    assert seam.alive(proc.pid) and not seam.alive(proc.pid, recorded)
    waiter = seam.exit_waiter(proc.pid, recorded)  # the process meant is gone: ended at once
    try:
        assert _readable(waiter.fileno(), 5)
        assert proc.poll() is None  # and the other process was left alone
    finally:
        waiter.close()
    assert not seam.alive(None) and not seam.alive(-3) and not seam.alive(True) and not seam.alive("12")


def test_a_folder_that_gains_a_file(seam: OsSeam, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    watch = seam.folder_watch()
    try:
        token_a, token_b = watch.add(str(first)), watch.add(str(second))
        assert token_a != token_b
        assert not _readable(watch.fileno(), 0.2)
        (second / "metrics").write_bytes(b"one line\n")
        assert _readable(watch.fileno(), 10)
        news = _drain(watch)
        assert news == {token_b}
        with open(second / "metrics", "ab") as f:  # an append is news too
            f.write(b"two\n")
        assert _readable(watch.fileno(), 10) and _drain(watch) == {token_b}
        (second / "metrics").read_bytes()  # reading is no news
        assert not _readable(watch.fileno(), 0.3) and watch.read() == set()
        watch.remove(token_a)
        watch.remove(token_a)  # twice is fine
        (first / "late").write_bytes(b"x")
        assert token_a not in _drain(watch)
        with pytest.raises(OSError):
            watch.add(str(tmp_path / "missing"))
    finally:
        watch.close()


def _drain(watch: object) -> set[int]:
    """Everything the watch has (a write may come as several events, some a moment later)."""
    news: set[int] = set()
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        news |= watch.read()  # type: ignore[attr-defined]
        _readable(watch.fileno(), 0.05)  # type: ignore[attr-defined]
    return news


def test_the_variable_forces_a_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNI_OS_SEAM", "portable")
    assert os_seam().name == "portable" and process_start_time(os.getpid()).startswith("psutil:")  # type: ignore[union-attr]
    monkeypatch.setenv("NNI_OS_SEAM", "linux")
    assert os_seam().name == "linux"
    monkeypatch.delenv("NNI_OS_SEAM")
    assert os_seam().name == "linux"  # the default on Linux
    monkeypatch.setenv("NNI_OS_SEAM", "kqueue")
    with pytest.raises(UnsupportedSystemError) as info:
        os_seam()
    assert str(info.value) == ("NNI_OS_SEAM='kqueue': expected one of linux, portable or unset (linux where /proc "
                               "is, portable elsewhere); unset it to let NNI choose")


def test_a_start_time_is_checked_by_the_seam_that_made_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A handle written under one seam stays valid under the other (NNI_OS_SEAM changed between runs)."""
    me = os.getpid()
    linux, portable = LinuxSeam().start_time(me), PortableSeam().start_time(me)
    for forced in ("linux", "portable"):
        monkeypatch.setenv("NNI_OS_SEAM", forced)
        assert process_alive(me, linux) and process_alive(me, portable)
        assert not process_alive(me, _earlier_start(LinuxSeam(), linux))  # type: ignore[arg-type]
        assert not process_alive(me, _earlier_start(PortableSeam(), portable))  # type: ignore[arg-type]


def test_the_local_platform_follows_trials_through_the_forced_seam(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    from nni.platforms.local import FixedGpus, LocalPlatform

    for forced, module in (("portable", "nni._os._portable"), ("linux", "nni._os._linux")):
        monkeypatch.setenv("NNI_OS_SEAM", forced)
        platform = LocalPlatform(tmp_path / forced, "exp", gpu_inventory=FixedGpus(0))
        platform.start(lambda event: None)
        try:
            assert type(platform._watch).__module__ == module
        finally:
            platform.stop()


def test_linux_without_pidfds_waits_as_other_systems_do(monkeypatch: pytest.MonkeyPatch,
                                                        procs: list[subprocess.Popen[bytes]]) -> None:
    """A kernel before 5.3 (or a seccomp filter) refuses pidfd_open: exits are still seen, not assumed."""
    def no_pidfds(pid: int, flags: int = 0) -> int:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(linux_module, "_open_pidfd", no_pidfds)
    seam = LinuxSeam()
    proc = _start(procs, "import sys; sys.stdin.readline()", stdin=subprocess.PIPE)
    waiter = seam.exit_waiter(proc)
    try:
        assert not _readable(waiter.fileno(), 0.3)
        assert seam.wait_gone(proc.pid, 0.1) is False
        proc.stdin.close()  # type: ignore[union-attr]
        assert _readable(waiter.fileno(), 10) and proc.wait(timeout=5) == 0
    finally:
        waiter.close()
