"""Where the next trial goes: trial slots and GPUs per machine (pure logic, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GpuInfo", "MachineState", "Placement", "place"]


@dataclass
class GpuInfo:
    index: int
    uuid: str = ""
    busy_elsewhere: bool = False  # processes not started by this experiment run on it


@dataclass
class MachineState:
    """What the scheduler knows of one machine right now."""

    key: str
    connected: bool = False
    lost: bool = False  # unreachable past the deadline
    discovered: bool = False  # GPUs queried at least once
    gpus: list[GpuInfo] = field(default_factory=list)
    gpu_indices: tuple[int, ...] | None = None  # allowed by the config
    per_gpu: int = 1
    use_active_gpu: bool = False
    max_trials: int | None = None
    running: int = 0
    gpu_load: dict[int, int] = field(default_factory=dict)
    last_error: str = ""  # why the last connection attempt failed, shown while it is not connected

    def usable_gpus(self) -> list[GpuInfo]:
        allowed = self.gpu_indices
        return [g for g in self.gpus if allowed is None or g.index in allowed]

    def free_gpus(self) -> list[int]:
        """Indices with room left, least loaded first."""
        free = [g for g in self.usable_gpus()
                if self.gpu_load.get(g.index, 0) < self.per_gpu
                and (self.use_active_gpu or not g.busy_elsewhere or self.gpu_load.get(g.index, 0) > 0)]
        free.sort(key=lambda g: (self.gpu_load.get(g.index, 0), g.index))
        return [g.index for g in free]


@dataclass(frozen=True)
class Placement:
    machine: str | None
    gpus: tuple[int, ...] = ()
    reason: str = ""  # why nothing fits (machine is None)
    impossible: bool = False  # no machine could ever take it


def place(gpu_number: int, machines: list[MachineState]) -> Placement:
    """Pick a machine (the least busy that fits) and GPUs for a trial, or say why none fits."""
    candidates: list[tuple[int, int, str, tuple[int, ...]]] = []
    notes: list[str] = []
    for order, m in enumerate(machines):
        if not m.connected:
            state = "unreachable" if m.lost else "not connected yet"
            notes.append(f"{m.key}: {state}" + (f" ({m.last_error})" if m.last_error else ""))
            continue
        if m.max_trials is not None and m.running >= m.max_trials:
            notes.append(f"{m.key}: full ({m.running}/{m.max_trials} trials)")
            continue
        if gpu_number > 0:
            free = m.free_gpus()
            if len(free) < gpu_number:
                total = len(m.usable_gpus())
                notes.append(f"{m.key}: {len(free)} of {total} GPUs free")
                continue
            candidates.append((m.running, order, m.key, tuple(sorted(free[:gpu_number]))))
        else:
            candidates.append((m.running, order, m.key, ()))
    if candidates:
        _, _, key, gpus = min(candidates)
        return Placement(key, gpus)
    if gpu_number > 0 and machines and all(m.discovered for m in machines):
        most = max(len(m.usable_gpus()) for m in machines)
        if most < gpu_number:
            return Placement(None, reason=(f"the trial needs {gpu_number} GPUs but the machine with the most "
                                           f"has {most}; lower trialGpuNumber or add machines/gpuIndices"),
                             impossible=True)
    need = f"needs {gpu_number} GPU{'s' if gpu_number != 1 else ''}; " if gpu_number else ""
    return Placement(None, reason=f"no machine can take the trial now ({need}{'; '.join(notes)})")
