"""``PUT /experiment?update_type=...``: turn NNI's request body into a manager command."""

from __future__ import annotations

from typing import Any

from nni.config import parse_duration
from nni.errors import RequestError
from nni.manager.commands import (
    Command,
    UpdateConcurrency,
    UpdateMaxDuration,
    UpdateMaxTrialNumber,
    UpdateSearchSpace,
)

__all__ = ["UPDATE_TYPES", "command_for_update"]

# update_type -> keys of ``params`` that may carry the new value (v2 name first, then NNI v1's)
UPDATE_TYPES: dict[str, tuple[str, ...]] = {
    "TRIAL_CONCURRENCY": ("trialConcurrency",),
    "MAX_EXEC_DURATION": ("maxExperimentDuration", "maxExecDuration"),
    "SEARCH_SPACE": ("searchSpace",),
    "MAX_TRIAL_NUM": ("maxTrialNumber", "maxTrialNum"),
}

def _pick(body: Any, keys: tuple[str, ...], update_type: str) -> Any:
    if isinstance(body, dict):
        params = body.get("params") if isinstance(body.get("params"), dict) else body
        for key in keys:
            if key in params:
                return params[key]
        if "value" in body:
            return body["value"]
    raise RequestError(
        f"update_type={update_type} needs the new value in the body as params.{keys[0]} "
        f"(NNI sends the experiment profile with params changed) or as {{\"value\": ...}}",
    )


def command_for_update(update_type: str | None, body: Any) -> Command:
    if update_type not in UPDATE_TYPES:
        raise RequestError(f"update_type must be one of {', '.join(UPDATE_TYPES)}, got {update_type!r}")
    value = _pick(body, UPDATE_TYPES[update_type], update_type)
    if update_type == "TRIAL_CONCURRENCY" or update_type == "MAX_TRIAL_NUM":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            what = "trialConcurrency" if update_type == "TRIAL_CONCURRENCY" else "maxTrialNumber"
            raise RequestError(f"{what} must be a positive integer, got {value!r}")
        return UpdateConcurrency(value) if update_type == "TRIAL_CONCURRENCY" else UpdateMaxTrialNumber(value)
    if update_type == "MAX_EXEC_DURATION":
        try:
            return UpdateMaxDuration(parse_duration(value))
        except ValueError as exc:
            raise RequestError(f"maxExperimentDuration: {exc}") from None
    if not isinstance(value, dict):
        raise RequestError(f"searchSpace must be a JSON object, got {type(value).__name__}")
    from nni.search_space import validate

    validate(value)  # a SearchSpaceError is a 400 with its message
    return UpdateSearchSpace(value)
