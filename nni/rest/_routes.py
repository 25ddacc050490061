"""NNI 3.0's REST routes under ``/api/v1/nni`` (paths, methods, field names and shapes as NNI)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response, StreamingResponse

import nni
from nni.analysis.objectives import ParetoCache, require_objectives
from nni.errors import NNIError, RequestError
from nni.manager.commands import (
    AddCustomizedTrial,
    Command,
    ImportData,
    KillTrial,
    ManagerControl,
    StopExperiment,
)
from nni.platforms._common import trial_file_path
from nni.status import TrialStatus
from nni.storage import StoreReader, TrialRecord

from ._cache import TrialJobsCache
from ._openapi import (
    COMMON_RESPONSES,
    MetricType,
    UpdateType,
    errors,
    json_body,
    update_body_schema,
)
from ._pareto import PARETO_RESPONSES
from ._shapes import (
    decode_export_value,
    metric_fragment,
    metrics_json,
    ms,
    profile_json,
    trial_dir,
    trial_json,
)
from ._updates import command_for_update

__all__ = ["AppContext", "ExperimentLookup", "build_router", "API_ROOT"]

from . import API_ROOT

_COMMAND_TIMEOUT = 60.0
_UPDATE_HELP = "which setting the body changes (NNI's update types)"
_TRIAL_404 = errors(404, e404="no such trial job in this experiment")
_MUTATING = errors(400, 409, 503)


class ExperimentLookup(Protocol):
    """The other experiments of this machine (the launcher's registry), as the app is given them."""

    def list(self) -> list[dict[str, Any]]:
        """NNI's experiments-info entries."""
        ...

    def folder_of(self, experiment_id: str) -> Path:
        """The experiment's folder; raises ``NNIError`` when it is not on this machine."""
        ...

    def entry(self, experiment_id: str) -> dict[str, Any] | None:
        """The experiment's experiments-info entry (None when the registry does not know it)."""
        ...


@dataclass
class AppContext:
    """What every route (and the web UI's, through ``request.app.state.nni``) works from."""

    experiment_dir: Path
    reader: StoreReader  # the read model: every query is one of its public methods
    control: ManagerControl | None
    experiments: ExperimentLookup | None = None
    trial_jobs: TrialJobsCache = field(init=False)
    pareto: ParetoCache = field(init=False, default_factory=ParetoCache)

    def __post_init__(self) -> None:
        self.trial_jobs = TrialJobsCache(self.reader, self.experiment_dir)

    @property
    def read_only(self) -> bool:
        return self.control is None

    def experiment_id(self) -> str:
        profile = self.reader.profile()
        return self.experiment_dir.name if profile is None else profile.experiment_id


def _ctx(request: Request) -> AppContext:
    return request.app.state.nni


def _require_control(ctx: AppContext) -> ManagerControl:
    """The manager's command channel; a read-only view answers 409 before a request is looked at."""
    if ctx.control is None:
        raise RequestError(
            f"experiment {ctx.experiment_id()} is open read-only (nnictl view); "
            "resume it with `nnictl resume ID` to change it",
            409,
        )
    return ctx.control


async def _send(ctx: AppContext, command: Command) -> Any:
    control = _require_control(ctx)
    try:
        future = control.send(command)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout=_COMMAND_TIMEOUT)
    except NNIError:
        raise  # refused by the manager: 400 with its reason (see _errors)
    except (ValueError, KeyError) as exc:
        raise RequestError(f"{type(command).__name__} refused: {exc}") from None
    except TimeoutError:
        raise RequestError(f"the manager did not answer {type(command).__name__} within {_COMMAND_TIMEOUT:.0f}s",
                           503) from None


def _json(text: str | bytes) -> Response:
    """Encoded directly: large lists skip FastAPI's per-item validation (the schema is still documented)."""
    return Response(text, media_type="application/json")


