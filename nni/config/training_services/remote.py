"""The remote platform's config: trials run over SSH on the machines of ``machineList``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .._base import ConfigBase, Context, option
from .._values import (
    to_bool,
    to_choice,
    to_config_list,
    to_duration,
    to_gpu_indices,
    to_int,
    to_nonempty_str,
    to_path,
    to_str,
)
from .base import TrainingServiceConfig, platform_field

__all__ = ["RemoteConfig", "RemoteMachineConfig"]


@dataclass
class RemoteMachineConfig(ConfigBase):
    """One SSH machine: ``host``, ``port``, ``user``, and ``password`` or ``sshKeyFile`` (+ ``passphrase``)."""

    host: str | None = option("host", to_nonempty_str, required=True, help="the machine's host name or IP address")
    port: int = option("port", to_int(1, 65535), default=22)
    user: str | None = option("user", to_nonempty_str, required=True, help="the SSH user name")
    password: str | None = option("password", to_str, secret=True)
    ssh_key_file: str | None = option("sshKeyFile", to_path("file", must_exist=True))
    passphrase: str | None = option("passphrase", to_str, secret=True)
    use_active_gpu: bool = option("useActiveGpu", to_bool, default=False)
    max_trial_number_per_gpu: int = option("maxTrialNumberPerGpu", to_int(1), default=1)
    gpu_indices: list[int] | None = option("gpuIndices", to_gpu_indices)
    python_path: str | None = option("pythonPath", to_str)

    _renamed: ClassVar[dict[str, str]] = {
        "ip": "host", "username": "user", "passwd": "password", "sshKeyPath": "sshKeyFile",
        "maxTrialNumPerGpu": "maxTrialNumberPerGpu",
    }

    @classmethod
    def _label(cls) -> str:
        return "machine"

    def _check(self, ctx: Context, path: str) -> None:
        if self.password is not None and self.ssh_key_file is not None:
            raise ctx.error(path, "give either password or sshKeyFile for a machine, not both")
        if self.passphrase is not None and self.ssh_key_file is None:
            raise ctx.error(f"{path}.passphrase", "a passphrase unlocks an sshKeyFile, but no sshKeyFile is given")


@dataclass
class RemoteConfig(TrainingServiceConfig):
    platform: str = platform_field("remote")
    machine_list: list[RemoteMachineConfig] = option(
        "machineList", to_config_list(RemoteMachineConfig), default_factory=list, required=True,
        help="the SSH machines, e.g. [{host: 10.0.0.2, user: me, sshKeyFile: ~/.ssh/id_rsa}]")
    reuse_mode: bool = option("reuseMode", to_bool, default=False)
    max_trials_per_machine: int | None = option(
        "maxTrialsPerMachine", to_int(1), help="trials at once on one machine (besides the GPU limits)")
    unreachable_timeout: float = option(
        "unreachableTimeout", to_duration, default=60.0,
        help="how long a machine may stay unreachable before its trials are given up, e.g. 60s")
    on_machine_lost: str = option(
        "onMachineLost", to_choice("fail", "resubmit"), default="fail",
        help="what happens to the trials of a machine given up: 'fail' them, or 'resubmit' them elsewhere")

    _renamed: ClassVar[dict[str, str]] = {"reuse": "reuseMode"}
