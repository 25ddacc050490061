"""NNI 3.0's REST routes under ``/api/v1/nni`` (paths, methods, field names and shapes as NNI)."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

import nni
from nni.errors import NNIError
from nni.manager.commands import (
    AddCustomizedTrial,
    Command,
    ImportData,
    KillTrial,
    ManagerControl,
    StopExperiment,
)
from nni.status import TrialStatus

from ._data import ExperimentData, TrialView
from ._errors import RestError
from ._shapes import export_json, metric_json, profile_json, trial_json
from ._updates import command_for_update

__all__ = ["AppContext", "build_router", "API_ROOT"]

from . import API_ROOT

_COMMAND_TIMEOUT = 60.0
_UPDATE_HELP = "TRIAL_CONCURRENCY | MAX_EXEC_DURATION | SEARCH_SPACE | MAX_TRIAL_NUM"


@dataclass
class AppContext:
    """What every route (and the web UI's router, through ``request.app.state.nni``) works from."""

    experiment_dir: Path
    data: ExperimentData
    control: ManagerControl | None
    store_reader: Any = None

    @property
    def read_only(self) -> bool:
        return self.control is None


def _ctx(request: Request) -> AppContext:
    return request.app.state.nni


async def _send(ctx: AppContext, command: Command) -> Any:
    if ctx.control is None:
        raise RestError(
            409,
            f"experiment {ctx.data.profile().id} is open read-only (nnictl view); "
            "resume it with `nnictl resume ID` to change it",
        )
    try:
        future = ctx.control.send(command)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout=_COMMAND_TIMEOUT)
    except NNIError as exc:
        raise RestError(400, str(exc)) from None
    except (ValueError, KeyError) as exc:
        raise RestError(400, f"{type(command).__name__} refused: {exc}") from None
    except TimeoutError:
        raise RestError(503, f"the manager did not answer {type(command).__name__} within {_COMMAND_TIMEOUT:.0f}s") from None


def _json_list(items: list[Any]) -> Response:
    """Encoded directly: large lists skip FastAPI's per-item validation (the schema is still documented)."""
    return Response(json.dumps(items).encode(), media_type="application/json")


def _trial_or_404(ctx: AppContext, trial_job_id: str) -> TrialView:
    trial = ctx.data.trial(trial_job_id)
    if trial is None:
        raise RestError(404, f"no trial job {trial_job_id!r} in experiment {ctx.data.profile().id}")
    return trial


def _trial_dir(ctx: AppContext, trial: TrialView) -> Path:
    # A copied experiment folder keeps its trials under trials/<id>; the stored absolute path may be from
    # another machine, so the folder beside the store wins when it exists.
    local = ctx.experiment_dir / "trials" / trial.trial_job_id
    if local.is_dir() or not trial.trial_dir:
        return local
    return Path(trial.trial_dir)


def _status(ctx: AppContext) -> dict[str, Any]:
    profile = ctx.data.profile()
    status = "VIEWED" if ctx.read_only and profile.status not in ("ERROR",) else profile.status
    return {"status": status, "errors": list(profile.errors)}


