"""The OS seam: the one place that knows how this operating system tells about processes and folders.

Everything else in ``nni`` asks here (never ``/proc``, inotify or pidfds itself): whether a process still
runs and is the one that was started (:func:`process_alive`, :func:`process_start_time`), a waiter that
wakes a ``poll()`` loop when a process ends (``os_seam().exit_waiter``), a blocking wait for an end
(:func:`wait_gone`), a signal to a process group (:func:`signal_group`), and a folder watch that wakes the
loop when files change (``os_seam().folder_watch()``). The contract is :class:`OsSeam`.

Two implementations:

- ``linux``: ``/proc``, pidfds and inotify (the fast path, chosen on Linux);
- ``portable``: psutil and watchdog (kqueue and FSEvents on macOS, kqueue on the BSDs), chosen elsewhere.

``NNI_OS_SEAM=portable`` (or ``linux``) forces one: the tests run the local-machine suites a second time
with the portable path forced, since their machines run Linux. Native Windows is not supported (no
process groups, POSIX signals or ``/bin/sh`` for trials): :func:`require_supported_system` says so and
points to WSL, where the Linux build runs unchanged.
"""

from __future__ import annotations

import os
import sys

from nni.errors import NNIError

from ._base import ExitWaiter, FolderWatch, OsSeam

__all__ = [
    "SEAM_VARIABLE",
    "OsSeam",
    "ExitWaiter",
    "FolderWatch",
    "UnsupportedSystemError",
    "os_seam",
    "process_alive",
    "process_start_time",
    "signal_group",
    "wait_gone",
    "unsupported_reason",
    "require_supported_system",
]

SEAM_VARIABLE = "NNI_OS_SEAM"
_CHOICES = ("linux", "portable")
_seams: dict[str, OsSeam] = {}


class UnsupportedSystemError(NNIError):
    """This operating system cannot run experiments (native Windows), or ``NNI_OS_SEAM`` asks for a
    seam this system does not have."""


def _seam(name: str) -> OsSeam:
    if name not in _seams:
        if name == "linux":
            from ._linux import LinuxSeam

            _seams[name] = LinuxSeam()
        else:
            from ._portable import PortableSeam

            _seams[name] = PortableSeam()
    return _seams[name]


def _linux_available() -> bool:
    return sys.platform.startswith("linux") and os.path.isdir("/proc/self")


def os_seam() -> OsSeam:
    """The seam of this system, or the one ``NNI_OS_SEAM`` forces (read at each call)."""
    wanted = os.environ.get(SEAM_VARIABLE, "").strip().lower()
    if wanted in ("", "auto"):
        return _seam("linux" if _linux_available() else "portable")
    if wanted not in _CHOICES:
        raise UnsupportedSystemError(
            f"{SEAM_VARIABLE}={os.environ[SEAM_VARIABLE]!r}: expected one of {', '.join(_CHOICES)} or unset "
            f"(linux where /proc is, portable elsewhere); unset it to let NNI choose")
    if wanted == "linux" and not _linux_available():
        raise UnsupportedSystemError(
            f"{SEAM_VARIABLE}=linux on {sys.platform}, which has no /proc: unset it (the portable seam is "
            "chosen here)")
    return _seam(wanted)


def process_start_time(pid: int) -> str | None:
    """The start-time token of process ``pid`` (see :class:`OsSeam`), or None when it does not run."""
    return os_seam().start_time(pid)


def process_alive(pid: object, start_time: str | None = None) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as gone); with ``start_time`` (from
    :func:`process_start_time`), whether it is still that same process. A token is checked by the seam
    that made it (``psutil:...`` by the portable one), so handles stay valid across ``NNI_OS_SEAM``."""
    seam = os_seam()
    if start_time is not None:
        made_by = "portable" if str(start_time).startswith("psutil:") else "linux"
        if made_by != seam.name:
            if made_by == "linux" and not _linux_available():
                return False  # written on a Linux machine (a copied experiment folder): not a process here
            seam = _seam(made_by)
    return seam.alive(pid, start_time)


def signal_group(pgid: int | None, sig: int) -> bool:
    """Send ``sig`` to process group ``pgid``; whether it was delivered."""
    return os_seam().signal_group(pgid, sig)


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait (without polling where the system allows) until process ``pid`` ended, at most ``timeout``
    seconds; whether it has. Our own child is reaped."""
    return os_seam().wait_gone(pid, timeout)


def unsupported_reason(system: str | None = None) -> str | None:
    """Why experiments cannot run on ``system`` (``sys.platform`` by default), or None when they can."""
    system = sys.platform if system is None else system
    if system == "win32":
        return (f"native Windows ({system}) is not supported: trials need POSIX process groups, signals and "
                "/bin/sh; run NNI inside WSL (Windows Subsystem for Linux: 'wsl --install', then pip install "
                "nni there), where the Linux build runs unchanged")
    return None


def require_supported_system() -> None:
    """Refuse, with one line, to start or resume an experiment where it cannot run (native Windows)."""
    reason = unsupported_reason()
    if reason is not None:
        raise UnsupportedSystemError(reason)
