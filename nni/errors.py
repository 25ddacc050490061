"""The exception tree of the whole package: every error this project raises on purpose is an ``NNIError``."""

from __future__ import annotations

__all__ = [
    "NNIError",
    "SearchSpaceError",
    "ConfigError",
    "NoMoreTrialError",
    "TrialAPIError",
    "AlgorithmError",
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


class TrialAPIError(NNIError, ValueError):
    """A trial used the trial API wrongly (e.g. reported a non-numeric or NaN metric)."""


class AlgorithmError(NNIError):
    """A tuner or assessor could not be found, loaded or constructed."""
