"""Optimizers under test: this project's built-in tuners and the peers, behind one ``run`` signature.

``OPTIMIZERS[name](space, loss, seed, budget)`` returns the losses in evaluation order and the CPU
seconds each suggestion took. Adding a built-in tuner is one line in ``BUILTIN`` (class path and
classArgs); everything runs sequentially (one trial at a time), minimising the loss.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Loss = Callable[[dict[str, Any]], float]
RunResult = tuple[list[float], list[float]]

__all__ = ["OPTIMIZERS", "BUILTIN", "PEERS", "NNI3_TUNERS", "run_builtin", "run_nni3", "NNI3_PYTHON"]

# name -> (class path, classArgs). Part B's tuners plug in here with one line each.
BUILTIN: dict[str, tuple[str, dict[str, Any]]] = {
    "Random": ("nni.algorithms.hpo.random_tuner.RandomTuner", {}),
    "TPE": ("nni.algorithms.hpo.tpe_tuner.TpeTuner", {}),
    "Anneal": ("nni.algorithms.hpo.hyperopt_tuner.HyperoptTuner", {"algorithm_name": "anneal"}),
    "Evolution": ("nni.algorithms.hpo.evolution_tuner.EvolutionTuner", {"population_size": 20}),
    "GP": ("nni.algorithms.hpo.gp_tuner.GPTuner", {}),
    "SMAC": ("nni.algorithms.hpo.smac_tuner.SMACTuner", {}),
    "Metis": ("nni.algorithms.hpo.metis_tuner.MetisTuner", {}),
    "DNGO": ("nni.algorithms.hpo.dngo_tuner.DNGOTuner", {}),
}

NNI3_PYTHON = os.environ.get("NNI3_PYTHON", "/tmp/nni3/bin/python")


def _load(path: str) -> type:
    module, _, cls = path.rpartition(".")
    return getattr(importlib.import_module(module), cls)


def run_builtin(class_path: str, class_args: dict[str, Any], space: dict[str, Any], loss: Loss, seed: int,
                budget: int) -> RunResult:
    cls = _load(class_path)
    args = dict(class_args)
    args.setdefault("optimize_mode", "minimize")
    try:
        tuner = cls(seed=seed, **args)
    except TypeError:
        tuner = cls(**args)
        _seed_globally(seed)
    tuner.update_search_space(space)
    losses, times = [], []
    for i in range(budget):
        start = time.process_time()
        params = tuner.generate_parameters(i)
        times.append(time.process_time() - start)
        value = loss(params)
        losses.append(value)
        start = time.process_time()
        tuner.receive_trial_result(i, params, value)
        tuner.trial_end(i, True)
        times[-1] += time.process_time() - start
    return losses, times


def _seed_globally(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)


# ------------------------------------------------------------------------------------------- Optuna
def _optuna_params(trial: Any, space: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, body in space.items():
        label = prefix + name
        t, v = body["_type"], body["_value"]
        if t == "choice":
            labels = [o["_name"] if isinstance(o, dict) else o for o in v]
            picked = trial.suggest_categorical(label, [json.dumps(x) for x in labels])
            index = [json.dumps(x) for x in labels].index(picked)
            option = v[index]
            if isinstance(option, dict):
                sub = {k: b for k, b in option.items() if k != "_name"}
                out[name] = {"_name": option["_name"], **_optuna_params(trial, sub, f"{label}/{index}/")}
            else:
                out[name] = option
        elif t == "randint":
            out[name] = trial.suggest_int(label, int(v[0]), int(v[1]) - 1)
        elif t == "uniform":
            out[name] = trial.suggest_float(label, v[0], v[1])
        elif t == "loguniform":
            out[name] = trial.suggest_float(label, v[0], v[1], log=True)
        elif t == "quniform":
            x = trial.suggest_float(label, v[0], v[1])
            out[name] = min(max(round(x / v[2]) * v[2], v[0]), v[1])
        elif t == "qloguniform":
            x = trial.suggest_float(label, v[0], v[1], log=True)
            out[name] = min(max(round(x / v[2]) * v[2], v[0]), v[1])
        else:
            raise ValueError(f"the benchmark's Optuna adapter does not map _type {t!r}")
    return out


def _run_optuna(make_sampler: Callable[[int], Any]) -> Callable[..., RunResult]:
    def run(space: dict[str, Any], loss: Loss, seed: int, budget: int) -> RunResult:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(sampler=make_sampler(seed))
        losses, times = [], []
        for _ in range(budget):
            start = time.process_time()
            trial = study.ask()
            params = _optuna_params(trial, space)
            times.append(time.process_time() - start)
            value = loss(params)
            losses.append(value)
            start = time.process_time()
            study.tell(trial, value)
            times[-1] += time.process_time() - start
        return losses, times

    return run


def _tpe_default(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed)


def _tpe_multivariate(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)


def _gp(seed: int) -> Any:
    import optuna

    return optuna.samplers.GPSampler(seed=seed)


def _cmaes(seed: int) -> Any:
    import optuna

    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


# ----------------------------------------------------------------------------------------- hyperopt
def _hyperopt_space(space: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    from hyperopt import hp

    out: dict[str, Any] = {}
    for name, body in space.items():
        label = prefix + name
        t, v = body["_type"], body["_value"]
        if t == "choice":
            options = []
            for i, o in enumerate(v):
                if isinstance(o, dict):
                    sub = {k: b for k, b in o.items() if k != "_name"}
                    options.append({"_name": o["_name"], **_hyperopt_space(sub, f"{label}/{i}/")})
                else:
                    options.append(o)
            out[name] = hp.choice(label, options)
        elif t == "randint":
            out[name] = hp.randint(label, int(v[0]), int(v[1]))
        elif t == "uniform":
            out[name] = hp.uniform(label, v[0], v[1])
        elif t == "loguniform":
            out[name] = hp.loguniform(label, math.log(v[0]), math.log(v[1]))
        elif t == "quniform":
            out[name] = hp.quniform(label, v[0], v[1], v[2])
        elif t == "qloguniform":
            out[name] = hp.qloguniform(label, math.log(v[0]), math.log(v[1]), v[2])
        else:
            raise ValueError(f"the benchmark's hyperopt adapter does not map _type {t!r}")
    return out


def _clip_q(params: Any, space: dict[str, Any]) -> Any:
    for name, body in space.items():
        t, v = body["_type"], body["_value"]
        if t in ("quniform", "qloguniform"):
            params[name] = float(min(max(params[name], v[0]), v[1]))
        elif t == "randint":
            params[name] = int(params[name])
        elif t == "choice" and isinstance(params[name], dict):
            option = next(o for o in v if isinstance(o, dict) and o["_name"] == params[name]["_name"])
            _clip_q(params[name], {k: b for k, b in option.items() if k != "_name"})
    return params


def _run_hyperopt(space: dict[str, Any], loss: Loss, seed: int, budget: int) -> RunResult:
    import logging

    import numpy as np
    from hyperopt import STATUS_OK, Trials, fmin, tpe

    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    losses: list[float] = []
    eval_cpu: list[float] = []

    def objective(params: dict[str, Any]) -> dict[str, Any]:
        start = time.process_time()
        value = loss(_clip_q(params, space))
        eval_cpu.append(time.process_time() - start)
        losses.append(value)
        return {"loss": value, "status": STATUS_OK}

    start = time.process_time()
    fmin(objective, _hyperopt_space(space), algo=tpe.suggest, max_evals=budget, trials=Trials(),
         rstate=np.random.default_rng(seed), show_progressbar=False)
    total = time.process_time() - start - sum(eval_cpu)
    return losses, [total / max(1, len(losses))] * len(losses)


# ------------------------------------------------------------------------------------------ NNI 3.0
_NNI3_DRIVER = Path(__file__).with_name("_nni3_driver.py")


def nni3_available() -> bool:
    return Path(NNI3_PYTHON).exists()


def run_nni3(builtin: str, problem: str, seeds: list[int], budget: int) -> dict[int, dict[str, Any]]:
    """Several seeds of one NNI 3.0 tuner on one problem, in one NNI 3.0 process (the problem is
    evaluated there too: no per-trial round trips). Returns ``{seed: {"losses", "cpu"} | {"error"}}``."""
    proc = subprocess.run(
        [NNI3_PYTHON, str(_NNI3_DRIVER), builtin, problem, ",".join(map(str, seeds)), str(budget)],
        capture_output=True, text=True, cwd="/tmp", timeout=3600,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@NNI3 ")]
    if not lines:
        raise RuntimeError(f"NNI 3.0 {builtin} driver failed: {proc.stderr.strip()[-300:]}")
    return {int(k): v for k, v in json.loads(lines[-1][len("@@NNI3 "):]).items()}


NNI3_TUNERS = {"nni3-TPE": "TPE", "nni3-Anneal": "Anneal", "nni3-Evolution": "Evolution", "nni3-Random": "Random"}


def _nni3_placeholder(name: str) -> Callable[..., RunResult]:
    def run(space: dict[str, Any], loss: Loss, seed: int, budget: int) -> RunResult:
        raise RuntimeError(f"{name} runs through run_nni3 (per problem, in NNI 3.0's environment)")

    return run


PEERS: dict[str, Callable[..., RunResult]] = {
    "optuna-TPE": _run_optuna(_tpe_default),
    "optuna-TPE-mv": _run_optuna(_tpe_multivariate),
    "optuna-GP": _run_optuna(_gp),
    "optuna-CMAES": _run_optuna(_cmaes),
    "hyperopt-TPE": _run_hyperopt,
    **{name: _nni3_placeholder(name) for name in NNI3_TUNERS},
}


def _builtin_runner(name: str) -> Callable[..., RunResult]:
    path, args = BUILTIN[name]

    def run(space: dict[str, Any], loss: Loss, seed: int, budget: int) -> RunResult:
        return run_builtin(path, args, space, loss, seed, budget)

    return run


def builtin_available(name: str) -> bool:
    path = BUILTIN[name][0]
    module = path.rpartition(".")[0]
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


OPTIMIZERS: dict[str, Callable[..., RunResult]] = {**{n: _builtin_runner(n) for n in BUILTIN}, **PEERS}


if __name__ == "__main__":  # pragma: no cover - manual check
    print(sorted(OPTIMIZERS), file=sys.stderr)
