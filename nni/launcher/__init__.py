"""Start, resume, view, stop and list experiments (one manager process each) and the registry of them.

Experiments live under ``~/nni-experiments/<id>/`` (``$NNI_EXPERIMENTS_HOME`` overrides the root, the
config's ``experimentWorkingDirectory`` the parent of one experiment's folder); the registry is
``~/nni-experiments/.experiment``. A manager process logs to ``<folder>/log/nnimanager.log``.
"""

from ._client import RestClient, RestError
from ._launch import (
    MANAGER_LOG,
    Launched,
    LaunchError,
    create_experiment,
    experiment_dir_of,
    is_alive,
    list_experiments,
    resume_experiment,
    stop_experiment,
    view_experiment,
    web_url,
)
from ._paths import DEFAULT_PORT, experiments_home, is_experiment_id, new_experiment_id, registry_path
from ._registry import Registry
from ._server import PortBusyError, ServeOptions, serve

__all__ = [
    "DEFAULT_PORT",
    "MANAGER_LOG",
    "Launched",
    "LaunchError",
    "PortBusyError",
    "Registry",
    "RestClient",
    "RestError",
    "ServeOptions",
    "create_experiment",
    "experiment_dir_of",
    "experiments_home",
    "is_alive",
    "is_experiment_id",
    "list_experiments",
    "new_experiment_id",
    "registry_path",
    "resume_experiment",
    "serve",
    "stop_experiment",
    "view_experiment",
    "web_url",
]
