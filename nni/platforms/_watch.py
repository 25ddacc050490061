"""Waking up when a trial writes a metric or exits, without polling: Linux inotify (through libc) for
the metrics folders and pidfds for the processes. Where either is missing, a short poll stands in."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct

__all__ = ["Inotify", "pidfd_open"]

_IN_MODIFY = 0x00000002
_IN_CLOSE_WRITE = 0x00000008
_IN_CREATE = 0x00000100
_IN_MOVED_TO = 0x00000080
_EVENT = struct.Struct("iIII")


class Inotify:
    """An inotify instance; ``fileno()`` becomes readable when a watched folder's files change."""

    def __init__(self) -> None:
        libc_name = ctypes.util.find_library("c") or "libc.so.6"
        self._libc = ctypes.CDLL(libc_name, use_errno=True)
        fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1: {os.strerror(err)}")
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def add_watch(self, folder: str) -> int:
        mask = _IN_MODIFY | _IN_CLOSE_WRITE | _IN_CREATE | _IN_MOVED_TO
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), mask)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_add_watch {folder}: {os.strerror(err)}")
        return int(wd)

    def remove_watch(self, wd: int) -> None:
        self._libc.inotify_rm_watch(self.fd, wd)

    def read(self) -> set[int]:
        """The watch descriptors with news since the last call (never blocks)."""
        wds: set[int] = set()
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return wds
            if not data:
                return wds
            pos = 0
            while pos + _EVENT.size <= len(data):
                wd, _mask, _cookie, length = _EVENT.unpack_from(data, pos)
                wds.add(wd)
                pos += _EVENT.size + length

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def pidfd_open(pid: int) -> int | None:
    """A pidfd (readable once the process exits), or None where the kernel has none / it is gone."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None
