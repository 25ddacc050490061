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
from nni.tensorboard import TensorboardTask, TensorboardTaskNotFound, TensorboardTasks, trial_logs

from . import API_ROOT

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


def build_tensorboard_router() -> APIRouter:
    router = APIRouter(prefix=API_ROOT)

    @router.post("/tensorboard", summary="Start TensorBoard over trials' event files: {trials: 'id,id'}")
    def start(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
        ctx = request.app.state.nni
        logs = trial_logs(ctx.reader, ctx.experiment_dir, _trial_ids(body or {}))
        return _tasks(request).start(logs, port=_port(body)).to_json()

    @router.get("/tensorboard-tasks", summary="Every TensorBoard task of the experiment")
    def list_tasks(request: Request) -> list[dict[str, Any]]:
        return [t.to_json() for t in _tasks(request).list()]

    @router.delete("/tensorboard-tasks", summary="Stop every TensorBoard task")
    def stop_all(request: Request) -> dict[str, Any]:
        _tasks(request).stop_all()
        return {}

    @router.get("/tensorboard/{task_id}", summary="One TensorBoard task")
    def get_task(request: Request, task_id: str) -> dict[str, Any]:
        return _task(request, task_id).to_json()

    @router.put("/tensorboard/{task_id}", summary="Refresh a task's data (event files are read in place)")
    def update_task(request: Request, task_id: str) -> dict[str, Any]:
        task = _task(request, task_id)
        if task.status != TensorboardStatus.RUNNING:
            raise RequestError(f"TensorBoard task {task_id} is {task.status}; only a RUNNING task can be updated")
        return task.to_json()  # TensorBoard rereads the trials' folders itself every few seconds

    @router.delete("/tensorboard/{task_id}", summary="Stop a TensorBoard task")
    def stop_task(request: Request, task_id: str) -> dict[str, Any]:
        try:
            return _tasks(request).stop(task_id).to_json()
        except TensorboardTaskNotFound as exc:
            raise RequestError(str(exc), 404) from None

    return router
