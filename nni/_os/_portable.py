"""The portable path (macOS, the BSDs, any POSIX system; forced on Linux with ``NNI_OS_SEAM=portable``):
psutil for processes (it waits on kqueue on macOS and the BSDs, on pidfds on Linux) and watchdog for
folders (FSEvents on macOS, kqueue on the BSDs, inotify on Linux)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from ._base import ExitWaiter, FolderWatch, OsSeam, PipeExitWaiter

__all__ = ["PortableSeam"]

_TOKEN_PREFIX = "psutil:"
# Linux derives a process's creation time from its boot time, which the kernel may report a second off
# from one read to the next; macOS stores the time itself. A later process with the same pid is at least
# pid_max process creations away, far more than a second.
_SAME_START_TOLERANCE = 1.0
# How often a wait for a process that is not our child looks whether its waiter was closed, its deadline
# passed or the process is a zombie its parent does not reap (psutil's wait returns at once on the exit).
_WAIT_SLICE = 1.0


def _psutil() -> Any:
    try:
        import psutil
    except ImportError:
        raise _missing("psutil") from None
    return psutil


def _missing(package: str) -> ImportError:
    return ImportError(f"the portable OS seam needs the {package} package, which is not installed; "
                       f"install it with: pip install {package}")


class PortableSeam(OsSeam):
    """Start time: ``psutil:<creation time in seconds since the epoch>``."""

    name = "portable"

    def start_time(self, pid: int) -> str | None:
        psutil = _psutil()
        try:
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            return f"{_TOKEN_PREFIX}{process.create_time():.6f}"
        except psutil.Error:
            return None

    def same_start(self, current: str, recorded: str) -> bool:
        if not recorded.startswith(_TOKEN_PREFIX):
            return False
        try:
            return abs(float(current[len(_TOKEN_PREFIX):]) - float(recorded[len(_TOKEN_PREFIX):])) \
                < _SAME_START_TOLERANCE
        except ValueError:
            return False

    def exit_waiter(self, process: subprocess.Popen[bytes] | int, start_time: str | None = None) -> ExitWaiter:
        waiter = PipeExitWaiter()
        if isinstance(process, int):
            target, args = self._wait_for_pid, (process, start_time, waiter)
        else:
            target, args = _wait_for_child, (process, waiter)
        threading.Thread(target=target, args=args, name="nni-exit-waiter", daemon=True).start()
        return waiter

    def _wait_for_pid(self, pid: int, start_time: str | None, waiter: PipeExitWaiter) -> None:
        if _our_child(pid) and self.alive(pid, start_time):
            try:  # blocks in the kernel and leaves the exit status to the child's owner
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                pass
        else:
            self._wait_until_gone(pid, start_time, None, lambda: waiter.closed)
        waiter.ended()

    def wait_gone(self, pid: int, timeout: float) -> bool:
        return self._wait_until_gone(pid, None, time.monotonic() + max(0.0, timeout), lambda: False)

    def _wait_until_gone(self, pid: int, start_time: str | None, deadline: float | None,
                         give_up: Callable[[], bool]) -> bool:
        """psutil's wait (kqueue, pidfd; it reaps our own child) in slices, so that a zombie whose parent
        does not reap it, a closed waiter or the deadline is noticed."""
        psutil = _psutil()
        try:
            process = psutil.Process(pid)
            while self.alive(pid, start_time):
                left = _WAIT_SLICE if deadline is None else min(_WAIT_SLICE, deadline - time.monotonic())
                if left <= 0 or give_up():
                    return False
                try:
                    process.wait(timeout=left)
                    return True
                except psutil.TimeoutExpired:
                    pass
        except psutil.Error:
            pass
        return True

    def folder_watch(self) -> FolderWatch:
        return _WatchdogFolders()


def _our_child(pid: int) -> bool:
    """Whether ``pid`` is a child of this process (``waitid`` with ``WNOWAIT`` looks without reaping)."""
    if not hasattr(os, "waitid"):
        return False
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        return True
    except ChildProcessError:
        return False


def _wait_for_child(process: subprocess.Popen[bytes], waiter: PipeExitWaiter) -> None:
    """Popen's own wait blocks in waitpid and keeps the exit code for the owner's later ``wait()``."""
    try:
        process.wait()
    finally:
        waiter.ended()


class _WatchdogFolders(FolderWatch):
    """One watchdog observer (the best native API of the system) and a pipe that wakes the poll loop."""

    def __init__(self) -> None:
        try:
            from watchdog import events
            from watchdog.observers import Observer
        except ImportError:
            raise _missing("watchdog") from None
        self._events = events
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self._lock = threading.Lock()
        self._watches: dict[int, Any] = {}
        self._news: set[int] = set()
        self._next_token = 1
        self._closed = False

    def fileno(self) -> int:
        return self._read_fd

    def add(self, folder: str) -> int:
        events = self._events
        with self._lock:
            token = self._next_token
            self._next_token += 1
        handler = _Handler(self, token)
        if not os.path.isdir(folder):
            raise FileNotFoundError(2, "no such folder to watch", folder)
        watch = self._observer.schedule(handler, folder, recursive=False, event_filter=[
            events.FileCreatedEvent, events.FileModifiedEvent, events.FileMovedEvent, events.FileClosedEvent,
            events.EventsLostEvent])
        with self._lock:
            self._watches[token] = watch
        return token

    def remove(self, token: int) -> None:
        with self._lock:
            watch = self._watches.pop(token, None)
        if watch is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, OSError):
                pass

    def notify(self, token: int) -> None:
        with self._lock:
            if self._closed or token not in self._watches:
                return
            self._news.add(token)
            try:
                os.write(self._write_fd, b"x")
            except (BlockingIOError, OSError):
                pass  # the pipe is full: the loop wakes anyway

    def read(self) -> set[int]:
        while True:
            try:
                if not os.read(self._read_fd, 4096):
                    break
            except (BlockingIOError, OSError):
                break
        with self._lock:
            news, self._news = self._news, set()
        return news

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._observer.stop()
        self._observer.join(timeout=5)
        for fd in (self._read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


class _Handler:
    """A watchdog event handler for one watch (so no path of an event needs matching to its folder)."""

    def __init__(self, folders: _WatchdogFolders, token: int) -> None:
        self._folders = folders
        self._token = token

    def dispatch(self, event: Any) -> None:
        if not event.is_directory:
            self._folders.notify(self._token)
