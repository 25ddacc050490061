"""GPUs for local trials: what exists (``GpuInventory``: NVML, or a fixed set for tests) and who gets
which (``GpuScheduler``: trialGpuNumber, gpuIndices, maxTrialNumberPerGpu, useActiveGpu)."""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["GpuInfo", "GpuInventory", "NvmlInventory", "FixedGpus", "GpuScheduler", "parse_gpu_indices"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GpuInfo:
    index: int
    active_processes: int = 0  # compute processes on it right now (any owner)


class GpuInventory(abc.ABC):
    """Where the GPUs of this machine come from."""

    @abc.abstractmethod
    def gpus(self) -> list[GpuInfo]:
        """The GPUs now (an empty list when there are none)."""


class NvmlInventory(GpuInventory):
    """GPUs through NVIDIA's NVML (nvidia-ml-py); no driver or no GPU means no GPUs, never an error."""

    def __init__(self) -> None:
        self._ok: bool | None = None

    def gpus(self) -> list[GpuInfo]:
        try:
            import pynvml
        except ImportError:
            return []
        try:
            if not self._ok:
                pynvml.nvmlInit()
                self._ok = True
            out = []
            for i in range(pynvml.nvmlDeviceGetCount()):
                handle = pynvml.nvmlDeviceGetHandleByIndex(i)
                try:
                    procs = len(pynvml.nvmlDeviceGetComputeRunningProcesses(handle))
                except pynvml.NVMLError:
                    procs = 0
                out.append(GpuInfo(i, procs))
            return out
        except pynvml.NVMLError as exc:
            if self._ok is None:
                _log.info("no GPUs: NVML is not available (%s)", exc)
            self._ok = False
            return []


class FixedGpus(GpuInventory):
    """A fixed set of GPUs (tests; machines without NVML). ``busy`` lists indices with foreign processes."""

    def __init__(self, indices: int | Iterable[int], busy: Iterable[int] = ()) -> None:
        self.indices = list(range(indices)) if isinstance(indices, int) else list(indices)
        self.busy = set(busy)

    def gpus(self) -> list[GpuInfo]:
        return [GpuInfo(i, 1 if i in self.busy else 0) for i in self.indices]


def parse_gpu_indices(value: object) -> list[int] | None:
    """``gpuIndices`` as NNI accepts it: a list of ints, an int, or a string like ``"0,2"``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"gpuIndices must be a list of GPU indices like [0, 2] or '0,2', got {value!r}")
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return [int(v) for v in value.split(",") if v.strip()]
    return [int(v) for v in value]  # type: ignore[attr-defined]


class GpuScheduler:
    """Assigns GPU indices to trials; not thread-safe (the local platform holds its lock around it)."""

    def __init__(self, inventory: GpuInventory, *, gpu_indices: Sequence[int] | None = None,
                 max_trial_number_per_gpu: int = 1, use_active_gpu: bool = False) -> None:
        if max_trial_number_per_gpu < 1:
            raise ValueError(f"maxTrialNumberPerGpu must be at least 1, got {max_trial_number_per_gpu}")
        self.inventory = inventory
        self.gpu_indices = None if gpu_indices is None else list(gpu_indices)
        self.per_gpu = max_trial_number_per_gpu
        self.use_active_gpu = use_active_gpu
        self._assigned: dict[str, list[int]] = {}

    def _candidates(self) -> list[GpuInfo]:
        gpus = self.inventory.gpus()
        if self.gpu_indices is not None:
            gpus = [g for g in gpus if g.index in self.gpu_indices]
        return gpus

    def _load(self) -> dict[int, int]:
        load: dict[int, int] = {}
        for indices in self._assigned.values():
            for i in indices:
                load[i] = load.get(i, 0) + 1
        return load

    def impossible(self, count: int) -> str | None:
        """Why a trial needing ``count`` GPUs can never run here, or None."""
        total = len(self._candidates())
        if count > total:
            where = f" among gpuIndices {self.gpu_indices}" if self.gpu_indices is not None else ""
            if total == 0 and self.gpu_indices is None:
                return (f"the trial needs {count} GPU(s) but NVML finds no NVIDIA GPU on this machine (a Mac has "
                        "none: set trialGpuNumber: 0 and let the trial choose PyTorch's 'mps' device)")
            return f"the trial needs {count} GPU(s) but this machine has {total}{where}"
        return None

    def try_assign(self, trial_job_id: str, count: int) -> tuple[list[int] | None, str]:
        """``(indices, "")`` when ``count`` GPUs are free now, else ``(None, why it waits)``."""
        load = self._load()
        free = []
        for gpu in self._candidates():
            used = load.get(gpu.index, 0)
            if used >= self.per_gpu:
                continue
            if not self.use_active_gpu and used == 0 and gpu.active_processes > 0:
                continue  # another program uses it
            free.append(gpu.index)
        if len(free) < count:
            return None, (f"no free GPU: needs {count}, {len(free)} free (maxTrialNumberPerGpu "
                          f"{self.per_gpu}{', useActiveGpu false' if not self.use_active_gpu else ''})")
        free.sort(key=lambda i: (load.get(i, 0), i))
        chosen = sorted(free[:count])
        self._assigned[trial_job_id] = chosen
        return chosen, ""

    def take(self, trial_job_id: str, indices: Sequence[int]) -> None:
        """Record GPUs a re-attached trial already uses."""
        if indices:
            self._assigned[trial_job_id] = list(indices)

    def release(self, trial_job_id: str) -> None:
        self._assigned.pop(trial_job_id, None)
