"""GPU check: the CIFAR-10 PyTorch example on generated data, one GPU per trial, twice as many trials at once
as there are GPUs, and a report of how NNI placed them.

    python3 scripts/gpu_check.py [--minutes 6] [--record run.json]      (or: bash scripts/gpu_check.sh)

Prints the GPUs NVML sees; for every trial its CUDA_VISIBLE_DEVICES (as the trial saw it and as NNI assigned
it); whether two trials ever shared a GPU with maxTrialNumberPerGpu 1 (must be never: from the trials' run
spans and from NVML's process lists); which trials waited for a GPU and why; GPU utilisation sampled through
NVML during the run; and trials per hour. Exits 1 when a check fails, 2 when there is no GPU. ``--record``
keeps the raw run (the report can be rebuilt from it: ``--report run.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cifar10_pytorch"
_VISIBLE = re.compile(r"CUDA_VISIBLE_DEVICES=(\S+)")


# ==================================================================== NVML
def nvml_gpus() -> list[dict[str, Any]]:
    """The GPUs NVML sees (index, name, memory, uuid); empty without a driver or GPU."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no library, no driver: no GPUs
        return []
    gpus = []
    for index in range(pynvml.nvmlDeviceGetCount()):
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        name = pynvml.nvmlDeviceGetName(handle)
        gpus.append({"index": index, "name": name.decode() if isinstance(name, bytes) else name,
                     "uuid": str(pynvml.nvmlDeviceGetUUID(handle)),
                     "memory_total_mib": pynvml.nvmlDeviceGetMemoryInfo(handle).total // 2**20})
    return gpus


class NvmlSampler(threading.Thread):
    """Samples every GPU's utilisation, memory and compute processes once per ``interval`` seconds."""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(name="nvml-sampler", daemon=True)
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self.done = threading.Event()

    def run(self) -> None:
        import pynvml

        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        while not self.done.wait(self.interval):
            now = time.time()
            for index, handle in enumerate(handles):
                try:
                    util = pynvml.nvmlDeviceGetUtilizationRates(handle)
                    memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
                    pids = [p.pid for p in pynvml.nvmlDeviceGetComputeRunningProcesses(handle)]
                except pynvml.NVMLError:
                    continue
                self.samples.append({"time": now, "gpu": index, "utilization_gpu": util.gpu,
                                     "utilization_memory": util.memory, "memory_used_mib": memory.used // 2**20,
                                     "pids": pids})


# ==================================================================== the run
def _config(code: Path, gpus: int, minutes: float, epochs: int, work: Path) -> Path:
    import yaml

    config = {
        "experimentName": "gpu-check-cifar10",
        "searchSpaceFile": str(code / "search_space.json"),
        "trialCommand": f"{sys.executable} trial.py --epochs {epochs} --no_download",
        "trialCodeDirectory": str(code),
        "trialGpuNumber": 1,
        "trialConcurrency": 2 * gpus,
        "maxTrialNumber": 6 * gpus,
        "maxExperimentDuration": f"{int(minutes * 60)}s",
        "experimentWorkingDirectory": str(work / "experiments"),
        "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
        "trainingService": {"platform": "local", "maxTrialNumberPerGpu": 1, "useActiveGpu": True},
    }
    path = work / "config.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_check(minutes: float, epochs: int, train_images: int) -> dict[str, Any]:
    """Run the experiment and return the raw run: GPUs, NVML samples, trials (what :func:`report` reads)."""
    sys.path.insert(0, str(EXAMPLE))
    import cifar10_data

    from nni.storage import open_reader
    from nni.testing import free_port

    gpus = nvml_gpus()
    work = Path(tempfile.mkdtemp(prefix="nni-gpu-check-"))
    data = cifar10_data.generate(work / "data", train=train_images, test=train_images // 5)
    config = _config(EXAMPLE, len(gpus), minutes, epochs, work)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           cifar10_data.DATA_DIR_ENV: str(data), "NNI_EXPERIMENTS_HOME": str(work / "home")}
    sampler = NvmlSampler()
    sampler.start()
    started = time.time()
    result = subprocess.run([sys.executable, "-m", "nni.cli", "create", "--config", str(config), "--port",
                             str(free_port()), "--foreground"], env=env, text=True, capture_output=True,
                            timeout=minutes * 60 + 120)
    wall = time.time() - started
    sampler.done.set()
    sampler.join()
    found = re.search(r"Experiment (\w+) ended: (\w+)", result.stdout + result.stderr)
    if found is None:
        raise SystemExit(f"the experiment did not run:\n{result.stdout}\n{result.stderr}")
    folder = work / "experiments" / found.group(1)
    trials = []
    with open_reader(folder) as reader:
        for record in reader.trials():
            stdout = folder / "trials" / record.trial_job_id / "stdout"
            seen = _VISIBLE.search(stdout.read_text()) if stdout.exists() else None
            waits = [e.data.get("reason", "") for e in reader.trial_events(record.trial_job_id) if e.event == "WAITING"]
            trials.append({"trial_job_id": record.trial_job_id, "sequence_id": record.sequence_id,
                           "status": str(record.status), "submit_time": record.submit_time,
                           "start_time": record.start_time, "end_time": record.end_time,
                           "assigned_gpus": list((record.handle or {}).get("gpus") or []),
                           "cuda_visible_devices": seen.group(1) if seen else None,
                           "waiting_reasons": sorted({w for w in waits if w}),
                           "final_metric": record.final_metric})
    shutil.rmtree(work, ignore_errors=True)
    return {"gpus": gpus, "samples": sampler.samples, "trials": trials, "wall_seconds": wall,
            "experiment_status": found.group(2), "max_trial_number_per_gpu": 1}


# ==================================================================== the report
def shared_gpu_spans(trials: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """(gpu, trial, trial) for every two trials whose run spans overlap on one GPU."""
    found = []
    for gpu in sorted({g for t in trials for g in t["assigned_gpus"]}):
        on_gpu = sorted((t for t in trials if gpu in t["assigned_gpus"] and t["start_time"] is not None),
                        key=lambda t: t["start_time"])
        for i, first in enumerate(on_gpu):
            for second in on_gpu[i + 1:]:
                end = first["end_time"] if first["end_time"] is not None else float("inf")
                if second["start_time"] < end:
                    found.append((gpu, first["trial_job_id"], second["trial_job_id"]))
    return found


def report(run: dict[str, Any]) -> tuple[str, bool]:
    """The report's text and whether every check passed."""
    lines: list[str] = []
    ok = True
    gpus, trials, samples = run["gpus"], sorted(run["trials"], key=lambda t: t["sequence_id"]), run["samples"]
    lines.append(f"GPUs NVML sees: {len(gpus)}")
    for gpu in gpus:
        lines.append(f"  {gpu['index']}: {gpu['name']} ({gpu['memory_total_mib']} MiB, {gpu['uuid']})")

    lines.append(f"Trials: {len(trials)} (experiment {run['experiment_status']})")
    lines.append(f"  {'trial':<7} {'status':<14} {'assigned':<9} {'CUDA_VISIBLE_DEVICES':<21} {'waited':>7} {'ran':>7}")
    for t in trials:
        assigned = ",".join(map(str, t["assigned_gpus"])) or "-"
        waited = (t["start_time"] - t["submit_time"]) if t["start_time"] else None
        ran = (t["end_time"] - t["start_time"]) if t["start_time"] and t["end_time"] else None
        lines.append(f"  {t['trial_job_id']:<7} {t['status']:<14} {assigned:<9} {t['cuda_visible_devices'] or '-':<21} "
                     f"{_seconds(waited):>7} {_seconds(ran):>7}")
        if t["start_time"] and t["cuda_visible_devices"] != assigned:
            ok = False
            lines.append(f"    FAIL: the trial saw CUDA_VISIBLE_DEVICES={t['cuda_visible_devices']}, NNI assigned {assigned}")
        if t["start_time"] and len(t["assigned_gpus"]) != 1:
            ok = False
            lines.append(f"    FAIL: the trial asked for 1 GPU and got {len(t['assigned_gpus'])}")

    shared = shared_gpu_spans(trials)
    per_sample = [len(s["pids"]) for s in samples if "pids" in s]
    most_processes = max(per_sample, default=0)
    limit = run.get("max_trial_number_per_gpu", 1)
    lines.append(f"Two trials on one GPU at once (maxTrialNumberPerGpu {limit}): "
                 + ("never" if not shared else f"{len(shared)} time(s)"))
    for gpu, first, second in shared:
        lines.append(f"  FAIL: GPU {gpu}: {first} and {second} ran at the same time")
    lines.append(f"  most compute processes NVML saw on one GPU at once: {most_processes}")
    if shared or most_processes > limit:
        ok = False

    waited = [t for t in trials if t["waiting_reasons"]]
    lines.append(f"Trials that waited for a GPU: {len(waited)}")
    for t in waited:
        lines.append(f"  {t['trial_job_id']}: {'; '.join(t['waiting_reasons'])}")

    lines.append(f"GPU utilisation (NVML, {len({s['time'] for s in samples})} samples):")
    for gpu in gpus:
        values = [s["utilization_gpu"] for s in samples if s["gpu"] == gpu["index"]]
        memory = [s["memory_used_mib"] for s in samples if s["gpu"] == gpu["index"]]
        if values:
            busy = sum(1 for v in values if v > 0) / len(values)
            lines.append(f"  GPU {gpu['index']}: mean {sum(values) / len(values):.0f}%, max {max(values)}%, "
                         f"busy in {busy:.0%} of samples, memory up to {max(memory)} MiB")
        else:
            lines.append(f"  GPU {gpu['index']}: no sample")

    finished = [t for t in trials if t["status"] in ("SUCCEEDED", "EARLY_STOPPED")]
    hours = run["wall_seconds"] / 3600
    lines.append(f"Trials per hour: {len(finished) / hours:.0f} ({len(finished)} finished in "
                 f"{run['wall_seconds'] / 60:.1f} min, {2 * len(gpus)} at once on {len(gpus)} GPU(s))")
    if not finished:
        ok = False
        lines.append("  FAIL: no trial finished")
    lines.append("GPU check: " + ("PASSED" if ok else "FAILED"))
    return "\n".join(lines), ok


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=6.0, help="the experiment's time limit")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=10000)
    parser.add_argument("--record", type=Path, default=None, help="write the raw run (JSON) here")
    parser.add_argument("--report", type=Path, default=None, help="only print the report of a recorded run")
    args = parser.parse_args(argv)
    if args.report is not None:
        run = json.loads(args.report.read_text())
    else:
        if not nvml_gpus():
            print("GPU check: NVML sees no GPU on this machine (no NVIDIA driver or GPU); nothing to check")
            return 2
        run = run_check(args.minutes, args.epochs, args.train_images)
        if args.record is not None:
            args.record.write_text(json.dumps(run, indent=1))
    text, ok = report(run)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
