"""The exception tree of the whole package: every error this project raises on purpose is an ``NNIError``."""

from __future__ import annotations

__all__ = [
    "NNIError",
    "SearchSpaceError",
    "ConfigError",
    "NoMoreTrialError",
    "WaitForResults",
    "TrialAPIError",
    "AlgorithmError",
    "RequestError",
]


class NNIError(Exception):
    """Base of every error raised on purpose by this package."""


class SearchSpaceError(NNIError, ValueError):
    """A search space is malformed. ``path`` names the parameter (outer names first)."""

    def __init__(self, message: str, *, path: str | None = None, source: str | None = None) -> None:
        self.path = path
        self.source = source
        prefix = ""
        if source:
            prefix += f"{source}: "
        if path:
            prefix += f"search space parameter '{path}': "
        elif not source:
            prefix += "search space: "
        super().__init__(prefix + message)
        self.detail = message


class ConfigError(NNIError, ValueError):
    """An experiment config is invalid: unknown key, wrong type, missing file, bad value."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        self.key = key
        self.source = source
        prefix = ""
        if source:
            prefix += f"{source}: "
        if key:
            prefix += f"'{key}': "
        super().__init__(prefix + message)
        self.detail = message


class NoMoreTrialError(NNIError):
    """Raised by a tuner when its search space is exhausted (NNI's ``nni.NoMoreTrialError``)."""

    def __init__(self, message: str = "no more trial") -> None:
        super().__init__(message)


class WaitForResults(NNIError):
    """Raised by a tuner that can propose nothing until running trials report (e.g. Hyperband between
    rungs). The manager asks again after the next trial result or trial end; unlike
    ``NoMoreTrialError`` it does not end the experiment. If no trial is running when a tuner raises it,
    the experiment has nothing left to wait for and ends as with ``NoMoreTrialError``."""


class TrialAPIError(NNIError, ValueError):
    """A trial used the trial API wrongly (e.g. reported a non-numeric or NaN metric)."""


class AlgorithmError(NNIError):
    """A tuner or assessor could not be found, loaded or constructed."""


class RequestError(NNIError):
    """A REST request was refused, with the HTTP status that says why (NNI's body: ``{"error": message}``).

    The REST app and the web UI raise it (one handler turns it, and any other ``NNIError`` as a 400,
    into the answer); the REST client (``nni.launcher.RestClient``) raises it with the status it got,
    or ``status_code=None`` when the server could not be reached."""

    def __init__(self, message: str, status_code: int | None = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
