"""The web UI: its page and files, and the compact read routes it uses under ``/api/v1/nni/webui``.

``nni.rest.create_app`` includes :data:`router` (with the experiment's ``url_prefix``) and calls
:func:`mount`. The page is a plain ES-module app in ``nni/rest/static`` (no build step); Plotly is
served from the installed ``plotly`` wheel, never from a CDN.

Routes read an in-memory table kept current incrementally (see ``_webui_table``), so a page of the
trials table, a sort or a "what changed since revision R" poll costs milliseconds at 10,000 trials.
Changes (concurrency, limits, kill, customized trial) go through NNI's own REST routes.
Every route takes ``?exp=ID`` to read another experiment of this machine (read-only).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from nni.rest._webui_model import default_metric
from nni.rest._webui_state import WebuiLookupError, WebuiState, state_for
from nni.rest._webui_table import QueryError, TableQuery
from nni.status import TrialStatus

__all__ = ["router", "mount", "STATIC_DIR", "WEBUI_API", "plotly_js_path"]

STATIC_DIR = Path(__file__).with_name("static")
WEBUI_API = "/api/v1/nni/webui"
_MAX_LIMIT = 5000
_MAX_UPDATE_ROWS = 2000
_TOP = 10

router = APIRouter()
_log = logging.getLogger(__name__)


def plotly_js_path() -> Path:
    """``plotly.min.js`` from the installed plotly wheel."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall plotly (pip install --force-reinstall plotly)")
    return path


