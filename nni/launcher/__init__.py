"""Start, resume, view, stop and list experiments (one manager process each) and the registry of them.

Experiments live under ``~/nni-experiments/<id>/`` (``$NNI_EXPERIMENTS_HOME`` overrides the root, the
config's ``experimentWorkingDirectory`` the parent of one experiment's folder); the registry is
``~/nni-experiments/.experiment``. A manager process logs to ``<folder>/log/nnimanager.log``.
"""

from typing import Any

from ._paths import DEFAULT_PORT, experiments_home, is_experiment_id, new_experiment_id, registry_path
from ._registry import Registry, entry_folder, entry_url, manager_alive

_LAZY = {
    "RestClient": "_client", "RegistryExperiments": "_app", "experiment_app": "_app",
    "MANAGER_LOG": "_launch", "STDOUT_LOG": "_launch", "STDERR_LOG": "_launch", "Launched": "_launch", "LaunchError": "_launch", "create_experiment": "_launch",
    "experiment_dir_of": "_launch", "list_experiments": "_launch",
    "resume_experiment": "_launch", "stop_experiment": "_launch", "view_experiment": "_launch", "web_url": "_launch",
    "PortBusyError": "_server", "ServeOptions": "_server", "serve": "_server",
}

__all__ = [
    "DEFAULT_PORT",
    "MANAGER_LOG",
    "STDERR_LOG",
    "STDOUT_LOG",
    "Launched",
    "LaunchError",
    "PortBusyError",
    "Registry",
    "RegistryExperiments",
    "RestClient",
    "ServeOptions",
    "create_experiment",
    "entry_folder",
    "entry_url",
    "experiment_app",
    "experiment_dir_of",
    "experiments_home",
    "is_experiment_id",
    "list_experiments",
    "manager_alive",
    "new_experiment_id",
    "registry_path",
    "resume_experiment",
    "serve",
    "stop_experiment",
    "view_experiment",
    "web_url",
]


def __getattr__(name: str) -> Any:
    # httpx, the manager and the store load only when used: nnictl's read commands start fast
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
