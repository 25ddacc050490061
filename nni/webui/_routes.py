"""The web UI's read routes under ``/api/v1/nni/webui``: summary, table pages, updates, charts, one trial.

Routes read an in-memory table kept current incrementally (see ``_table``), so a page of the trials
table, a sort or a "what changed since revision R" poll costs milliseconds at 10,000 trials.
Changes (concurrency, limits, kill, customized trial) go through NNI's own REST routes.
Every route takes ``?exp=ID`` to read another experiment of this machine (read-only); every error is a
``nni.errors.RequestError``, answered by the app's one error handler.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Query, Request

from nni.analysis.objectives import require_objectives
from nni.rest._openapi import WEBUI_RESPONSES, ExperimentParam, SortOrder, StatusListParam
from nni.status import TrialStatus

from ._experiment import experiment_info, optimize_mode
from ._files import list_files
from ._metrics import default_metric
from ._state import WebuiState, state_for
from ._table import TableQuery

__all__ = ["router", "WEBUI_API", "table_query", "webui_state"]

WEBUI_API = "/api/v1/nni/webui"
_MAX_LIMIT = 5000
_MAX_UPDATE_ROWS = 2000
_TOP = 10
_PARETO_TOP = 100

router = APIRouter(responses=WEBUI_RESPONSES)


def webui_state(request: Request, exp: str | None) -> WebuiState:
    return state_for(request.app, exp)


def table_query(sort: str, order: str, status: str, q: str, filter: str) -> TableQuery:  # noqa: A002
    statuses = tuple(s.strip().upper() for s in status.split(",") if s.strip())
    return TableQuery(sort=sort or "seq", descending=order == "desc", statuses=statuses, search=q, filters=filter)


def _columns(state: WebuiState, names: str) -> list[str] | None:
    if not names:
        return None
    return [state.table.resolve_column(n) for n in names.split(",") if n.strip()]


# ----- summary -------------------------------------------------------------------------------------
def _summary(state: WebuiState, brief: bool) -> dict[str, Any]:
    table = state.table
    revision = table.refresh()
    profile = state.reader.profile()
    counts = table.status_counts()
    now = time.time()
    top_ids = table.best(optimize_mode(profile) != "minimize", _TOP)
    top_cols = ["id", "seq", "status", "default", "duration"] + [f"param:{p}" for p in table.param_columns]
    multi = _pareto_summary(state)
    if multi is not None:
        top_ids = multi.pop("ids")
        top_cols = (["id", "seq", "status"] + [f"metric:{o['name']}" for o in multi["objectives"]]
                    + ["duration"] + [f"param:{p}" for p in table.param_columns])
    out = {
        "revision": revision,
        "now": now,
        "readOnly": state.read_only,
        "experiment": experiment_info(profile, state.folder, now, brief=brief, live=not state.read_only),
        "counts": counts,
        "total": len(table),
        "done": sum(n for s, n in counts.items() if s in TrialStatus.final()),
        "params": table.param_columns,
        "metrics": table.metric_columns,
        "columns": table.columns(),
        "top": {"columns": top_cols, "rows": table.rows(top_ids, top_cols)},
    }
    if multi is not None:
        out["multi"] = multi
    return out


def _pareto_summary(state: WebuiState) -> dict[str, Any] | None:
    """For several objectives: the objectives, constraints, counts and hypervolume, and the Pareto set's ids
    (best first by the first objective, at most ``_PARETO_TOP``) that replace the summary's best trials."""
    front = state.pareto(history=False)
    if front is None:
        return None
    return {
        **front.spec.as_json(),
        "counts": front.counts(),
        "hypervolume": front.hypervolume,
        "reference": None if front.reference is None else list(front.reference),
        "ids": [p.trial_job_id for p in front.pareto_set[:_PARETO_TOP]],
    }


@router.get(WEBUI_API + "/summary", summary="Web UI: experiment, counts by status, best trials, columns")
def summary(request: Request, exp: ExperimentParam = None, brief: bool = False) -> Any:
    return _summary(webui_state(request, exp), brief)


