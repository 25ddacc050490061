"""What the OpenAPI schema promises beyond the routes' own signatures: the one error body, the status codes
every route can answer, the allowed values of NNI's query parameters, and the request bodies that routes
read themselves (NNI's clients send several shapes; the schema documents the canonical one)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel

from nni.status import TrialStatus

__all__ = [
    "ErrorModel",
    "ValidationErrorModel",
    "MetricType",
    "SortOrder",
    "UpdateType",
    "ExportFormat",
    "TRIAL_STATUSES",
    "STATUS_LIST_PATTERN",
    "EXPERIMENT_ID_PATTERN",
    "errors",
    "WEBUI_RESPONSES",
    "ExperimentParam",
    "StatusListParam",
    "ExperimentIdsParam",
    "update_body_schema",
    "json_body",
    "COMMON_RESPONSES",
]

MetricType = Literal["PERIODICAL", "FINAL"]
SortOrder = Literal["asc", "desc"]
ExportFormat = Literal["csv", "json"]
UpdateType = Literal["TRIAL_CONCURRENCY", "MAX_EXEC_DURATION", "SEARCH_SPACE", "MAX_TRIAL_NUM"]
TRIAL_STATUSES: tuple[str, ...] = tuple(TrialStatus.names())
_ONE_STATUS = "(" + "|".join(TRIAL_STATUSES) + ")"
# a comma-separated list of trial statuses, any case (the web UI's status filter); empty for every status
STATUS_LIST_PATTERN = rf"(?i)^({_ONE_STATUS}(,{_ONE_STATUS})*)?$"
EXPERIMENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ExperimentParam = Annotated[str | None, Query(
    pattern=EXPERIMENT_ID_PATTERN, description="another experiment of this machine, read-only (default: this one)")]
StatusListParam = Annotated[str, Query(pattern=STATUS_LIST_PATTERN,
                                       description="comma-separated trial statuses (any case); empty for all")]
ExperimentIdsParam = Annotated[str, Query(
    pattern=r"^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){1,7}$",
    description="2 to 8 experiment ids of this machine, comma-separated")]


class ErrorModel(BaseModel):
    """Every error answer: one line naming what was given, what was expected and what to do."""

    error: str


class _ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorModel(BaseModel):
    """A request the schema rejects (a wrong type, a value outside its allowed ones)."""

    error: str
    detail: list[_ValidationItem]


_DESCRIPTIONS = {
    400: "the request is well-formed but cannot be done as asked (the error says why and what to send)",
    403: "a file outside the trial's folder was asked for",
    404: "no such trial, experiment, task or resource (the error names it)",
    409: "the experiment is open read-only (nnictl view) or cannot change now",
    503: "the experiment's manager did not answer in time",
}


def errors(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status code with the error body, described by default or by
    ``described`` (keyword ``e404="..."``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"model": ErrorModel, "description": described.get(f"e{code}", _DESCRIPTIONS[code])}
    return out


# every route: a value outside the schema is answered 422 with the error body (see _errors)
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationErrorModel, "description": "the request does not match this schema"},
}


# every web UI route: another experiment (?exp=) or a column, trial or parameter may not exist
WEBUI_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COMMON_RESPONSES,
    **errors(400, 404, e400="a filter, reference point or pair of parameters that cannot be used (the error says why)",
             e404="no such experiment (?exp=), trial, column or parameter (the error names it and lists the known ones)"),
}


def json_body(schema: dict[str, Any], description: str, *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body a route reads itself."""
    return {"requestBody": {"required": required, "description": description,
                            "content": {"application/json": {"schema": schema}}}}


_POSITIVE_INT = {"type": "integer", "minimum": 1}
_DURATION = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[smhd]?\s*$"}],
             "description": "seconds, or a number with a unit: 30m, 2h, 1d"}


def update_body_schema() -> dict[str, Any]:
    """PUT /experiment: NNI sends the experiment profile with ``params`` changed; ``{"value": ...}`` works too."""
    params = {"type": "object", "properties": {
        "trialConcurrency": _POSITIVE_INT, "maxTrialNumber": _POSITIVE_INT, "maxTrialNum": _POSITIVE_INT,
        "maxExperimentDuration": _DURATION, "maxExecDuration": _DURATION,
        "searchSpace": {"type": "object", "description": "NNI's search space ({name: {_type, _value}})"},
    }}
    return {"type": "object", "properties": {"params": params, "value": {
        "description": "the new value for update_type (instead of params)"}}}


