"""The page and its files, and :func:`install`: how an app gets the web UI (``create_app(extensions=[install])``)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from . import _explore, _export, _files, _routes
from ._state import state_for

__all__ = ["install", "STATIC_DIR", "plotly_js_path"]

STATIC_DIR = Path(__file__).with_name("static")
_NO_CACHE = {"Cache-Control": "no-cache"}
_log = logging.getLogger(__name__)

router = APIRouter()


def plotly_js_path() -> Path:
    """``plotly.min.js`` from the installed plotly wheel."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall plotly (pip install --force-reinstall plotly)")
    return path


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_NO_CACHE)


for _legacy in ("/oview", "/detail", "/experiment"):  # NNI's page paths, bookmarked by users
    router.add_api_route(_legacy, index, include_in_schema=False)


@router.get("/webui-vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    return FileResponse(plotly_js_path(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


def install(app: FastAPI, prefix: str = "") -> None:
    """Add the web UI to an experiment's app (``nni.rest.create_app``): its routes, the page, and its static
    files under ``{prefix}/static``.

    Its routes raise ``nni.errors.RequestError``: the app's error handler (installed by ``create_app``)
    answers them as ``{"error": message}`` with their status. Also loads the trial table in the background right away, so the first page a user opens does not
    wait for a cold read of a big experiment.
    """
    for module_router in (_routes.router, _explore.router, _files.router, _export.router, router):
        app.include_router(module_router, prefix=prefix)
    app.mount(prefix + "/static", StaticFiles(directory=STATIC_DIR), name="webui-static")
    if prefix:
        app.add_api_route(prefix, lambda: RedirectResponse(prefix + "/"), include_in_schema=False)
    threading.Thread(target=_warm_up, args=(app,), name="webui-warm-up", daemon=True).start()


def _warm_up(app: FastAPI) -> None:
    try:
        state_for(app, None).table.refresh()
    except Exception as exc:  # the store may not be ready yet; the first request loads it then
        _log.debug("web UI warm-up skipped: %s", exc)
