"""One remote machine as the platform sees it, built from the experiment config.

The config engineer's ``RemoteConfig`` (``machine_list`` of ``RemoteMachineConfig``) is read by
attribute; plain mappings in either NNI dialect (v2 camelCase / snake_case, v1 ``ip``/``username``/
``passwd``/``sshKeyPath``) are accepted too, so scripts and tests can pass a dict.
Secrets (``password``, ``passphrase``) never appear in ``repr``, logs, handles or exports.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nni.errors import ConfigError

__all__ = ["MachineSpec", "machines_from_config"]

# config attribute -> accepted spellings in a mapping (snake_case, v2 camelCase, v1)
_ALIASES: dict[str, tuple[str, ...]] = {
    "host": ("host", "ip"),
    "port": ("port",),
    "user": ("user", "username"),
    "password": ("password", "passwd"),
    "ssh_key_file": ("ssh_key_file", "sshKeyFile", "sshKeyPath", "ssh_key_path"),
    "passphrase": ("passphrase",),
    "use_active_gpu": ("use_active_gpu", "useActiveGpu"),
    "max_trial_number_per_gpu": ("max_trial_number_per_gpu", "maxTrialNumberPerGpu"),
    "gpu_indices": ("gpu_indices", "gpuIndices"),
    "python_path": ("python_path", "pythonPath"),
}


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


def _get(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        for alias in _ALIASES[name]:
            if alias in item and item[alias] is not None:
                return item[alias]
        return None
    return getattr(item, name, None)


def _gpu_indices(value: Any, where: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, Iterable):
        parts = list(value)
    else:
        parts = [value]
    try:
        return tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise ConfigError(f"gpuIndices must be a list of integers or a string like '0,1'; got {value!r}",
                          key=f"{where}.gpuIndices") from None


def _one(item: Any, index: int) -> MachineSpec:
    where = f"trainingService.machineList[{index}]"
    host = _get(item, "host")
    user = _get(item, "user")
    if not host:
        raise ConfigError("each machine needs a host (v1: ip); got none", key=f"{where}.host")
    if not user:
        raise ConfigError("each machine needs a user (v1: username); got none", key=f"{where}.user")
    password = _get(item, "password")
    key_file = _get(item, "ssh_key_file")
    if not password and not key_file:
        raise ConfigError("give either password or sshKeyFile (v1: passwd or sshKeyPath) to log in",
                          key=where)
    port = _get(item, "port")
    try:
        port = 22 if port is None else int(port)
    except (TypeError, ValueError):
        raise ConfigError(f"port must be an integer; got {port!r}", key=f"{where}.port") from None
    per_gpu = _get(item, "max_trial_number_per_gpu")
    python_path = _get(item, "python_path")
    return MachineSpec(
        host=str(host),
        user=str(user),
        port=port,
        password=str(password) if password else None,
        ssh_key_file=os.path.expanduser(str(key_file)) if key_file else None,
        passphrase=str(_get(item, "passphrase")) if _get(item, "passphrase") else None,
        use_active_gpu=bool(_get(item, "use_active_gpu") or False),
        max_trial_number_per_gpu=int(per_gpu) if per_gpu is not None else 1,
        gpu_indices=_gpu_indices(_get(item, "gpu_indices"), where),
        python_path=str(python_path) if python_path else None,
    )


def machines_from_config(config: Any) -> list[MachineSpec]:
    """The machines of a ``RemoteConfig`` (or of a mapping / a list of machine entries)."""
    if isinstance(config, Mapping):
        items = config.get("machine_list", config.get("machineList"))
    elif isinstance(config, Sequence) and not isinstance(config, str):
        items = config
    else:
        items = getattr(config, "machine_list", None)
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
