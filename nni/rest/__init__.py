"""NNI's REST API (``/api/v1/nni``) for one experiment, served by its manager process or ``nnictl view``.

``create_app(experiment_dir=..., store_reader=..., control=..., experiments=..., extensions=...)`` builds
the FastAPI app; the routes read the experiment through its ``nni.storage.StoreReader`` (the one read
model) and shape the store's records as NNI does (``_shapes``). Extensions such as the web UI
(``nni.webui.install``) read ``request.app.state.nni`` (an :class:`AppContext`: ``experiment_dir``,
``reader``, ``control``, ``experiments``) and ``request.app.state.url_prefix``. Every error answer is
``{"error": message}``, from ``nni.errors.RequestError`` (its status) or any other ``NNIError`` (400).

FastAPI is imported only when the app is built: ``nnictl`` uses the JSON shapes here without it.
"""

from __future__ import annotations

from typing import Any

from ._shapes import (
    decode_export_value,
    decode_metric_data,
    encode_metric_value,
    metric_json,
    profile_json,
    trial_json,
)
from ._views import profile_json_from_reader, trial_jobs_from_reader

API_ROOT = "/api/v1/nni"

__all__ = [
    "create_app",
    "API_ROOT",
    "OPENAPI_PATH",
    "TOKEN_HEADER",
    "TOKEN_COOKIE",
    "AppContext",
    "ExperimentLookup",
    "decode_export_value",
    "decode_metric_data",
    "encode_metric_value",
    "metric_json",
    "profile_json",
    "trial_json",
    "profile_json_from_reader",
    "trial_jobs_from_reader",
]

_LAZY = {"create_app": "_app", "OPENAPI_PATH": "_app", "TOKEN_HEADER": "_app", "TOKEN_COOKIE": "_app",
         "AppContext": "_routes", "ExperimentLookup": "_routes"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
