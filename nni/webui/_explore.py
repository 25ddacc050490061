"""The web UI's routes for looking at results: chart columns sampled on the server, best-so-far curves, the
search space's slices and contours, and several experiments compared. Computed by ``nni.analysis`` (the
same code as ``nnictl experiment compare`` and the Python API), cached per table revision.

Where a browser cannot draw every point (a scatter of 100,000 trials), the server sends at most
``max_points``: the best fifth by the metric and an even random draw of the rest (``nni.analysis.space``),
and says so (``sampled``, ``shown``, ``total``), so the chart can say so too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from fastapi import APIRouter, Query, Request

from nni.analysis import best_first, compare, contour, explore, sample_positions
from nni.errors import RequestError
from nni.rest._openapi import WEBUI_RESPONSES, ExperimentIdsParam, ExperimentParam

from ._routes import WEBUI_API, _columns, webui_state
from ._state import state_for

__all__ = ["router"]

router = APIRouter(responses=WEBUI_RESPONSES)
_COMPARE_MAX = 8


@router.get(WEBUI_API + "/chart-columns",
            summary="Web UI: columns for the charts, sampled on the server beyond max_points (or the best trials)")
def chart_columns(request: Request, names: str = "", exp: ExperimentParam = None,
                  max_points: int = Query(5000, ge=10, le=200_000),
                  top_percent: float | None = Query(None, gt=0, le=100)) -> Any:
    """``top_percent=P``: the best P% of the trials with a result (at most ``max_points``, the best ones);
    otherwise every trial, or ``max_points`` of them (the best fifth and a random draw of the rest)."""
    state = webui_state(request, exp)
    results = state.results()
    total = len(results)
    if top_percent is not None:
        have = results.with_result
        count = min(math.ceil(len(have) * top_percent / 100), max_points)
        chosen = np.sort(best_first(results.value, have, maximize=results.maximize)[:count])
        shown_of = len(have)
    else:
        chosen = sample_positions(results.value, np.arange(total), max_points, maximize=results.maximize)
        shown_of = total
    cols = _columns(state, names) or state.table.columns()
    ids = [results.ids[i] for i in chosen]
    return {"revision": state.table.revision, "total": shown_of, "shown": len(ids), "sampled": len(ids) < shown_of,
            "data": state.table.column_arrays(cols, ids)}


@router.get(WEBUI_API + "/best-so-far", summary="Web UI: the best default metric so far, against trials and time")
def best_so_far(request: Request, exp: ExperimentParam = None) -> Any:
    results = webui_state(request, exp).results()
    return {"mode": results.mode, "total": len(results), "withResult": len(results.with_result),
            **results.best_so_far()}


@router.get(WEBUI_API + "/explore",
            summary="Web UI: the metric against each parameter (slices), its distribution, best so far")
def explore_space(request: Request, exp: ExperimentParam = None, max_points: int = Query(2000, ge=10, le=20_000)) -> Any:
    state = webui_state(request, exp)
    return {"revision": state.table.revision, **state.cached("explore", max_points,
                                                                 lambda r: explore(r, max_points=max_points))}


@router.get(WEBUI_API + "/contour", summary="Web UI: the best metric over a grid of two parameters")
def contour_of(request: Request, x: str, y: str, exp: ExperimentParam = None, bins: int | None = Query(None, ge=2, le=100),
               max_points: int = Query(2000, ge=10, le=20_000)) -> Any:
    state = webui_state(request, exp)

    def compute(results: Any) -> dict[str, Any]:
        try:
            return contour(results, x, y, bins=bins, max_points=max_points)
        except KeyError as exc:  # no such parameter
            raise RequestError(str(exc).strip("'\""), 404) from None
        except ValueError as exc:
            raise RequestError(str(exc)) from None

    return {"revision": state.table.revision, **state.cached("contour", (x, y, bins, max_points), compute)}


@router.get(WEBUI_API + "/compare", summary="Web UI: two or more experiments of this machine side by side")
def compare_experiments(request: Request, ids: ExperimentIdsParam, max_points: int = Query(1000, ge=10, le=20_000)) -> Any:
    given = [i.strip() for i in ids.split(",") if i.strip()]
    if not 2 <= len(given) <= _COMPARE_MAX:
        raise RequestError(f"ids must name 2 to {_COMPARE_MAX} experiments (comma-separated), got {len(given)}")
    distinct = list(dict.fromkeys(given))
    wanted = distinct if len(distinct) >= 2 else given  # "a,a": the experiment beside itself
    states = [state_for(request.app, i) for i in wanted]
    return compare([s.results() for s in states], max_points=max_points)