# ----- trials table --------------------------------------------------------------------------------
@router.get(WEBUI_API + "/trials", summary="Web UI: one page of the trial table (compact rows)")
def trials(
    request: Request,
    exp: ExperimentParam = None,
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=0),
    sort: str = "seq",
    order: SortOrder = "asc",
    status: StatusListParam = "",
    q: str = "",
    filter: str = "",  # noqa: A002
    columns: str = "",
    ids: str = "",
) -> Any:
    state = webui_state(request, exp)
    state.table.refresh()
    cols = _columns(state, columns)
    if ids:
        wanted = [i for i in ids.split(",") if i]
        cols = cols or state.table.columns()
        return {"revision": state.table.revision, "columns": cols, "rows": state.table.rows(wanted, cols),
                "total": len(wanted), "offset": 0}
    query = table_query(sort, order, status, q, filter)
    return state.table.page(query, offset, min(limit, _MAX_LIMIT), cols)


@router.get(WEBUI_API + "/updates", summary="Web UI: trials changed since a revision, and a brief summary")
def updates(request: Request, since: int = 0, exp: ExperimentParam = None, columns: str = "") -> Any:
    state = webui_state(request, exp)
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
def columns(request: Request, names: str = "", exp: ExperimentParam = None) -> Any:
    state = webui_state(request, exp)
    state.table.refresh()
    cols = _columns(state, names) or state.table.columns()
    return {"revision": state.table.revision, "data": state.table.column_arrays(cols)}


@router.get(WEBUI_API + "/intermediate", summary="Web UI: intermediate results of some trials (downsampled)")
def intermediate(request: Request, ids: str = "", top: int = Query(0, ge=0, le=500),
                 max_points: int = Query(200, ge=2, le=5000), exp: ExperimentParam = None) -> Any:
    state = webui_state(request, exp)
    state.table.refresh()
    wanted = [i for i in ids.split(",") if i]
    if top:
        maximize = optimize_mode(state.reader.profile()) != "minimize"
        wanted = wanted + [i for i in state.table.best(maximize, top) if i not in wanted]
    out = {}
    for tid, rows in state.reader.intermediate_results(wanted[:500]).items():
        points = [(m.sequence, value) for m in rows if (value := default_metric(m.value)) is not None]
        if len(points) > max_points:
            step = len(points) / max_points
            points = [points[int(k * step)] for k in range(max_points - 1)] + [points[-1]]
        out[tid] = [[p[0] for p in points], [p[1] for p in points]]
    return {"revision": state.table.revision, "series": out}


@router.get(WEBUI_API + "/importance", summary="Web UI: parameter importance (random forest, cached)")
def importance(request: Request, exp: ExperimentParam = None) -> Any:
    return webui_state(request, exp).importance()


@router.get(WEBUI_API + "/pareto", summary="Web UI: every result's objectives, feasibility and front membership "
            "(columns), the hypervolume history")
def pareto(request: Request, exp: ExperimentParam = None, reference: str | None = None) -> Any:
    state = webui_state(request, exp)
    spec = require_objectives(state.config(), state.experiment_id())
    front = state.pareto(reference=spec.parse_reference(reference))
    assert front is not None
    shape = front.as_json()
    points = front.points
    return {
        "revision": state.table.revision,
        **{k: shape[k] for k in ("objectives", "constraints", "reference", "referenceRule", "hypervolume", "counts")},
        "history": {"seq": [s for s, _ in front.history], "hypervolume": [v for _, v in front.history]},
        "points": {
            "id": [p.trial_job_id for p in points],
            "seq": [p.sequence_id for p in points],
            "status": [p.status for p in points],
            "values": [[p.values[j] for p in points] for j in range(len(spec.objectives))],
            "feasible": [p.feasible for p in points],
            "valid": [p.valid for p in points],
            "pareto": [p.pareto for p in points],
            "violation": [p.violation for p in points],
            "problem": [p.problem for p in points],
        },
    }


# ----- one trial -----------------------------------------------------------------------------------
@router.get(WEBUI_API + "/trial/{trial_id}", summary="Web UI: one trial with every metric and its files")
def trial(request: Request, trial_id: str, exp: ExperimentParam = None) -> Any:
    state = webui_state(request, exp)
    row = state.trial(trial_id)
    metrics = state.reader.metrics(trial_id)
    cols = state.table.columns()
    return {
        "revision": state.table.revision,
        "readOnly": state.read_only,
        "columns": cols,
        "row": state.table.rows([trial_id], cols)[0],
        "parameters": row.parameters if isinstance(row.parameters, dict) else {},
        "final": row.final_metric,
        "message": row.reason or None,
        "metrics": [{"type": m.type, "sequence": m.sequence, "value": m.value, "timestamp": m.timestamp}
                    for m in metrics],
        "files": list_files(state.trial_folder(trial_id)),
        "folder": str(state.trial_folder(trial_id)),
    }
