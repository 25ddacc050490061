"""A trial's files in the web UI: the listing and the end of one file, never anything outside its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from nni.errors import RequestError
from nni.platforms._common import trial_file_path
from nni.rest._openapi import WEBUI_RESPONSES, ExperimentParam, errors

from ._state import state_for

__all__ = ["router", "list_files", "safe_trial_file"]

router = APIRouter(responses=WEBUI_RESPONSES)


def list_files(folder: Path, limit: int = 200) -> list[dict[str, Any]]:
    """Up to ``limit`` files of a trial's folder (4 levels deep at most), symbolic links left out."""
    if not folder.is_dir():
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


def safe_trial_file(folder: Path, experiment_folder: Path, trial_id: str, name: str) -> Path:
    """The file ``name`` inside a trial's folder; refuses anything that resolves outside it (403)."""
    target = trial_file_path(folder, trial_id, name, within=experiment_folder)
    if not target.is_file():
        raise RequestError(f"the trial has no file {name!r} (looked in {folder})", 404)
    return target


@router.get("/api/v1/nni/webui/trial/{trial_id}/file", summary="Web UI: the end of one file of a trial's folder",
            responses={**errors(403), 200: {
                "description": "the file's end as text (X-File-Size: its size; X-Truncated: 1 when cut)",
                "content": {"text/plain": {"schema": {"type": "string"}}}}})
def trial_file(request: Request, trial_id: str, path: str, tail: int = Query(256 * 1024, ge=1, le=16 * 1024 * 1024),
               exp: ExperimentParam = None) -> Any:
    state = state_for(request.app, exp)
    state.trial(trial_id)
    target = safe_trial_file(state.trial_folder(trial_id), state.folder, trial_id, path)
    size = target.stat().st_size
    with open(target, "rb") as handle:
        if size > tail:
            handle.seek(size - tail)
        data = handle.read(tail)
    text = data.decode("utf-8", errors="replace")
    return PlainTextResponse(text, headers={"X-File-Size": str(size), "X-Truncated": str(int(size > tail))})
