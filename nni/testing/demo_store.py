"""A demo experiment store, written through the store's writer API (web UI tests, the scale benchmark).

``python -m nni.testing.demo_store FOLDER [TRIALS] [INTERMEDIATES]`` writes one; ``nnictl view`` or
``create_app`` over it shows the UI without running anything.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any

from nni.storage import NewMetric, open_store

__all__ = ["SEARCH_SPACE", "OBJECTIVES", "MEMORY_LIMIT_MB", "fill_store", "demo_trial_id"]

SEARCH_SPACE: dict[str, Any] = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "dropout": {"_type": "uniform", "_value": [0.0, 0.5]},
    "layers": {"_type": "randint", "_value": [1, 6]},
    "optimizer": {"_type": "choice", "_value": [
        {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0.0, 0.99]}},
        {"_name": "adam"},
    ]},
}


# With ``objectives=2`` or ``3``: the first two or all three of these, and a memory constraint.
OBJECTIVES: list[dict[str, str]] = [
    {"name": "accuracy", "mode": "maximize"},
    {"name": "latency_ms", "mode": "minimize"},
    {"name": "size_mb", "mode": "minimize"},
]
MEMORY_LIMIT_MB = 4000


def _objective_result(params: dict[str, Any], quality: float, count: int, rng: random.Random) -> dict[str, Any]:
    """Accuracy against latency (and size): more layers and bigger batches cost; some break the memory limit."""
    latency = 2.0 * params["layers"] * (1 + params["batch_size"] / 64) + rng.uniform(0, 4)
    result: dict[str, Any] = {
        "accuracy": round(min(0.99, 0.55 + 0.35 * quality + 0.04 * params["layers"] + rng.gauss(0, 0.01)), 6),
        "latency_ms": round(latency, 4),
        "memory_mb": round(600 * params["layers"] + 8 * params["batch_size"] + rng.uniform(0, 400), 1),
    }
    if count >= 3:
        result["size_mb"] = round(5 * params["layers"] * (1 - params["dropout"]) + rng.uniform(0, 2), 4)
    return result


def demo_trial_id(i: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    out = ""
    n = i + 36**4
    while n:
        n, r = divmod(n, 36)
        out = alphabet[r] + out
    return out[-5:]


def fill_store(folder: Path, *, experiment_id: str = "webuitst", trials: int = 40, intermediates: int = 10,
               running: int = 2, waiting: int = 1, failed: int = 3, seed: int = 0, status: str = "RUNNING",
               name: str = "webui test experiment", write_logs: bool = True, objectives: int = 0) -> dict[str, Any]:
    """A store with finished, failed, running and waiting trials; returns what was written.

    ``objectives=2`` or ``3``: the config declares that many of :data:`OBJECTIVES` and a ``memory_mb``
    constraint (max :data:`MEMORY_LIMIT_MB`); each final result is a dict of them, except trial #5, whose
    latency is NaN, and trial #6, which reports no latency (invalid results the readers must show)."""
    rng = random.Random(seed)
    config: dict[str, Any] = {
        "experimentName": name, "trialCommand": "python3 trial.py", "trialCodeDirectory": ".",
        "trialConcurrency": 4, "maxTrialNumber": trials + 20, "maxExperimentDuration": "2h",
        "searchSpace": SEARCH_SPACE, "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
        "trainingService": {"platform": "local"},
    }
    if objectives:
        config["objectives"] = OBJECTIVES[:objectives]
        config["constraints"] = [{"name": "memory_mb", "max": MEMORY_LIMIT_MB}]
        del config["tuner"]["classArgs"]
    limits = {"trialConcurrency": 4, "maxTrialNumber": trials + 20, "maxExperimentDuration": 7200.0,
              "maxTrialDuration": None}
    store = open_store(folder)
    start = time.time() - 3600
    written: dict[str, Any] = {"trials": {}, "experiment_id": experiment_id}
    try:
        with store.transaction():
            store.init_profile(experiment_id, name, config, SEARCH_SPACE, limits, status="RUNNING", start_time=start)
            for i in range(trials):
                tid = demo_trial_id(i)
                opt = rng.choice(["sgd", "adam"])
                params: dict[str, Any] = {
                    "lr": 10 ** rng.uniform(-4, -1), "batch_size": rng.choice([16, 32, 64, 128]),
                    "dropout": rng.uniform(0, 0.5), "layers": rng.randint(1, 5),
                    "optimizer": {"_name": opt, "momentum": rng.uniform(0, 0.99)} if opt == "sgd" else {"_name": "adam"},
                }
                t0 = start + i * 2.0
                store.add_trial_event(tid, "CREATED", {"sequence_id": i, "parameter_id": i, "parameters": params,
                                                       "parameter_source": "algorithm"}, timestamp=t0)
                left = trials - i
                if left <= waiting:
                    store.add_trial_event(tid, "WAITING", {"reason": "no free slot"}, timestamp=t0)
                    written["trials"][tid] = {"status": "WAITING", "params": params, "seq": i}
                    continue
                store.add_trial_event(tid, "RUNNING", {"handle": {"pid": 0}}, timestamp=t0 + 0.5)
                quality = 1 - abs(math.log10(params["lr"]) + 2.5) / 3 - params["dropout"] / 4
                metrics = []
                for k in range(intermediates):
                    v = quality * (1 - math.exp(-(k + 1) / 3)) + rng.gauss(0, 0.01)
                    metrics.append(NewMetric(tid, i, "PERIODICAL", k, round(v, 6), t0 + 1 + k, 100 * (k + 1)))
                is_running = waiting < left <= waiting + running
                is_failed = not is_running and i % max(1, trials // max(failed, 1)) == 1 and failed > 0
                final = None
                if not is_running and not is_failed:
                    final = {"default": round(quality + rng.gauss(0, 0.01), 6), "loss": round(1 - quality, 6)}
                    if objectives:
                        final = _objective_result(params, quality, objectives, rng)
                        if i == 5:
                            final["latency_ms"] = float("nan")
                        elif i == 6:
                            del final["latency_ms"]
                    metrics.append(NewMetric(tid, i, "FINAL", 0, final, t0 + 1 + intermediates, 100 * (intermediates + 1)))
                store.add_metrics(metrics)
                status_ = "RUNNING"
                if not is_running:
                    status_ = "FAILED" if is_failed else "SUCCEEDED"
                    store.add_trial_event(tid, "EXITED", {"status": status_, "exit_code": 1 if is_failed else 0},
                                          timestamp=t0 + 2 + intermediates)
                written["trials"][tid] = {"status": status_, "params": params, "seq": i, "final": final}
                if write_logs:
                    tdir = folder / "trials" / tid
                    tdir.mkdir(parents=True, exist_ok=True)
                    (tdir / "stdout").write_text(f"trial {tid} stdout line\nlr={params['lr']}\n")
                    (tdir / "stderr").write_text("" if not is_failed else "Traceback: boom\n")
                    (tdir / "trial.log").write_text(f"[{tid}] started\n[{tid}] done\n")
            if status != "RUNNING":
                store.set_status(status, end_time=time.time())
    finally:
        store.close()
    return written


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    fill_store(target, trials=n, intermediates=k, status="DONE")
    print(f"wrote a demo experiment of {n} trials to {target}")
