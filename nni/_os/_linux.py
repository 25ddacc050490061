"""The Linux fast path: /proc for start times, pidfds for exits, inotify (through libc) for folders."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import subprocess

from ._base import ExitWaiter, FolderWatch, OsSeam, PipeExitWaiter

__all__ = ["LinuxSeam"]

_IN_MODIFY = 0x00000002
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_IGNORED = 0x00008000  # the watch was removed: no news of the folder
_EVENT = struct.Struct("iIII")


class LinuxSeam(OsSeam):
    """Start time: clock ticks since boot (``/proc/<pid>/stat`` field 22), the token handles have always
    held. Where the kernel has no pidfds (before 5.3), exits are waited for as on other systems."""

    name = "linux"

    def start_time(self, pid: int) -> str | None:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        if fields[0] in ("Z", "X"):
            return None
        return fields[19]

    def exit_waiter(self, process: subprocess.Popen[bytes] | int, start_time: str | None = None) -> ExitWaiter:
        pid = process if isinstance(process, int) else process.pid
        try:
            pidfd = _open_pidfd(pid)
        except ProcessLookupError:  # already gone (and reaped)
            return _ended()
        except OSError:  # no pidfds here (a kernel before 5.3, a seccomp filter): as on other systems
            return _portable().exit_waiter(process, start_time)
        waiter = _PidfdWaiter(pidfd)
        # the pid is pinned now: one more look tells whether it is still the process that was meant
        if isinstance(process, int) and not self.alive(pid, start_time):
            waiter.close()
            return _ended()
        return waiter

    def wait_gone(self, pid: int, timeout: float) -> bool:
        try:
            pidfd = _open_pidfd(pid)
        except ProcessLookupError:
            return True
        except OSError:
            return _portable().wait_gone(pid, timeout)
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.poll(max(0, int(timeout * 1000)))
        finally:
            os.close(pidfd)
        _reap_if_child(pid)
        return not self.alive(pid)

    def folder_watch(self) -> FolderWatch:
        return _Inotify()


class _PidfdWaiter(ExitWaiter):
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _open_pidfd(pid: int) -> int:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:  # a Python built without it
        raise OSError(38, "pidfd_open is not available")
    return int(opener(pid))


def _portable() -> OsSeam:
    from ._portable import PortableSeam

    return PortableSeam()


def _ended() -> ExitWaiter:
    waiter = PipeExitWaiter()
    waiter.ended()
    return waiter


def _reap_if_child(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


class _Inotify(FolderWatch):
    """An inotify instance; its watch descriptors are the tokens."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1: {os.strerror(err)}")
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def add(self, folder: str) -> int:
        mask = _IN_MODIFY | _IN_CLOSE_WRITE | _IN_CREATE | _IN_MOVED_TO
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), mask)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_add_watch {folder}: {os.strerror(err)}")
        return int(wd)

    def remove(self, token: int) -> None:
        self._libc.inotify_rm_watch(self._fd, token)

    def read(self) -> set[int]:
        tokens: set[int] = set()
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return tokens
            if not data:
                return tokens
            pos = 0
            while pos + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, pos)
                if not mask & _IN_IGNORED:
                    tokens.add(wd)
                pos += _EVENT.size + length

    def close(self) -> None:
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1
