"""The contract of the OS seam: what the local platform, the launcher and the tests ask of the operating
system about processes and folders, and nothing else."""

from __future__ import annotations

import abc
import os
import subprocess
from typing import ClassVar

__all__ = ["OsSeam", "ExitWaiter", "FolderWatch", "PipeExitWaiter"]


class ExitWaiter(abc.ABC):
    """Tells a ``poll()`` loop that a process ended: :meth:`fileno` becomes readable once the process has
    ended (at once when it already had), and stays readable. :meth:`close` releases it (idempotent)."""

    @abc.abstractmethod
    def fileno(self) -> int: ...

    @abc.abstractmethod
    def close(self) -> None: ...


class FolderWatch(abc.ABC):
    """Tells a ``poll()`` loop that files changed in watched folders (not recursive).

    :meth:`fileno` becomes readable when a file in a watched folder is created, written, closed after
    writing or moved in; :meth:`read` then says which watches (never blocks; reading the files does not
    count as news). Events may be coalesced or come a little late, never lost: a reader that reads the
    files after each wake-up, and once more when the writer is gone, misses nothing.
    """

    @abc.abstractmethod
    def fileno(self) -> int: ...

    @abc.abstractmethod
    def add(self, folder: str) -> int:
        """Watch ``folder`` (it must exist); returns the watch's token. ``OSError`` when it cannot be watched."""

    @abc.abstractmethod
    def remove(self, token: int) -> None:
        """Stop watching (a folder already gone or a token already removed is fine)."""

    @abc.abstractmethod
    def read(self) -> set[int]:
        """The tokens of the watches with news since the last call."""

    @abc.abstractmethod
    def close(self) -> None: ...


class OsSeam(abc.ABC):
    """Processes and folders of this machine, one implementation per kind of system.

    A process is known by its pid and its *start time*: an opaque token (from :meth:`start_time`) that
    tells a process from a later one that got the same pid; it is written into trial handles and read back
    after a restart, so a seam accepts the tokens it made in another process. A zombie (ended, not yet
    reaped by its parent) counts as ended everywhere.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def start_time(self, pid: int) -> str | None:
        """The start-time token of process ``pid``, or None when it does not run (gone or a zombie)."""

    def same_start(self, current: str, recorded: str) -> bool:
        """Whether token ``current`` (just read) and ``recorded`` (from a handle) are one process's start."""
        return current == recorded

    def alive(self, pid: object, start_time: str | None = None) -> bool:
        """Whether process ``pid`` runs; with ``start_time``, whether it is still that same process."""
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            return False
        current = self.start_time(pid)
        if current is None:
            return False
        return start_time is None or self.same_start(current, str(start_time))

    @abc.abstractmethod
    def exit_waiter(self, process: subprocess.Popen[bytes] | int, start_time: str | None = None) -> ExitWaiter:
        """A waiter for the end of ``process``: a child we started (its ``Popen``: the waiter never reaps
        it, ``Popen.wait`` still gives its exit code) or any process by pid (and start time, when known:
        another process that got the pid counts as the end)."""

    @abc.abstractmethod
    def wait_gone(self, pid: int, timeout: float) -> bool:
        """Block until process ``pid`` has ended (reaping it when it is our child), at most ``timeout``
        seconds; whether it has."""

    @abc.abstractmethod
    def folder_watch(self) -> FolderWatch:
        """A new folder watch; ``OSError`` when this system cannot give one."""

    def signal_group(self, pgid: int | None, sig: int) -> bool:
        """Send ``sig`` to process group ``pgid`` (a trial or a manager started in its own session);
        whether it was delivered (False when the group is gone or not ours)."""
        if pgid is None:
            return False
        try:
            os.killpg(pgid, sig)
            return True
        except (ProcessLookupError, PermissionError):
            return False


class PipeExitWaiter(ExitWaiter):
    """An :class:`ExitWaiter` on a pipe: the read end becomes readable when :meth:`ended` is called
    (from whatever thread learns of the end)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        self.closed = False
        self._ended = False

    def fileno(self) -> int:
        return self._read

    def ended(self) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            os.write(self._write, b"x")
        except OSError:
            pass
        finally:
            _close_quietly(self._write)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            _close_quietly(self._read)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
