"""The status names of trials and experiments: NNI's strings, defined once.

Both enums are ``str`` subclasses, so a member compares equal to its NNI string (``TrialStatus.RUNNING ==
"RUNNING"``), serialises to it in JSON and prints as it. Code compares against the members and asks
``is_final()`` rather than keeping its own lists of names.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["TrialStatus", "ExperimentStatus", "TensorboardStatus"]


class _Status(str, Enum):
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every status string, in NNI's order."""
        return tuple(member.value for member in cls)

    @classmethod
    def parse(cls, value: str) -> _Status:
        """The member for ``value`` (any case); ``ValueError`` naming the allowed ones otherwise."""
        try:
            return cls(str(value).upper())
        except ValueError:
            raise ValueError(f"expected one of {', '.join(cls.names())}, got {value!r}") from None


class TrialStatus(_Status):
    """A trial's status (NNI's ``TrialJobStatus``)."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    USER_CANCELED = "USER_CANCELED"
    SYS_CANCELED = "SYS_CANCELED"
    EARLY_STOPPED = "EARLY_STOPPED"

    def is_final(self) -> bool:
        """True once the trial has ended (it never changes again)."""
        return self not in (TrialStatus.WAITING, TrialStatus.RUNNING)

    @classmethod
    def final(cls) -> tuple[TrialStatus, ...]:
        """The statuses a trial ends in."""
        return tuple(member for member in cls if member.is_final())

    @classmethod
    def kill(cls) -> tuple[TrialStatus, ...]:
        """The statuses a kill can ask for (by the user, the assessor, a limit or a stop)."""
        return (cls.USER_CANCELED, cls.EARLY_STOPPED, cls.SYS_CANCELED)


class ExperimentStatus(_Status):
    """An experiment's status (NNI's ``ExperimentStatus``; ``VIEWED`` is a stopped one served by ``nnictl view``)."""

    INITIALIZED = "INITIALIZED"
    RUNNING = "RUNNING"
    NO_MORE_TRIAL = "NO_MORE_TRIAL"
    DONE = "DONE"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    ERROR = "ERROR"
    VIEWED = "VIEWED"

    def is_final(self) -> bool:
        """True once the experiment's manager has ended it (DONE, STOPPED or ERROR)."""
        return self in (ExperimentStatus.DONE, ExperimentStatus.STOPPED, ExperimentStatus.ERROR)

    @classmethod
    def final(cls) -> tuple[ExperimentStatus, ...]:
        return tuple(member for member in cls if member.is_final())

    @classmethod
    def managed(cls) -> tuple[ExperimentStatus, ...]:
        """The statuses of an experiment whose manager is still at work on it (not ended, not only viewed)."""
        return tuple(member for member in cls if not member.is_final() and member is not cls.VIEWED)


class TensorboardStatus(_Status):
    """A TensorBoard task's status (NNI's ``TensorboardTaskStatus``; ``nnictl tensorboard``, the
    ``/tensorboard`` routes)."""

    RUNNING = "RUNNING"
    DOWNLOADING_DATA = "DOWNLOADING_DATA"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    ERROR = "ERROR"
    FAIL_DOWNLOAD_DATA = "FAIL_DOWNLOAD_DATA"
