"""The Slurm platform's config: each trial is a batch job submitted with ``sbatch``.

Example (v2)::

    trainingService:
      platform: slurm
      partition: gpu
      account: my-lab
      timeLimit: 2h            # per trial (Slurm counts whole minutes)
      cpusPerTrial: 4
      memoryPerTrial: 16G
      gpuRequest: gres         # trialGpuNumber N -> --gres=gpu:N ('gpus' -> --gpus=N)
      sbatchOptions: ["--constraint=a100"]
      setupScript: |
        module load cuda/12.1
        source ~/venvs/nni/bin/activate
      sharedDirectory: /shared/$USER/nni-experiments
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .._base import Context, _show, option
from .._values import to_choice, to_duration, to_int, to_path, to_str
from .base import TrainingServiceConfig, platform_field

__all__ = ["SlurmConfig"]

_MEMORY = re.compile(r"^\d+[KMGT]?$", re.IGNORECASE)


def _to_memory(value: Any, ctx: Context, path: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)  # megabytes, as sbatch --mem reads a bare number
    if isinstance(value, str) and _MEMORY.match(value.strip()):
        return value.strip().upper()
    raise ctx.error(path, f"expected a memory size such as 4G, 512M or a number of megabytes, got {_show(value)}")


def _to_sbatch_options(value: Any, ctx: Context, path: str) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.startswith("-") for v in value):
        raise ctx.error(path, f"expected a list of sbatch options such as [\"--constraint=a100\"], got {_show(value)}")
    return list(value)


@dataclass
class SlurmConfig(TrainingServiceConfig):
    platform: str = platform_field("slurm")
    partition: str | None = option("partition", to_str, help="the Slurm partition (sbatch --partition)")
    account: str | None = option("account", to_str, help="the account to charge (sbatch --account)")
    qos: str | None = option("qos", to_str, help="the quality of service (sbatch --qos)")
    time_limit: float | None = option(
        "timeLimit", to_duration, help="each trial's time limit, e.g. 2h (sbatch --time, rounded up to minutes)")
    cpus_per_trial: int | None = option("cpusPerTrial", to_int(1), help="CPUs per trial (sbatch --cpus-per-task)")
    memory_per_trial: str | None = option(
        "memoryPerTrial", _to_memory, help="memory per trial, e.g. 16G (sbatch --mem)")
    gpu_request: str = option(
        "gpuRequest", to_choice("gres", "gpus"), default="gres",
        help="how trialGpuNumber is asked for: 'gres' (--gres=gpu:N) or 'gpus' (--gpus=N)")
    sbatch_options: list[str] = option(
        "sbatchOptions", _to_sbatch_options, default_factory=list, help="extra sbatch options")
    setup_script: str | None = option(
        "setupScript", to_str, help="shell lines run in the job before the trial command (module load, conda activate)")
    shared_directory: str | None = option(
        "sharedDirectory", to_path("dir"),
        help="a folder on the filesystem shared with the compute nodes; trials' folders go under it "
             "(default: the experiment folder, which must then be shared)")
    poll_interval: float = option(
        "pollInterval", to_duration, default=2.0, help="longest wait between two squeue rounds, e.g. 2s")
