"""``create_app``: the FastAPI app of one experiment (NNI's REST API; what else it serves is passed in)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

import nni
from nni.manager.commands import ManagerControl
from nni.storage import StoreReader

from ._errors import install_error_handlers
from ._routes import API_ROOT, AppContext, ExperimentLookup, build_router
from ._tensorboard import build_tensorboard_router

__all__ = ["create_app", "OPENAPI_PATH", "TOKEN_HEADER", "TOKEN_COOKIE"]

OPENAPI_PATH = API_ROOT + "/openapi.json"
TOKEN_HEADER = "X-NNI-Token"
TOKEN_COOKIE = "nni_token"


def _normalize_prefix(url_prefix: str) -> str:
    prefix = "/" + url_prefix.strip("/") if url_prefix and url_prefix.strip("/") else ""
    return prefix


def _given_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)


def create_app(
    *,
    experiment_dir: str | os.PathLike[str],
    store_reader: StoreReader,
    control: ManagerControl | None,
    url_prefix: str = "",
    token: str | None = None,
    experiments: ExperimentLookup | None = None,
    extensions: Sequence[Callable[[FastAPI, str], None]] = (),
) -> FastAPI:
    """The REST app of one experiment.

    ``store_reader`` is the experiment's ``nni.storage.StoreReader`` (the read model every route reads);
    ``control`` is the running manager's command channel, or ``None`` for a read-only view
    (mutating routes then answer 409). ``experiments`` finds the other experiments of this machine
    (``/experiments-info``; none without it); each of ``extensions`` is called with the app and the URL
    prefix once NNI's routes are in (``nni.webui.install`` adds the web UI). With ``token`` set every request must carry it (``?token=``,
    ``Authorization: Bearer``, the ``X-NNI-Token`` header, or the cookie set after a ``?token=`` visit).
    Routes live under ``{url_prefix}/api/v1/nni``; the OpenAPI schema is at
    ``{url_prefix}/api/v1/nni/openapi.json`` and the interactive docs at ``{url_prefix}/api/v1/nni/docs``.
    """
    prefix = _normalize_prefix(url_prefix)
    app = FastAPI(
        title="NNI REST API",
        version=nni.__version__,
        openapi_url=prefix + OPENAPI_PATH,
        docs_url=prefix + API_ROOT + "/docs",
        redoc_url=None,
    )
    app.state.nni = AppContext(experiment_dir=Path(experiment_dir), reader=store_reader, control=control,
                               experiments=experiments)
    app.state.url_prefix = prefix
    install_error_handlers(app)
    app.include_router(build_router(), prefix=prefix)
    app.include_router(build_tensorboard_router(), prefix=prefix)
    for extend in extensions:
        extend(app, prefix)

    if token:
        @app.middleware("http")
        async def _require_token(request: Request, call_next: Any) -> Response:
            given = _given_token(request)
            if given is None or not hmac.compare_digest(given, token):
                return JSONResponse(
                    {"error": "this server needs its access token: add ?token=TOKEN to the URL or send the "
                              f"{TOKEN_HEADER} header (nnictl webui url ID prints the full URL)"},
                    status_code=401,
                )
            response = await call_next(request)
            if request.query_params.get("token") and request.cookies.get(TOKEN_COOKIE) != token:
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return response

    return app
