"""The web UI's export: the (filtered, sorted) trial table as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from nni.rest._openapi import WEBUI_RESPONSES, ExperimentParam, ExportFormat, SortOrder, StatusListParam

from ._metrics import default_metric
from ._routes import WEBUI_API, table_query, webui_state

__all__ = ["router"]

router = APIRouter(responses=WEBUI_RESPONSES)


def _iso(ts: Any) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if isinstance(ts, (int, float)) else ""


_EXPORT_CONTENT = {200: {"description": "the table as a file (Content-Disposition: attachment)", "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
}}}


@router.get(WEBUI_API + "/export", summary="Web UI: the (filtered, sorted) trial table as CSV or JSON",
            response_class=Response, responses=_EXPORT_CONTENT)
def export(request: Request, format: ExportFormat = "csv", exp: ExperimentParam = None,  # noqa: A002
           sort: str = "seq", order: SortOrder = "asc", status: StatusListParam = "", q: str = "",
           filter: str = "") -> Any:  # noqa: A002
    state = webui_state(request, exp)
    table = state.table
    table.refresh()
    ids = table.ordered_ids(table_query(sort, order, status, q, filter))
    name = f"nni-{state.experiment_id() or 'experiment'}-trials.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        items = []
        for tid in ids:
            row = table.get(tid)
            if row is None:
                continue
            items.append({
                "trialJobId": row.trial_job_id, "sequenceId": row.sequence_id, "status": row.status,
                "startTime": row.start_time, "endTime": row.end_time,
                "parameters": row.parameters if isinstance(row.parameters, dict) else {},
                "finalMetric": row.final_metric, "default": default_metric(row.final_metric),
                "parameterSource": row.parameter_source,
            })
        return Response(json.dumps(items, indent=1), media_type="application/json", headers=headers)
    cols = table.columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.split(":", 1)[-1] if c.startswith("param:") else c for c in cols])
    for values in table.rows(ids, cols):
        writer.writerow([_iso(v) if c in ("start", "end") else ("" if v is None else v)
                         for c, v in zip(cols, values, strict=True)])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
