"""The experiment manager: one loop per experiment that owns its state (see ``ExperimentManager``).

Use::

    from nni.manager import ExperimentManager
    from nni.storage import ExperimentStore
    manager = ExperimentManager(config, experiment_dir, experiment_id, store=ExperimentStore(experiment_dir))
    status = manager.run()                  # blocks: "DONE", "STOPPED" or "ERROR"
    # from other threads:
    manager.control.send(UpdateConcurrency(4)).result()
    manager.request_stop()

Parts (each takes the others it uses explicitly; ``tests/test_structure.py`` keeps them acyclic):
``_state`` (ManagerState: trials followed and queued, counters, limits, flags), ``_policy`` (scheduling,
budget and deadline decisions from the state), ``_journal`` (AlgorithmJournal: writes the tuner calls to
the store and replays them on resume), ``_trials`` (create, submit, kill), ``_commands`` (the command
handlers), ``_resume`` and ``_manager`` (the loop that owns the queue and calls them).
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
