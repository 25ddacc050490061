"""Commands that the REST server, the CLI and the Python API send to a running experiment's manager.

The manager loop is the only owner of the experiment's mutable state. Everything else (REST handlers
in the uvicorn thread, ``nnictl`` through REST) sends one of these through ``ManagerControl.send`` and
gets the outcome back: the loop applies the command (persisting first) and resolves the future with
the command's result, or with an exception whose message is meant for the user (``NNIError``).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Command",
    "UpdateConcurrency",
    "UpdateMaxTrialNumber",
    "UpdateMaxDuration",
    "UpdateSearchSpace",
    "KillTrial",
    "AddCustomizedTrial",
    "ImportData",
    "StopExperiment",
    "ManagerControl",
]


@dataclass(frozen=True)
class UpdateConcurrency:
    value: int


@dataclass(frozen=True)
class UpdateMaxTrialNumber:
    value: int


@dataclass(frozen=True)
class UpdateMaxDuration:
    seconds: float


@dataclass(frozen=True)
class UpdateSearchSpace:
    search_space: dict[str, Any]


@dataclass(frozen=True)
class KillTrial:
    trial_job_id: str


@dataclass(frozen=True)
class AddCustomizedTrial:
    """A trial with parameters given by the user (NNI's customized trial); result: the new trial id."""

    parameters: dict[str, Any]


@dataclass(frozen=True)
class ImportData:
    """Earlier results for the tuner: ``[{"parameter": {...}, "value": metric}, ...]``."""

    data: list[dict[str, Any]]


@dataclass(frozen=True)
class StopExperiment:
    pass


Command = (
    UpdateConcurrency
    | UpdateMaxTrialNumber
    | UpdateMaxDuration
    | UpdateSearchSpace
    | KillTrial
    | AddCustomizedTrial
    | ImportData
    | StopExperiment
)


class ManagerControl(Protocol):
    """What the REST app needs from a running manager. ``None`` in its place means read-only (view)."""

    def send(self, command: Command) -> Future[Any]: ...
