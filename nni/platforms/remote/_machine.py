"""One remote machine as the platform sees it, built from the typed experiment config.

The machines come from a ``RemoteConfig`` (``machine_list`` of ``RemoteMachineConfig``), read by its
attributes. A mapping (a ``trainingService`` section as a config file or script writes it) is parsed
by ``RemoteConfig.from_json`` first: ``nni.config`` alone knows the key names, v1 ones included.
Secrets (``password``, ``passphrase``) never appear in ``repr``, logs, handles or exports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nni.config.training_services.remote import RemoteConfig, RemoteMachineConfig
from nni.errors import ConfigError

__all__ = ["MachineSpec", "machines_from_config", "remote_config"]


@dataclass(frozen=True)
class MachineSpec:
    """Where and how to log in to one machine, and how many trials/GPUs it may take."""

    host: str
    user: str
    port: int = 22
    password: str | None = field(default=None, repr=False)
    ssh_key_file: str | None = None
    passphrase: str | None = field(default=None, repr=False)
    use_active_gpu: bool = False
    max_trial_number_per_gpu: int = 1
    gpu_indices: tuple[int, ...] | None = None
    python_path: str | None = None

    @property
    def key(self) -> str:
        """``user@host:port``: names the machine in logs, handles and waiting reasons."""
        return f"{self.user}@{self.host}:{self.port}"

    def public(self) -> dict[str, Any]:
        """A description safe to log, store or export (no password, no passphrase)."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "ssh_key_file": self.ssh_key_file,
            "auth": "key" if self.ssh_key_file else "password",
            "gpu_indices": list(self.gpu_indices) if self.gpu_indices is not None else None,
            "max_trial_number_per_gpu": self.max_trial_number_per_gpu,
            "use_active_gpu": self.use_active_gpu,
            "python_path": self.python_path,
        }


def remote_config(config: RemoteConfig | Mapping[str, Any]) -> RemoteConfig:
    """``config`` as a typed ``RemoteConfig`` (a mapping is parsed, v2 keys in camelCase or snake_case)."""
    if isinstance(config, RemoteConfig):
        return config
    return RemoteConfig.from_json({"platform": "remote", **config}, path="trainingService")


def _one(item: RemoteMachineConfig, index: int) -> MachineSpec:
    if not item.password and not item.ssh_key_file:
        raise ConfigError("give either password or sshKeyFile to log in",
                          key=f"trainingService.machineList[{index}]")
    return MachineSpec(
        host=str(item.host),
        user=str(item.user),
        port=int(item.port),
        password=item.password or None,
        ssh_key_file=os.path.expanduser(item.ssh_key_file) if item.ssh_key_file else None,
        passphrase=item.passphrase or None,
        use_active_gpu=bool(item.use_active_gpu),
        max_trial_number_per_gpu=int(item.max_trial_number_per_gpu),
        gpu_indices=tuple(item.gpu_indices) if item.gpu_indices is not None else None,
        python_path=item.python_path or None,
    )


def machines_from_config(config: RemoteConfig | Mapping[str, Any] | Sequence[MachineSpec]) -> list[MachineSpec]:
    """The machines of a ``RemoteConfig`` (or of its mapping, see :func:`remote_config`), or of a list of
    machine entries (``MachineSpec``, ``RemoteMachineConfig`` or their mappings)."""
    if isinstance(config, Sequence) and not isinstance(config, str):
        items: list[Any] = list(config)
        if not all(isinstance(item, (MachineSpec, RemoteMachineConfig)) for item in items):
            items = list(remote_config({"machineList": items}).machine_list)  # machine entries as mappings
    else:
        items = list(remote_config(config).machine_list)
    if not items:
        raise ConfigError("the remote platform needs at least one machine in machineList; got none",
                          key="trainingService.machineList")
    machines = [item if isinstance(item, MachineSpec) else _one(item, i) for i, item in enumerate(items)]
    seen: set[str] = set()
    for m in machines:
        if m.key in seen:
            raise ConfigError(f"machine {m.key} is listed twice; list each machine once",
                              key="trainingService.machineList")
        seen.add(m.key)
    return machines