def _json_text(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise RequestError(f"{what} is text that is not JSON ({exc}); send a JSON object or list") from None


def _trial_or_404(ctx: AppContext, trial_job_id: str) -> TrialRecord:
    trial = ctx.reader.trial(trial_job_id)
    if trial is None:
        raise RequestError(f"no trial job {trial_job_id!r} in experiment {ctx.experiment_id()}", 404)
    return trial


def _trial_folder(ctx: AppContext, trial: TrialRecord) -> Path:
    # A copied experiment folder keeps its trials under trials/<id>; the stored absolute path may be from
    # another machine, so the folder beside the store wins when it exists.
    local = ctx.experiment_dir / "trials" / trial.trial_job_id
    return local if local.is_dir() else Path(trial_dir(trial, ctx.experiment_dir))


def _status(ctx: AppContext) -> dict[str, Any]:
    profile = ctx.reader.profile()
    status = "INITIALIZED" if profile is None else profile.status
    errors = [profile.error] if profile is not None and profile.error else []
    return {"status": "VIEWED" if ctx.read_only and status != "ERROR" else status, "errors": errors}


def _profile(ctx: AppContext) -> dict[str, Any]:
    return profile_json(ctx.reader.profile(), ctx.experiment_dir, ctx.reader.next_sequence_id(),
                        live=ctx.control is not None)


def _metadata(ctx: AppContext) -> dict[str, Any]:
    """This experiment's registry entry (NNI's experiment-metadata), else one built from its store."""
    experiment_id = ctx.experiment_id()
    entry = ctx.experiments.entry(experiment_id) if ctx.experiments is not None else None
    if entry is not None:
        return {"id": experiment_id, **entry}
    profile = ctx.reader.profile()
    config = profile.config if profile is not None else {}
    platform = (config.get("trainingService") or {}) if isinstance(config.get("trainingService"), dict) else {}
    return {"id": experiment_id, "port": None, "startTime": ms(profile.start_time) if profile else None,
            "endTime": ms(profile.end_time) if profile else None, "status": _status(ctx)["status"],
            "platform": platform.get("platform", "local"), "experimentName": (profile.name if profile else "") or "",
            "tag": [], "pid": None, "webuiUrl": [], "logDir": str(ctx.experiment_dir.parent), "prefixUrl": None}


_MAX_SEQ = 2**62
_IMPORT_SCHEMA = {"type": "array", "items": {"type": "object", "required": ["parameter", "value"], "properties": {
    "parameter": {"type": "object", "description": "the trial's parameters"},
    "value": {"description": "its final result: a number, {\"default\": number, ...}, or that as JSON text"},
}}}
_TRIAL_SCHEMA = {"type": "object", "properties": {"hyperParameters": {
    "anyOf": [{"type": "object"}, {"type": "string", "contentMediaType": "application/json"}],
    "description": "the parameters, or NNI's {\"parameters\": {...}} as JSON text; without it the body itself is the parameters"}}}


def build_router() -> APIRouter:  # noqa: C901 - one function per route, registered here
    router = APIRouter(prefix=API_ROOT, responses=COMMON_RESPONSES)

    @router.get("/version", summary="The version of this NNI")
    def version() -> str:
        return nni.__version__

    @router.get("/check-status", summary="Experiment status and errors: {status, errors}")
    def check_status(request: Request) -> dict[str, Any]:
        return _status(_ctx(request))

    @router.get("/experiment", summary="Experiment profile: {id, revision, execDuration, logDir, params, ...}")
    def experiment(request: Request) -> dict[str, Any]:
        return _profile(_ctx(request))

    @router.put("/experiment", summary="Update concurrency, duration, search space or max trial number",
                responses=_MUTATING, openapi_extra=json_body(update_body_schema(), "the new value"))
    async def update_experiment(
        request: Request,
        update_type: Annotated[UpdateType, Query(description=_UPDATE_HELP)],
        body: Annotated[Any, Body(include_in_schema=False)] = None,
    ) -> dict[str, Any]:
        ctx = _ctx(request)
        _require_control(ctx)
        await _send(ctx, command_for_update(update_type, body))
        return _profile(ctx)

    @router.delete("/experiment", summary="Stop the experiment", responses=_MUTATING)
    async def stop_experiment(request: Request) -> dict[str, Any]:
        ctx = _ctx(request)
        await _send(ctx, StopExperiment())
        return {}

    @router.get("/experiment-metadata", summary="This experiment's registry entry (experiments-info shape)")
    def experiment_metadata(request: Request) -> dict[str, Any]:
        return _metadata(_ctx(request))

    @router.post("/experiment/import-data", summary="Give the tuner earlier results [{parameter, value}]",
                 responses=_MUTATING, openapi_extra=json_body(_IMPORT_SCHEMA, "earlier results (export-data's shape)"))
    async def import_data(request: Request, body: Annotated[Any, Body(include_in_schema=False)] = None) -> dict[str, Any]:
        _require_control(_ctx(request))
        data = _json_text(body, "the import-data body") if isinstance(body, str) else body
        if not isinstance(data, list) or not all(isinstance(d, dict) and "parameter" in d and "value" in d for d in data):
            raise RequestError("import-data expects a JSON list of {\"parameter\": {...}, \"value\": metric}")
        # export-data's value is the metric's JSON text (NNI's shape): what it exported imports back
        data = [{**d, "value": decode_export_value(d["value"])} for d in data]
        await _send(_ctx(request), ImportData(data))
        return {}

    @router.get("/experiment/imported-data", summary="Every import-data batch, each as its JSON text (as NNI)")
    def imported_data(request: Request) -> list[str]:
        return [json.dumps(data.get("data")) for _, call, data in _ctx(request).reader.algorithm_log()
                if call == "import_data"]

    @router.get("/job-statistics", summary="[{trialJobStatus, trialJobNumber}]")
    def job_statistics(request: Request) -> list[dict[str, Any]]:
        stats = _ctx(request).reader.status_counts()
        return [{"trialJobStatus": s, "trialJobNumber": n} for s, n in stats.items() if n]

    @router.get("/trial-jobs", summary="All trial jobs, optionally of one status", response_model=list[dict[str, Any]])
    def trial_jobs(request: Request, status: TrialStatus | None = None) -> Any:
        return _json(_ctx(request).trial_jobs.trial_jobs_json(None if status is None else status.value))

    @router.post("/trial-jobs", summary="Add a customized trial with the given parameters", responses=_MUTATING,
                 openapi_extra=json_body(_TRIAL_SCHEMA, "the trial's parameters"))
    async def add_trial(request: Request, body: Annotated[Any, Body(include_in_schema=False)] = None) -> dict[str, Any]:
        _require_control(_ctx(request))
        params = body.get("hyperParameters", body) if isinstance(body, dict) else body
        if isinstance(params, str):
            params = _json_text(params, "hyperParameters")
        if isinstance(params, dict) and "parameters" in params and isinstance(params["parameters"], dict):
            params = params["parameters"]
        if not isinstance(params, dict):
            raise RequestError("expected the trial's parameters as a JSON object")
        ctx = _ctx(request)
        trial_id = await _send(ctx, AddCustomizedTrial(params))
        record = ctx.reader.trial(trial_id)
        return {"sequenceId": None if record is None else record.sequence_id, "trialJobId": trial_id}

    @router.get("/trial-jobs/{trial_job_id}", summary="One trial job", responses=_TRIAL_404)
    def trial_job(request: Request, trial_job_id: str) -> dict[str, Any]:
        ctx = _ctx(request)
        record = _trial_or_404(ctx, trial_job_id)
        # one trial's rows by its index, filtered here: faster than the (trial, type) query at 10^6 metrics
        finals = [m for m in ctx.reader.metrics(trial_job_id) if m.type == "FINAL"]
        return trial_json(record, ctx.experiment_dir, finals or None)

    @router.delete("/trial-jobs/{trial_job_id}", summary="Kill a trial job (USER_CANCELED)",
                   responses={**_MUTATING, **_TRIAL_404})
    async def kill_trial(request: Request, trial_job_id: str) -> dict[str, Any]:
        ctx = _ctx(request)
        _require_control(ctx)
        _trial_or_404(ctx, trial_job_id)
        await _send(ctx, KillTrial(trial_job_id))
        return {}

    @router.get("/metric-data", summary="Every metric record (of one type with ?type=PERIODICAL|FINAL)",
                response_model=list[dict[str, Any]])
    def metric_data(request: Request, type: MetricType | None = None) -> Any:  # noqa: A002 - NNI's query name
        reader = _ctx(request).reader
        if type is not None:
            return _json(metrics_json(reader.metrics(type=type)))
        return StreamingResponse(_metric_chunks(reader), media_type="application/json")

    @router.get("/metric-data/{trial_job_id}", summary="The metric records of one trial",
                response_model=list[dict[str, Any]], responses=_TRIAL_404)
    def metric_data_of(request: Request, trial_job_id: str, type: MetricType | None = None) -> Any:  # noqa: A002
        ctx = _ctx(request)
        _trial_or_404(ctx, trial_job_id)
        return _json(metrics_json(ctx.reader.metrics(trial_job_id, type=type)))

    @router.get("/metric-data-range/{min_seq_id}/{max_seq_id}",
                summary="The metric records of the trials whose sequence id is in [min_seq_id, max_seq_id]",
                response_model=list[dict[str, Any]])
    def metric_data_range(request: Request, min_seq_id: Annotated[int, PathParam(ge=0, le=_MAX_SEQ)],
                          max_seq_id: Annotated[int, PathParam(ge=0, le=_MAX_SEQ)]) -> Any:
        reader = _ctx(request).reader
        if max_seq_id < min_seq_id:
            return _json("[]")  # an empty range
        with reader.snapshot():
            trials = reader.trials(offset=min_seq_id, limit=max_seq_id - min_seq_id + 1)
            rows = [m for t in trials if min_seq_id <= t.sequence_id <= max_seq_id
                    for m in reader.metrics(t.trial_job_id)]
        return _json(metrics_json(rows))

    @router.get("/metric-data-latest", summary="The latest metric record of each trial",
                response_model=list[dict[str, Any]])
    def metric_data_latest(request: Request) -> Any:
        return _json(metrics_json(_ctx(request).reader.latest_metrics()))

    @router.get("/export-data", summary="[{parameter, value, trialJobId}] of trials with a final result",
                response_model=list[dict[str, Any]])
    def export_data(request: Request) -> Any:
        return _json(_ctx(request).trial_jobs.export_json())

    @router.get("/pareto-front", summary="Pareto set of an experiment with several objectives",
                responses=PARETO_RESPONSES, response_model=None)
    def pareto_front(
        request: Request,
        all: Annotated[bool, Query(description="every trial with a final result, not only the Pareto set")] = False,  # noqa: A002
        reference: Annotated[str | None, Query(description="hypervolume reference point, one number per objective "
                                                           "in its own units, e.g. 0.5,120 (default: see referenceRule)")] = None,
    ) -> Any:
        """The trials no feasible trial dominates (config ``objectives``, ``constraints``), each with its
        objective vector, constraint values, feasibility and violation; the hypervolume of the set against a
        reference point, and its history against the trials' sequence ids."""
        ctx = _ctx(request)
        revision, records = ctx.trial_jobs.records()
        profile = ctx.reader.profile()
        spec = require_objectives(profile.config if profile else None, ctx.experiment_id())
        front = ctx.pareto.get(revision, spec, lambda: records, reference=spec.parse_reference(reference))
        return _json(json.dumps(front.as_json(every_trial=all)))

    @router.get("/experiments-info", summary="Every experiment of this machine's registry")
    def experiments_info(request: Request) -> list[dict[str, Any]]:
        experiments = _ctx(request).experiments
        return [] if experiments is None else experiments.list()

    @router.get("/trial-file/{trial_job_id}/{filename}", summary="A file of a trial's folder (stdout, stderr, trial.log...)",
                responses={200: {"content": {"text/plain": {"schema": {"type": "string"}},
                                             "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                                 "description": "the file (text/plain for logs; other files by their type)"},
                           **errors(403, 404, e404="no such trial job, or the trial has no such file")},
                response_class=FileResponse)
    def trial_file(request: Request, trial_job_id: str, filename: str) -> FileResponse:
        ctx = _ctx(request)
        trial = _trial_or_404(ctx, trial_job_id)
        folder = _trial_folder(ctx, trial)
        target = trial_file_path(folder, trial_job_id, filename, within=ctx.experiment_dir)
        if not target.is_file():
            raise RequestError(f"trial {trial_job_id} has no file {filename!r} (in {folder})", 404)
        media = "text/plain; charset=utf-8" if target.suffix in ("", ".log", ".txt", ".cfg") else None
        return FileResponse(os.fspath(target), media_type=media)

    return router


def _metric_chunks(reader: StoreReader) -> Iterator[bytes]:
    """NNI's metric-data list, encoded page by page (memory stays flat however many metrics there are)."""
    yield b"["
    first = True
    for rows in reader.metric_pages():
        body = ",".join(metric_fragment(r) for r in rows)
        yield (body if first else "," + body).encode()
        first = False
    yield b"]"
