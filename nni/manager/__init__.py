"""The experiment manager: one loop per experiment that owns its state (see ``ExperimentManager``).

Use::

    from nni.manager import ExperimentManager
    from nni.storage import ExperimentStore
    manager = ExperimentManager(config, experiment_dir, experiment_id, store=ExperimentStore(experiment_dir))
    status = manager.run()                  # blocks: "DONE", "STOPPED" or "ERROR"
    # from other threads:
    manager.control.send(UpdateConcurrency(4)).result()
    manager.request_stop()
"""

from ._manager import ExperimentManager
from .commands import (
    AddCustomizedTrial,
    Command,
    ImportData,
    KillTrial,
    ManagerControl,
    StopExperiment,
    UpdateConcurrency,
    UpdateMaxDuration,
    UpdateMaxTrialNumber,
    UpdateSearchSpace,
)

__all__ = [
    "AddCustomizedTrial",
    "Command",
    "ExperimentManager",
    "ImportData",
    "KillTrial",
    "ManagerControl",
    "StopExperiment",
    "UpdateConcurrency",
    "UpdateMaxDuration",
    "UpdateMaxTrialNumber",
    "UpdateSearchSpace",
]