def build_router() -> APIRouter:  # noqa: C901 - one function per route, registered here
    router = APIRouter(prefix=API_ROOT)

    @router.get("/version", summary="The version of this NNI")
    def version() -> str:
        return nni.__version__

    @router.get("/check-status", summary="Experiment status and errors: {status, errors}")
    def check_status(request: Request) -> dict[str, Any]:
        return _status(_ctx(request))

    @router.get("/experiment", summary="Experiment profile: {id, revision, execDuration, logDir, params, ...}")
    def experiment(request: Request) -> dict[str, Any]:
        ctx = _ctx(request)
        return profile_json(ctx.data.profile())

    @router.put("/experiment", summary="Update concurrency, duration, search space or max trial number")
    async def update_experiment(
        request: Request,
        update_type: Annotated[str | None, Query(description=_UPDATE_HELP)] = None,
        body: Annotated[Any, Body()] = None,
    ) -> dict[str, Any]:
        ctx = _ctx(request)
        command = command_for_update(update_type, body)
        await _send(ctx, command)
        return profile_json(ctx.data.profile())

    @router.delete("/experiment", summary="Stop the experiment")
    async def stop_experiment(request: Request) -> dict[str, Any]:
        ctx = _ctx(request)
        await _send(ctx, StopExperiment())
        return {}

    @router.post("/experiment/import-data", summary="Give the tuner earlier results [{parameter, value}]")
    async def import_data(request: Request, body: Annotated[Any, Body()]) -> dict[str, Any]:
        data = json.loads(body) if isinstance(body, str) else body
        if not isinstance(data, list) or not all(isinstance(d, dict) and "parameter" in d and "value" in d for d in data):
            raise RestError(400, "import-data expects a JSON list of {\"parameter\": {...}, \"value\": metric}")
        await _send(_ctx(request), ImportData(data))
        return {}

    @router.get("/job-statistics", summary="[{trialJobStatus, trialJobNumber}]")
    def job_statistics(request: Request) -> list[dict[str, Any]]:
        stats = _ctx(request).data.statistics()
        return [{"trialJobStatus": s, "trialJobNumber": n} for s, n in stats.items() if n]

    @router.get("/trial-jobs", summary="All trial jobs, optionally of one status", response_model=list[dict[str, Any]])
    def trial_jobs(request: Request, status: str | None = None) -> Any:
        if status is not None and status not in TrialStatus.names():
            raise RestError(400, f"status must be one of {', '.join(TrialStatus.names())}, got {status!r}")
        data = _ctx(request).data
        if hasattr(data, "trial_jobs_json"):
            return Response(data.trial_jobs_json(status), media_type="application/json")
        return [trial_json(t) for t in data.trials(status)]

    @router.post("/trial-jobs", summary="Add a customized trial with the given parameters")
    async def add_trial(request: Request, body: Annotated[Any, Body()]) -> dict[str, Any]:
        params = body.get("hyperParameters", body) if isinstance(body, dict) else body
        if isinstance(params, str):
            params = json.loads(params)
        if isinstance(params, dict) and "parameters" in params and isinstance(params["parameters"], dict):
            params = params["parameters"]
        if not isinstance(params, dict):
            raise RestError(400, "expected the trial's parameters as a JSON object")
        trial_id = await _send(_ctx(request), AddCustomizedTrial(params))
        return {"trialJobId": trial_id}

    @router.get("/trial-jobs/{trial_job_id}", summary="One trial job")
    def trial_job(request: Request, trial_job_id: str) -> dict[str, Any]:
        return trial_json(_trial_or_404(_ctx(request), trial_job_id))

    @router.delete("/trial-jobs/{trial_job_id}", summary="Kill a trial job (USER_CANCELED)")
    async def kill_trial(request: Request, trial_job_id: str) -> dict[str, Any]:
        ctx = _ctx(request)
        _trial_or_404(ctx, trial_job_id)
        await _send(ctx, KillTrial(trial_job_id))
        return {}

    @router.get("/metric-data", summary="Every metric record", response_model=list[dict[str, Any]])
    def metric_data(request: Request) -> Any:
        data = _ctx(request).data
        if hasattr(data, "metrics_json_chunks"):
            return StreamingResponse(data.metrics_json_chunks(), media_type="application/json")
        return [metric_json(m) for m in data.metrics()]

    @router.get("/metric-data/{trial_job_id}", summary="The metric records of one trial",
                response_model=list[dict[str, Any]])
    def metric_data_of(request: Request, trial_job_id: str) -> Any:
        ctx = _ctx(request)
        _trial_or_404(ctx, trial_job_id)
        return _json_list([metric_json(m) for m in ctx.data.metrics(trial_job_id)])

    @router.get("/metric-data-latest", summary="The latest metric record of each trial",
                response_model=list[dict[str, Any]])
    def metric_data_latest(request: Request) -> Any:
        data = _ctx(request).data
        if hasattr(data, "latest_metrics_json"):
            return Response(data.latest_metrics_json(), media_type="application/json")
        return _json_list([metric_json(m) for m in data.latest_metrics()])

    @router.get("/export-data", summary="[{parameter, value, trialJobId}] of trials with a final result",
                response_model=list[dict[str, Any]])
    def export_data(request: Request) -> Any:
        data = _ctx(request).data
        if hasattr(data, "export_json"):
            return Response(data.export_json(), media_type="application/json")
        return _json_list(export_json(data.trials()))

    @router.get("/experiments-info", summary="Every experiment of this machine's registry")
    def experiments_info(request: Request) -> list[dict[str, Any]]:
        from nni.launcher import list_experiments

        return list_experiments()

    @router.get("/trial-file/{trial_job_id}/{filename}", summary="A file of a trial's folder (stdout, stderr, trial.log...)")
    def trial_file(request: Request, trial_job_id: str, filename: str) -> FileResponse:
        ctx = _ctx(request)
        trial = _trial_or_404(ctx, trial_job_id)
        folder = _trial_dir(ctx, trial).resolve()
        target = (folder / filename).resolve()
        root = ctx.experiment_dir.resolve()
        if not (target.is_relative_to(folder) and target.is_relative_to(root)):
            raise RestError(403, f"{filename!r} is outside trial {trial_job_id}'s folder; only its own files are served")
        if not target.is_file():
            raise RestError(404, f"trial {trial_job_id} has no file {filename!r} (in {folder})")
        media = "text/plain; charset=utf-8" if target.suffix in ("", ".log", ".txt", ".cfg") else None
        return FileResponse(os.fspath(target), media_type=media)

    return router