class _UIError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(exc: _UIError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def _state(request: Request, exp: str | None) -> WebuiState:
    try:
        return state_for(request.app, exp)
    except WebuiLookupError as exc:
        raise _UIError(404, str(exc)) from None


def _query(sort: str, order: str, status: str, q: str, filter: str) -> TableQuery:  # noqa: A002
    if order not in ("asc", "desc"):
        raise _UIError(400, f"order must be 'asc' or 'desc', got {order!r}")
    statuses = tuple(s.strip().upper() for s in status.split(",") if s.strip())
    return TableQuery(sort=sort or "seq", descending=order == "desc", statuses=statuses, search=q, filters=filter)


def _columns(state: WebuiState, names: str) -> list[str] | None:
    if not names:
        return None
    return [state.table.resolve_column(n) for n in names.split(",") if n.strip()]


def _guard(handler: Any) -> Any:
    """Turn the UI's own errors into ``{"error": ...}`` answers with the right status code."""
    import functools

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except _UIError as exc:
            return _error(exc)
        except QueryError as exc:
            return _error(_UIError(400, str(exc)))

    return wrapper


# ----- summary -------------------------------------------------------------------------------------
def _summary(state: WebuiState, brief: bool) -> dict[str, Any]:
    table = state.table
    revision = table.refresh()
    exp = state.source.experiment()
    counts = table.status_counts()
    now = time.time()
    maximize = exp.optimize_mode != "minimize"
    top_ids = table.best(maximize, _TOP)
    top_cols = ["id", "seq", "status", "default", "duration"] + [f"param:{p}" for p in table.param_columns]
    end = exp.end_time if exp.end_time else (now if exp.start_time else None)
    out: dict[str, Any] = {
        "revision": revision,
        "now": now,
        "readOnly": state.read_only,
        "experiment": {
            "id": exp.id,
            "name": exp.name,
            "status": exp.status,
            "error": exp.error,
            "startTime": exp.start_time,
            "endTime": exp.end_time,
            "elapsed": (end - exp.start_time) if (end and exp.start_time) else None,
            "maxDuration": exp.max_duration,
            "maxTrials": exp.max_trials,
            "concurrency": exp.concurrency,
            "optimizeMode": exp.optimize_mode,
            "platform": exp.platform,
            "folder": exp.folder,
        },
        "counts": counts,
        "total": len(table),
        "done": sum(n for s, n in counts.items() if s in TrialStatus.final()),
        "params": table.param_columns,
        "metrics": table.metric_columns,
        "columns": table.columns(),
        "top": {"columns": top_cols, "rows": table.rows(top_ids, top_cols)},
    }
    if not brief:
        out["experiment"]["config"] = exp.config
        out["experiment"]["searchSpace"] = exp.search_space
    return out


@router.get(WEBUI_API + "/summary", summary="Web UI: experiment, counts by status, best trials, columns")
@_guard
def summary(request: Request, exp: str | None = None, brief: bool = False) -> Any:
    return _summary(_state(request, exp), brief)


# ----- trials table --------------------------------------------------------------------------------
@router.get(WEBUI_API + "/trials", summary="Web UI: one page of the trial table (compact rows)")
@_guard
def trials(
    request: Request,
    exp: str | None = None,
    offset: int = 0,
    limit: int = Query(50, ge=0),
    sort: str = "seq",
    order: str = "asc",
    status: str = "",
    q: str = "",
    filter: str = "",  # noqa: A002
    columns: str = "",
    ids: str = "",
) -> Any:
    state = _state(request, exp)
    state.table.refresh()
    cols = _columns(state, columns)
    if ids:
        wanted = [i for i in ids.split(",") if i]
        cols = cols or state.table.columns()
        return {"revision": state.table.revision, "columns": cols, "rows": state.table.rows(wanted, cols),
                "total": len(wanted), "offset": 0}
    query = _query(sort, order, status, q, filter)
    return state.table.page(query, offset, min(limit, _MAX_LIMIT), cols)


@router.get(WEBUI_API + "/updates", summary="Web UI: trials changed since a revision, and a brief summary")
@_guard
def updates(request: Request, since: int = 0, exp: str | None = None, columns: str = "") -> Any:
    state = _state(request, exp)
    summary = _summary(state, brief=True)
    changed = state.table.changed_since(since)
    if since <= 0 or len(changed) > _MAX_UPDATE_ROWS:
        return {"revision": summary["revision"], "reload": True, "changed": len(changed), "summary": summary}
    cols = _columns(state, columns) or state.table.columns()
    return {
        "revision": summary["revision"],
        "reload": False,
        "changed": len(changed),
        "columns": cols,
        "rows": state.table.rows(changed, cols),
        "summary": summary,
    }


@router.get(WEBUI_API + "/columns", summary="Web UI: whole columns (every trial) for the charts")
@_guard
def columns(request: Request, names: str = "", exp: str | None = None) -> Any:
    state = _state(request, exp)
    state.table.refresh()
    cols = _columns(state, names) or state.table.columns()
    return {"revision": state.table.revision, "data": state.table.column_arrays(cols)}


@router.get(WEBUI_API + "/intermediate", summary="Web UI: intermediate results of some trials (downsampled)")
@_guard
def intermediate(request: Request, ids: str = "", top: int = Query(0, ge=0, le=500),
                 max_points: int = Query(200, ge=2, le=5000), exp: str | None = None) -> Any:
    state = _state(request, exp)
    state.table.refresh()
    wanted = [i for i in ids.split(",") if i]
    if top:
        maximize = state.source.experiment().optimize_mode != "minimize"
        wanted = wanted + [i for i in state.table.best(maximize, top) if i not in wanted]
    series = state.source.intermediates(wanted[:500])
    out = {}
    for tid, points in series.items():
        if len(points) > max_points:
            step = len(points) / max_points
            points = [points[int(k * step)] for k in range(max_points - 1)] + [points[-1]]
        out[tid] = [[p[0] for p in points], [p[1] for p in points]]
    return {"revision": state.table.revision, "series": out}


@router.get(WEBUI_API + "/importance", summary="Web UI: parameter importance (random forest, cached)")
@_guard
def importance(request: Request, exp: str | None = None) -> Any:
    return _state(request, exp).importance()


# ----- one trial -----------------------------------------------------------------------------------
def _trial_or_404(state: WebuiState, trial_id: str) -> Any:
    state.table.refresh()
    row = state.table.get(trial_id)
    if row is None:
        raise _UIError(404, f"no trial {trial_id!r} in experiment {state.source.experiment().id}")
    return row


@router.get(WEBUI_API + "/trial/{trial_id}", summary="Web UI: one trial with every metric and its files")
@_guard
def trial(request: Request, trial_id: str, exp: str | None = None) -> Any:
    state = _state(request, exp)
    row = _trial_or_404(state, trial_id)
    metrics = state.source.metrics(trial_id)
    cols = state.table.columns()
    return {
        "revision": state.table.revision,
        "readOnly": state.read_only,
        "columns": cols,
        "row": state.table.rows([trial_id], cols)[0],
        "parameters": row.parameters,
        "final": row.final,
        "message": row.message,
        "metrics": [{"type": m.type, "sequence": m.sequence, "value": m.value, "timestamp": m.timestamp}
                    for m in metrics],
        "files": _list_files(state, trial_id),
        "folder": str(state.source.trial_folder(trial_id) or ""),
    }


def _trial_folder(state: WebuiState, trial_id: str) -> Path:
    folder = state.source.trial_folder(trial_id)
    if folder is None:
        raise _UIError(404, f"trial {trial_id} has no folder on this machine")
    return folder


def _list_files(state: WebuiState, trial_id: str, limit: int = 200) -> list[dict[str, Any]]:
    folder = state.source.trial_folder(trial_id)
    if folder is None or not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        if len(out) >= limit:
            break
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(folder)
            if len(rel.parts) <= 4:
                out.append({"path": rel.as_posix(), "size": path.stat().st_size})
    return out


def safe_trial_file(folder: Path, experiment_folder: Path, name: str) -> Path:
    """The file ``name`` inside a trial's folder; refuses anything that resolves outside it."""
    root = folder.resolve()
    target = (root / name).resolve()
    if not (target.is_relative_to(root) and target.is_relative_to(experiment_folder.resolve())):
        raise _UIError(403, f"{name!r} is outside the trial's folder {root}; only the trial's own files are shown")
    if not target.is_file():
        raise _UIError(404, f"the trial has no file {name!r} (looked in {root})")
    return target


@router.get(WEBUI_API + "/trial/{trial_id}/file", summary="Web UI: the end of one file of a trial's folder")
@_guard
def trial_file(request: Request, trial_id: str, path: str, tail: int = Query(256 * 1024, ge=1, le=16 * 1024 * 1024),
               exp: str | None = None) -> Any:
    state = _state(request, exp)
    _trial_or_404(state, trial_id)
    target = safe_trial_file(_trial_folder(state, trial_id), state.folder, path)
    size = target.stat().st_size
    with open(target, "rb") as handle:
        if size > tail:
            handle.seek(size - tail)
        data = handle.read(tail)
    text = data.decode("utf-8", errors="replace")
    return PlainTextResponse(text, headers={"X-File-Size": str(size), "X-Truncated": str(int(size > tail))})


# ----- export --------------------------------------------------------------------------------------
def _iso(ts: Any) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if isinstance(ts, (int, float)) else ""


@router.get(WEBUI_API + "/export", summary="Web UI: the (filtered, sorted) trial table as CSV or JSON")
@_guard
def export(request: Request, format: str = "csv", exp: str | None = None, sort: str = "seq",  # noqa: A002
           order: str = "asc", status: str = "", q: str = "", filter: str = "") -> Any:  # noqa: A002
    if format not in ("csv", "json"):
        raise _UIError(400, f"format must be 'csv' or 'json', got {format!r}")
    state = _state(request, exp)
    table = state.table
    table.refresh()
    ids = table.ordered_ids(_query(sort, order, status, q, filter))
    exp_id = state.source.experiment().id
    name = f"nni-{exp_id or 'experiment'}-trials.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        items = []
        for tid in ids:
            row = table.get(tid)
            if row is None:
                continue
            items.append({
                "trialJobId": row.id, "sequenceId": row.seq, "status": row.status,
                "startTime": row.start, "endTime": row.end, "parameters": row.parameters,
                "finalMetric": row.final, "default": default_metric(row.final),
                "parameterSource": row.source,
            })
        return Response(json.dumps(items, indent=1), media_type="application/json", headers=headers)
    cols = table.columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.split(":", 1)[-1] if c.startswith("param:") else c for c in cols])
    for values in table.rows(ids, cols):
        writer.writerow([_iso(v) if c in ("start", "end") else ("" if v is None else v) for c, v in zip(cols, values, strict=True)])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


# ----- the page --------------------------------------------------------------------------------------
_NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_NO_CACHE)


for _legacy in ("/oview", "/detail", "/experiment"):  # NNI's page paths, bookmarked by users
    router.add_api_route(_legacy, index, include_in_schema=False)


@router.get("/webui-vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    return FileResponse(plotly_js_path(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


def mount(app: FastAPI, prefix: str = "") -> None:
    """Serve the UI's static files under ``{prefix}/static`` (called by ``nni.rest.create_app``).

    Also loads the trial table in the background right away, so the first page a user opens does not
    wait for a cold read of a big experiment.
    """
    app.mount(prefix + "/static", StaticFiles(directory=STATIC_DIR), name="webui-static")
    if prefix:
        app.add_api_route(prefix, lambda: RedirectResponse(prefix + "/"), include_in_schema=False)
    threading.Thread(target=_warm_up, args=(app,), name="webui-warm-up", daemon=True).start()


def _warm_up(app: FastAPI) -> None:
    try:
        state_for(app, None).table.refresh()
    except Exception as exc:  # the store may not be ready yet; the first request loads it then
        _log.debug("web UI warm-up skipped: %s", exc)
