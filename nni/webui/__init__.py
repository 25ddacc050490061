"""The web UI: its page and static files (``static/``: plain ES modules, no build step; Plotly from the
installed ``plotly`` wheel, never from a CDN) and the compact read routes it uses under
``/api/v1/nni/webui``.

The app that serves an experiment gets the UI with ``nni.rest.create_app(..., extensions=[install])``.
The UI reads the experiment through the same read model as NNI's routes (``nni.storage.StoreReader``),
into an in-memory :class:`TrialTable` refreshed with only what changed since its last look.
"""

from __future__ import annotations

from ._metrics import default_metric, other_metrics
from ._page import STATIC_DIR, install, plotly_js_path
from ._routes import WEBUI_API
from ._table import BASE_COLUMNS, TableQuery, TrialFeed, TrialTable, flatten_parameters

__all__ = [
    "BASE_COLUMNS",
    "STATIC_DIR",
    "WEBUI_API",
    "TableQuery",
    "TrialFeed",
    "TrialTable",
    "default_metric",
    "flatten_parameters",
    "install",
    "other_metrics",
    "plotly_js_path",
]
