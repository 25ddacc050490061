"""Suggestion time after N finished trials, on Hartmann6 (CPU time of one process, median of 5)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

from benchmarks.tuners.optimizers import BUILTIN, NNI3_PYTHON, _load, _optuna_params
from benchmarks.tuners.problems import PROBLEMS
from nni import search_space as ss

__all__ = ["run"]

_REPEATS = 5
_SKIP_AFTER_S = 1.0  # larger sizes are skipped once one suggestion takes longer than this


def _history(n: int, seed: int = 0) -> list[dict[str, Any]]:
    problem = PROBLEMS["hartmann6"]
    specs = ss.parse(problem.space)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        params = ss.format_parameters(ss.sample(specs, rng), specs)
        out.append({"parameter": params, "value": problem.loss(params)})
    return out


def _builtin(name: str, n: int) -> float:
    path, args = BUILTIN[name]
    cls = _load(path)
    tuner = cls(**{"optimize_mode": "minimize", **args})
    space = PROBLEMS["hartmann6"].space
    tuner.update_search_space(space)
    tuner.import_data(_history(n))
    times = []
    for i in range(_REPEATS):
        start = time.process_time()
        params = tuner.generate_parameters(n + i)
        times.append(time.process_time() - start)
        tuner.receive_trial_result(n + i, params, PROBLEMS["hartmann6"].loss(params))
    return float(np.median(times))


def _optuna(name: str, n: int) -> float:
    import optuna

    from benchmarks.tuners import optimizers

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    make = {"optuna-TPE": optimizers._tpe_default, "optuna-TPE-mv": optimizers._tpe_multivariate,
            "optuna-GP": optimizers._gp, "optuna-CMAES": optimizers._cmaes}[name]
    study = optuna.create_study(sampler=make(0))
    dist = {f"x{i}": optuna.distributions.FloatDistribution(0, 1) for i in range(6)}
    study.add_trials([optuna.trial.create_trial(params=r["parameter"], distributions=dist, value=r["value"])
                      for r in _history(n)])
    times = []
    space = PROBLEMS["hartmann6"].space
    for _ in range(_REPEATS):
        start = time.process_time()
        trial = study.ask()
        params = _optuna_params(trial, space)
        times.append(time.process_time() - start)
        study.tell(trial, PROBLEMS["hartmann6"].loss(params))
    return float(np.median(times))


def _hyperopt(n: int) -> float:
    from hyperopt import STATUS_OK, Trials, fmin, rand, tpe

    from benchmarks.tuners.optimizers import _hyperopt_space

    space = _hyperopt_space(PROBLEMS["hartmann6"].space)
    trials = Trials()
    stamps: list[float] = []

    def objective(params: dict[str, Any]) -> dict[str, Any]:
        stamps.append(time.process_time())
        return {"loss": PROBLEMS["hartmann6"].loss(params), "status": STATUS_OK}

    rng = np.random.default_rng(0)
    fmin(objective, space, algo=rand.suggest, max_evals=n, trials=trials, rstate=rng, show_progressbar=False)
    stamps.clear()
    start = time.process_time()
    fmin(objective, space, algo=tpe.suggest, max_evals=n + _REPEATS, trials=trials, rstate=rng,
         show_progressbar=False)
    marks = [start, *stamps]
    return float(np.median(np.diff(marks)))


def _nni3(name: str, n: int) -> float:
    builtin = name.split("-", 1)[1]
    driver = os.path.join(os.path.dirname(__file__), "_nni3_driver.py")
    proc = subprocess.Popen([NNI3_PYTHON, driver, builtin, "timing", str(n)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd="/tmp",
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert proc.stdin and proc.stdout
    proc.stdin.write(json.dumps(PROBLEMS["hartmann6"].space) + "\n")
    proc.stdin.write(json.dumps(_history(n)) + "\n")
    proc.stdin.flush()
    times = []
    try:
        for _ in range(_REPEATS):
            line = proc.stdout.readline()
            while line and not line.startswith("@@NNI3 "):
                line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"NNI 3.0 {builtin} driver exited early")
            msg = json.loads(line[len("@@NNI3 "):])
            times.append(msg["cpu"])
            proc.stdin.write(json.dumps(PROBLEMS["hartmann6"].loss(msg["params"])) + "\n")
            proc.stdin.flush()
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    return float(np.median(times))


def measure(name: str, n: int) -> float:
    if name in BUILTIN:
        return _builtin(name, n)
    if name.startswith("optuna-"):
        return _optuna(name, n)
    if name == "hyperopt-TPE":
        return _hyperopt(n)
    if name.startswith("nni3-"):
        return _nni3(name, n)
    raise ValueError(f"no timing adapter for {name!r}")


def run(optimizers: list[str], sizes: list[int], cache: dict[str, Any]) -> None:
    for name in optimizers:
        slow = False
        for n in sorted(sizes):
            key = f"timing|{name}|{n}"
            if key in cache and "error" not in cache[key]:
                slow = cache[key]["ms"] > _SKIP_AFTER_S * 1000
                continue
            if slow:
                cache[key] = {"error": "skipped", "label": f"skipped (>{_SKIP_AFTER_S:.0f} s before)"}
                continue
            try:
                seconds = measure(name, n)
            except Exception as exc:
                cache[key] = {"error": f"{type(exc).__name__}: {exc}"[:200], "label": "fails"}
                print(f"timing {name} N={n}: {cache[key]['error']}", file=sys.stderr)
                continue
            cache[key] = {"ms": seconds * 1000}
            slow = seconds > _SKIP_AFTER_S
            print(f"timing {name} N={n}: {seconds * 1000:.1f} ms", file=sys.stderr)
            if not math.isfinite(seconds):
                slow = True
