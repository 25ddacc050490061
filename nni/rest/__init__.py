"""NNI's REST API (``/api/v1/nni``) for one experiment, served by its manager process or ``nnictl view``.

``create_app(experiment_dir=..., store_reader=..., control=...)`` builds the FastAPI app. The web UI's
router (``nni.rest.webui.router``), when present, is included beside the API and reads
``request.app.state.nni`` (an :class:`AppContext`: ``experiment_dir``, ``data``, ``control``,
``store_reader``) and ``request.app.state.url_prefix``.
"""

from ._app import OPENAPI_PATH, TOKEN_COOKIE, TOKEN_HEADER, create_app
from ._data import ExperimentData, MetricView, ProfileView, TrialView
from ._routes import API_ROOT, TRIAL_STATUSES, AppContext
from ._shapes import decode_metric_data, encode_metric_value

__all__ = [
    "create_app",
    "API_ROOT",
    "OPENAPI_PATH",
    "TOKEN_HEADER",
    "TOKEN_COOKIE",
    "TRIAL_STATUSES",
    "AppContext",
    "ExperimentData",
    "MetricView",
    "ProfileView",
    "TrialView",
    "decode_metric_data",
    "encode_metric_value",
]
