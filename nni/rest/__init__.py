"""NNI's REST API (``/api/v1/nni``) for one experiment, served by its manager process or ``nnictl view``.

``create_app(experiment_dir=..., store_reader=..., control=...)`` builds the FastAPI app. The web UI's
router (``nni.rest.webui.router``), when present, is included beside the API and reads
``request.app.state.nni`` (an :class:`AppContext`: ``experiment_dir``, ``data``, ``control``,
``store_reader``) and ``request.app.state.url_prefix``.

FastAPI is imported only when the app is built: ``nnictl`` uses the JSON shapes here without it.
"""

from __future__ import annotations

from typing import Any

from ._data import ExperimentData, MetricView, ProfileView, TrialView
from ._shapes import decode_metric_data, encode_metric_value, metric_json, profile_json, trial_json
from ._views import profile_json_from_reader, trial_jobs_from_reader

API_ROOT = "/api/v1/nni"

__all__ = [
    "create_app",
    "API_ROOT",
    "OPENAPI_PATH",
    "TOKEN_HEADER",
    "TOKEN_COOKIE",
    "AppContext",
    "ExperimentData",
    "MetricView",
    "ProfileView",
    "TrialView",
    "decode_metric_data",
    "encode_metric_value",
    "metric_json",
    "profile_json",
    "trial_json",
    "profile_json_from_reader",
    "trial_jobs_from_reader",
]

_LAZY = {"create_app": "_app", "OPENAPI_PATH": "_app", "TOKEN_HEADER": "_app", "TOKEN_COOKIE": "_app",
         "AppContext": "_routes"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
