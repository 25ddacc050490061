"""JSON errors for the REST app and the web UI: ``{"error": "<what was wrong and what to do>"}`` (NNI's shape).

The one place errors become status codes: ``nni.errors.RequestError`` carries its own (404 not found,
409 read-only...), a refused file access 403, any other ``NNIError`` (a bad config, search space, query) is the request's fault: 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from nni.errors import NNIError, RequestError

__all__ = ["install_error_handlers", "status_code_of"]


def status_code_of(exc: NNIError) -> int:
    """``RequestError``: its own status; a refused file access (a ``PermissionError``, e.g. a name outside
    a trial's folder): 403; any other ``NNIError``: 400."""
    if isinstance(exc, RequestError):
        return exc.status_code or 400
    return 403 if isinstance(exc, PermissionError) else 400


def _describe_validation(errors: list[dict[str, Any]]) -> str:
    """One line: each value named with what was given and what is allowed (the schema's enums and ranges)."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc) or "request"
        expected = (err.get("ctx") or {}).get("expected")
        if expected is not None:
            parts.append(f"{where} must be one of {expected.replace(chr(39), '')}, got {err.get('input')!r}")
        elif err.get("type") == "missing":
            parts.append(f"{where} is required (see /api/v1/nni/openapi.json)")
        else:
            parts.append(f"{where}: {err.get('msg', 'invalid')}, got {err.get('input')!r}")
    return "; ".join(parts)


def _allowed_methods(request: Request) -> str:
    """Every method some route of the app answers on this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods.update(route.methods)
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NNIError)
    async def _refused(_: Request, exc: NNIError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=status_code_of(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {request.method} {request.url.path} (see /api/v1/nni/openapi.json)"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
            message = f"{request.method} is not allowed on {request.url.path}; allowed: {headers['Allow']}"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return JSONResponse(
            {
                "error": _describe_validation(errors),
                "detail": [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors],
            },
            status_code=422,
        )
