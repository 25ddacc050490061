"""TensorBoard over an experiment's trials: ``nnictl tensorboard`` and the ``/tensorboard`` REST routes.

A trial writes its event files under ``$NNI_OUTPUT_DIR/tensorboard`` (NNI's convention; e.g.
``SummaryWriter(os.path.join(os.environ["NNI_OUTPUT_DIR"], "tensorboard"))``). :class:`TensorboardTasks`
starts one TensorBoard process over the chosen trials' folders (runs named ``<sequence id>-<trial id>``,
as NNI names them), lists, stops and forgets them. Its state is ``<experiment>/tensorboard/tasks.json``,
shared under a file lock by every process that manages the experiment's TensorBoards (the manager's
REST routes, ``nnictl``), so a task started by one is seen and stopped by the other. Trials on a shared
filesystem (Slurm) are read where they are; remote trials' event files are not fetched.

TensorBoard itself is an optional extra (``pip install "nni[tensorboard]"``); without it, starting a task
is one clear error.
"""

from ._tasks import (
    DEFAULT_PORT,
    TensorboardError,
    TensorboardTask,
    TensorboardTaskNotFound,
    TensorboardTasks,
    TrialLogs,
    has_event_files,
    trial_logs,
)

__all__ = ["DEFAULT_PORT", "TensorboardError", "TensorboardTask", "TensorboardTaskNotFound", "TensorboardTasks", "TrialLogs",
           "has_event_files", "trial_logs"]
