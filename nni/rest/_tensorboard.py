"""NNI 3.0's TensorBoard routes: ``POST/GET/PUT/DELETE /tensorboard[/{id}]``, ``GET/DELETE /tensorboard-tasks``.

The tasks are :class:`nni.tensorboard.TensorboardTasks` of the served experiment's folder, the same ones
``nnictl tensorboard`` starts and stops. Starting one reads the trials' folders; it changes nothing of the
experiment, so a viewed (read-only) experiment may start one too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from nni.errors import RequestError
from nni.status import TensorboardStatus
from nni.tensorboard import (
    TensorboardError,
    TensorboardTask,
    TensorboardTaskNotFound,
    TensorboardTasks,
    trial_logs,
)

from . import API_ROOT
from ._openapi import COMMON_RESPONSES, errors, json_body

__all__ = ["build_tensorboard_router"]


def _tasks(request: Request) -> TensorboardTasks:
    return TensorboardTasks(request.app.state.nni.experiment_dir)


def _trial_ids(body: Any) -> list[str]:
    trials = body.get("trials", "") if isinstance(body, dict) else None
    if isinstance(trials, str):
        return [t.strip() for t in trials.split(",") if t.strip()]
    if isinstance(trials, list) and all(isinstance(t, str) for t in trials):
        return trials
    raise RequestError(f"expected {{\"trials\": \"TRIAL_ID,TRIAL_ID,...\"}} (NNI's body; empty for every trial), "
                       f"got {body!r}")


def _port(body: Any) -> int | None:
    port = body.get("port") if isinstance(body, dict) else None
    if port in (None, ""):
        return None
    try:
        value = int(port)
    except (TypeError, ValueError):
        value = -1
    if not 0 < value < 65536:
        raise RequestError(f"port must be a TCP port number (1-65535), got {port!r}")
    return value


def _task(request: Request, task_id: str) -> TensorboardTask:
    try:
        return _tasks(request).get(task_id)
    except TensorboardTaskNotFound as exc:
        raise RequestError(str(exc), 404) from None


_PORT_TEXT = r"^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
_START_BODY = {"type": "object", "properties": {
    "trials": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
               "description": "trial ids, comma-separated or as a list; empty for every trial"},
    "port": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, {"type": "string", "pattern": _PORT_TEXT}],
             "description": "the port to serve on (default: a free one)"},
}}
_TASK_404 = errors(404, e404="no such TensorBoard task")


def build_tensorboard_router() -> APIRouter:
    router = APIRouter(prefix=API_ROOT, responses=COMMON_RESPONSES)

    @router.post("/tensorboard", summary="Start TensorBoard over trials' event files: {trials: 'id,id'}",
                 responses=errors(400, 404, 409, e404="no such trial job",
                                  e409="no trial wrote event files, TensorBoard is not installed, or the port is taken"),
                 openapi_extra=json_body(_START_BODY, "which trials (NNI's body)", required=False))
    def start(request: Request, body: Annotated[Any, Body(include_in_schema=False)] = None) -> dict[str, Any]:
        ctx = request.app.state.nni
        wanted, port = _trial_ids(body or {}), _port(body)
        try:
            logs = trial_logs(ctx.reader, ctx.experiment_dir, wanted)
        except TensorboardError as exc:  # a trial id this experiment does not have
            raise RequestError(str(exc), 404) from None
        try:
            return _tasks(request).start(logs, port=port).to_json()
        except TensorboardError as exc:  # nothing to show, or nothing to show it with: not the request's fault
            raise RequestError(str(exc), 409) from None

    @router.get("/tensorboard-tasks", summary="Every TensorBoard task of the experiment")
    def list_tasks(request: Request) -> list[dict[str, Any]]:
        return [t.to_json() for t in _tasks(request).list()]

    @router.delete("/tensorboard-tasks", summary="Stop every TensorBoard task")
    def stop_all(request: Request) -> dict[str, Any]:
        _tasks(request).stop_all()
        return {}

    @router.get("/tensorboard/{task_id}", summary="One TensorBoard task", responses=_TASK_404)
    def get_task(request: Request, task_id: str) -> dict[str, Any]:
        return _task(request, task_id).to_json()

    @router.put("/tensorboard/{task_id}", summary="Refresh a task's data (event files are read in place)",
                responses=errors(404, 409, e404="no such TensorBoard task", e409="the task is not RUNNING"))
    def update_task(request: Request, task_id: str) -> dict[str, Any]:
        task = _task(request, task_id)
        if task.status != TensorboardStatus.RUNNING:
            raise RequestError(f"TensorBoard task {task_id} is {task.status}; only a RUNNING task can be updated "
                               "(start a new one with POST /tensorboard)", 409)
        return task.to_json()  # TensorBoard rereads the trials' folders itself every few seconds

    @router.delete("/tensorboard/{task_id}", summary="Stop a TensorBoard task", responses=_TASK_404)
    def stop_task(request: Request, task_id: str) -> dict[str, Any]:
        try:
            return _tasks(request).stop(task_id).to_json()
        except TensorboardTaskNotFound as exc:
            raise RequestError(str(exc), 404) from None

    return router
