"""Multi-objective benchmark: hypervolume of this project's tuners beside random search and Optuna.

One command runs everything (cached runs are reused) and prints the tables::

    python -m benchmarks.multiobjective                          # quality + timing, the recorded setup
    python -m benchmarks.multiobjective --seeds 3 --budget 50    # a quick look
    python -m benchmarks.multiobjective --report-only --markdown /tmp/mo.md

Problems: ZDT1, ZDT2, ZDT3 (2 objectives, 6 variables), DTLZ2 (3 objectives, 6 variables), TNK (2
objectives, 2 constraints: Tanaka's constrained problem), and an SVC on scikit-learn's digits (validation
error against prediction cost: support vectors x PCA components). Every optimizer sees the same problem
through the same fixed reference point. Optimizers: our TPE, Evolution and GP driven through the tuner API
with the config's objectives (``set_objectives``), our Random tuner, and Optuna's NSGA-II, multi-objective
TPE and GP samplers (constraints through ``Trial.set_constraint``). Figures: hypervolume after 50, 100 and 200
evaluations (mean and median over seeds), the average rank per problem, the feasible share on TNK, and
the CPU time per suggestion after 200 and 1,000 finished trials on ZDT1 and DTLZ2.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nni.analysis.pareto import hypervolume
from nni.objectives import Objectives

DEFAULT_CACHE = Path(__file__).with_name("multiobjective_results.json")
CHECKPOINTS = (50, 100, 200)


# ------------------------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    name: str
    space: dict[str, Any]
    evaluate: Callable[[dict[str, Any]], dict[str, float]]
    objectives: Objectives
    reference: tuple[float, ...]  # in minimised form (maximised objectives negated)
    budget: int = 200
    seeds: int = 10


def _unit_space(d: int) -> dict[str, Any]:
    return {f"x{i}": {"_type": "uniform", "_value": [0, 1]} for i in range(d)}


def _x(params: dict[str, Any], d: int) -> np.ndarray:
    return np.array([params[f"x{i}"] for i in range(d)], dtype=float)


def _zdt(kind: int, d: int = 6) -> Callable[[dict[str, Any]], dict[str, float]]:
    def evaluate(params: dict[str, Any]) -> dict[str, float]:
        x = _x(params, d)
        f1 = x[0]
        g = 1.0 + 9.0 * x[1:].sum() / (d - 1)
        ratio = f1 / g
        if kind == 1:
            h = 1.0 - math.sqrt(ratio)
        elif kind == 2:
            h = 1.0 - ratio**2
        else:
            h = 1.0 - math.sqrt(ratio) - ratio * math.sin(10.0 * math.pi * f1)
        return {"f1": float(f1), "f2": float(g * h)}

    return evaluate


def _dtlz2(params: dict[str, Any], d: int = 6) -> dict[str, float]:
    x = _x(params, d)
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return {"f1": (1 + g) * math.cos(a) * math.cos(b), "f2": (1 + g) * math.cos(a) * math.sin(b),
            "f3": (1 + g) * math.sin(a)}


def _tnk(params: dict[str, Any]) -> dict[str, float]:
    x1, x2 = float(params["x1"]), float(params["x2"])
    c1 = x1 * x1 + x2 * x2 - 1.0 - 0.1 * math.cos(16.0 * math.atan2(x1, x2))
    c2 = (x1 - 0.5) ** 2 + (x2 - 0.5) ** 2
    return {"f1": x1, "f2": x2, "c1": c1, "c2": c2}


_DIGITS: Any = None
_SVC_CACHE: dict[str, dict[str, float]] = {}


def _svc_digits(params: dict[str, Any]) -> dict[str, float]:
    """SVC (RBF) on PCA features of digits: validation error and thousands of multiply-adds per prediction."""
    global _DIGITS
    key = json.dumps(params, sort_keys=True)
    if key in _SVC_CACHE:
        return _SVC_CACHE[key]
    from sklearn.decomposition import PCA
    from sklearn.svm import SVC

    if _DIGITS is None:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        _DIGITS = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    X_train, X_valid, y_train, y_valid = _DIGITS
    pca = PCA(n_components=int(params["components"]), random_state=0).fit(X_train)
    model = SVC(C=float(params["C"]), gamma=float(params["gamma"])).fit(pca.transform(X_train), y_train)
    error = float(np.mean(model.predict(pca.transform(X_valid)) != y_valid))
    cost = model.n_support_.sum() * int(params["components"]) / 1000.0
    _SVC_CACHE[key] = {"error": error, "kmacs": float(cost)}
    return _SVC_CACHE[key]


def _two(names: tuple[str, ...] = ("f1", "f2")) -> Objectives:
    return Objectives.from_json([{"name": n, "mode": "minimize"} for n in names])  # type: ignore[return-value]


PROBLEMS: dict[str, Problem] = {
    "ZDT1": Problem("ZDT1", _unit_space(6), _zdt(1), _two(), (1.1, 11.0)),
    "ZDT2": Problem("ZDT2", _unit_space(6), _zdt(2), _two(), (1.1, 11.0)),
    "ZDT3": Problem("ZDT3", _unit_space(6), _zdt(3), _two(), (1.1, 11.0)),
    "DTLZ2": Problem("DTLZ2", _unit_space(6), _dtlz2, _two(("f1", "f2", "f3")), (1.5, 1.5, 1.5)),
    "TNK": Problem(
        "TNK", {"x1": {"_type": "uniform", "_value": [1e-6, math.pi]}, "x2": {"_type": "uniform", "_value": [0, math.pi]}},
        _tnk,
        Objectives.from_json([{"name": "f1", "mode": "minimize"}, {"name": "f2", "mode": "minimize"}],  # type: ignore[arg-type]
                             [{"name": "c1", "min": 0.0}, {"name": "c2", "max": 0.5}]),
        (1.2, 1.2)),
    "svc_digits": Problem(
        "svc_digits",
        {"C": {"_type": "loguniform", "_value": [0.01, 1000]}, "gamma": {"_type": "loguniform", "_value": [1e-4, 10]},
         "components": {"_type": "randint", "_value": [2, 41]}},
        _svc_digits,
        Objectives.from_json([{"name": "error", "mode": "minimize"}, {"name": "kmacs", "mode": "minimize"}]),  # type: ignore[arg-type]
        (1.0, 50.0), budget=100, seeds=5),
}


# ----------------------------------------------------------------------------------------- optimizers
# name -> (class path, classArgs) of our tuners, driven with set_objectives as the manager does.
BUILTIN: dict[str, tuple[str, dict[str, Any]]] = {
    "TPE": ("nni.algorithms.hpo.tpe_tuner.TpeTuner", {}),
    "Evolution": ("nni.algorithms.hpo.evolution_tuner.EvolutionTuner", {"population_size": 20}),
    "GP": ("nni.algorithms.hpo.gp_tuner.GPTuner", {}),
    "Random": ("nni.algorithms.hpo.random_tuner.RandomTuner", {}),
}
PEERS = ("optuna-NSGAII", "optuna-TPE", "optuna-GP")
SLOW = {"optuna-GP": 100}  # evaluations Optuna's GP sampler runs (about 0.5 s of CPU per suggestion)
SLOW_SEEDS = 5


def _load(path: str) -> type:
    import importlib

    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class _Ours:
    def __init__(self, name: str, problem: Problem, seed: int) -> None:
        path, args = BUILTIN[name]
        self.tuner = _load(path)(seed=seed, **args)
        self.tuner.set_objectives(problem.objectives)
        self.tuner.update_search_space(problem.space)
        self.next_id = 0

    def ask(self) -> tuple[Any, dict[str, Any]]:
        pid = self.next_id
        self.next_id += 1
        return pid, self.tuner.generate_parameters(pid)

    def tell(self, handle: Any, params: dict[str, Any], result: dict[str, float], problem: Problem) -> None:
        measured = problem.objectives.read(result)
        self.tuner.receive_trial_result(handle, params, result, objective_values=measured.objective_values,
                                        constraint_values=measured.constraint_values)
        self.tuner.trial_end(handle, True)


def _optuna_distributions(space: dict[str, Any]) -> dict[str, Any]:
    import optuna

    out: dict[str, Any] = {}
    for name, body in space.items():
        t, v = body["_type"], body["_value"]
        if t == "uniform":
            out[name] = optuna.distributions.FloatDistribution(v[0], v[1])
        elif t == "loguniform":
            out[name] = optuna.distributions.FloatDistribution(v[0], v[1], log=True)
        elif t == "randint":
            out[name] = optuna.distributions.IntDistribution(int(v[0]), int(v[1]) - 1)
        else:
            raise ValueError(f"the benchmark's Optuna adapter does not map _type {t!r}")
    return out


def _optuna_constraint_values(problem: Problem, result: dict[str, float]) -> dict[str, float]:
    """Optuna's form of the constraints: one value per bound, <= 0 when satisfied."""
    out = {}
    for c in problem.objectives.constraints:
        if c.max is not None:
            out[f"{c.name}.max"] = result[c.name] - c.max
        if c.min is not None:
            out[f"{c.name}.min"] = c.min - result[c.name]
    return out


class _Optuna:
    def __init__(self, name: str, problem: Problem, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        if name == "optuna-NSGAII":
            sampler = optuna.samplers.NSGAIISampler(seed=seed)
        elif name == "optuna-TPE":
            sampler = optuna.samplers.TPESampler(seed=seed)
        else:
            sampler = optuna.samplers.GPSampler(seed=seed)
        directions = ["maximize" if m else "minimize" for m in problem.objectives.maximize]
        self.study = optuna.create_study(directions=directions, sampler=sampler)
        self.distributions = _optuna_distributions(problem.space)

    def ask(self) -> tuple[Any, dict[str, Any]]:
        trial = self.study.ask(self.distributions)
        return trial, dict(trial.params)

    def tell(self, handle: Any, params: dict[str, Any], result: dict[str, float], problem: Problem) -> None:
        for key, value in _optuna_constraint_values(problem, result).items():
            handle.set_constraint(key, value)  # Optuna 5's constraint API
        self.study.tell(handle, [result[o.name] for o in problem.objectives.objectives])


def make_optimizer(name: str, problem: Problem, seed: int) -> Any:
    return _Ours(name, problem, seed) if name in BUILTIN else _Optuna(name, problem, seed)


def run_one(problem_name: str, optimizer: str, seed: int, budget: int) -> dict[str, Any]:
    """One run: the hypervolume after each checkpoint, the feasible share, the suggestion CPU times."""
    problem = PROBLEMS[problem_name]
    opt = make_optimizer(optimizer, problem, seed)
    rows, violations, times = [], [], []
    for _ in range(budget):
        start = time.process_time()
        handle, params = opt.ask()
        times.append(time.process_time() - start)
        result = problem.evaluate(params)
        measured = problem.objectives.read(result)
        rows.append(problem.objectives.minimized(measured.objective_values))
        violations.append(problem.objectives.violation(measured.constraint_values))
        start = time.process_time()
        opt.tell(handle, params, result, problem)
        times[-1] += time.process_time() - start
    F, violation = np.array(rows), np.array(violations)
    hv = {}
    for n in CHECKPOINTS:
        if n <= budget:
            feasible = violation[:n] <= 0
            hv[str(n)] = hypervolume(F[:n][feasible], problem.reference) if feasible.any() else 0.0
    return {"hv": hv, "feasible": float(np.mean(violation <= 0)), "seconds": float(np.mean(times))}


# ------------------------------------------------------------------------------------------- timing
TIMING_PROBLEMS = ("ZDT1", "DTLZ2")


def time_suggestion(optimizer: str, finished: int, problem_name: str = "ZDT1", repeats: int = 3) -> float:
    """CPU seconds of one suggestion (ask + tell) after ``finished`` trials (random configurations given as
    finished results first)."""
    problem = PROBLEMS[problem_name]
    rng = np.random.default_rng(0)
    opt = make_optimizer(optimizer, problem, 0)
    configs = [{k: float(rng.random()) for k in problem.space} for _ in range(finished)]
    if isinstance(opt, _Ours):
        for pid, params in enumerate(configs, start=100_000):
            opt.tell(pid, params, problem.evaluate(params), problem)
    else:
        import optuna

        values = [problem.evaluate(p) for p in configs]
        opt.study.add_trials([
            optuna.trial.create_trial(params=p, distributions=opt.distributions,
                                      values=[v[o.name] for o in problem.objectives.objectives])
            for p, v in zip(configs, values, strict=True)])
    spent = []
    for _ in range(repeats):
        start = time.process_time()
        handle, params = opt.ask()
        spent.append(time.process_time() - start)
        opt.tell(handle, params, problem.evaluate(params), problem)
    return statistics.median(spent)


# ----------------------------------------------------------------------------------------- the runs
def _key(problem: str, optimizer: str, seed: int, budget: int) -> str:
    return f"{problem}|{optimizer}|{seed}|{budget}"


def _budget(problem: Problem, optimizer: str, cap: int | None) -> int:
    budget = min(problem.budget, SLOW.get(optimizer, problem.budget))
    return min(budget, cap) if cap else budget


def _seeds(problem: Problem, optimizer: str, cap: int | None) -> int:
    seeds = min(problem.seeds, SLOW_SEEDS) if optimizer in SLOW else problem.seeds
    return min(seeds, cap) if cap else seeds


def _work(args: tuple[str, str, int, int]) -> tuple[str, dict[str, Any]]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    problem, optimizer, seed, budget = args
    try:
        return _key(*args), run_one(problem, optimizer, seed, budget)
    except Exception as exc:  # noqa: BLE001 - recorded and shown in the table
        return _key(*args), {"error": f"{type(exc).__name__}: {exc}"}


def run_all(problems: list[str], optimizers: list[str], cache: Path, seeds: int | None, budget: int | None,
            jobs: int) -> dict[str, Any]:
    results: dict[str, Any] = json.loads(cache.read_text()) if cache.exists() else {}
    todo = []
    for p in problems:
        for o in optimizers:
            for s in range(_seeds(PROBLEMS[p], o, seeds)):
                args = (p, o, s, _budget(PROBLEMS[p], o, budget))
                if _key(*args) not in results:
                    todo.append(args)
    print(f"{len(todo)} runs to do ({len(results)} cached)", file=sys.stderr)
    with mp.get_context("spawn").Pool(jobs) as pool:
        for done, (key, value) in enumerate(pool.imap_unordered(_work, todo), start=1):
            results[key] = value
            cache.write_text(json.dumps(results, indent=0))
            print(f"[{done}/{len(todo)}] {key} {value.get('hv', value.get('error'))}", file=sys.stderr)
    return results


# ------------------------------------------------------------------------------------------- tables
def _entries(results: dict[str, Any], problem: str, optimizer: str) -> list[dict[str, Any]]:
    prefix = f"{problem}|{optimizer}|"
    return [v for k, v in results.items() if k.startswith(prefix) and "hv" in v]


def report(results: dict[str, Any], problems: list[str], optimizers: list[str],
           timing: dict[str, dict[str, float]] | None) -> str:
    out: list[str] = []
    ranks: dict[str, list[float]] = {o: [] for o in optimizers}
    for n in CHECKPOINTS:
        out.append(f"\n### Hypervolume after {n} evaluations (mean / median over seeds; higher is better)\n")
        out.append("| problem | " + " | ".join(optimizers) + " |")
        out.append("|---|" + "---|" * len(optimizers))
        for p in problems:
            cells, means = [], {}
            for o in optimizers:
                values = [e["hv"][str(n)] for e in _entries(results, p, o) if str(n) in e["hv"]]
                if values:
                    means[o] = statistics.mean(values)
                    cells.append(f"{means[o]:.4g} / {statistics.median(values):.4g} ({len(values)})")
                else:
                    cells.append("—")
            best = max(means.values()) if means else None
            cells = [f"**{c}**" if best is not None and means.get(o) == best else c for c, o in zip(cells, optimizers,
                                                                                                    strict=True)]
            out.append(f"| {p} | " + " | ".join(cells) + " |")
            if n == 100 and means:
                order = sorted(means, key=lambda o: -means[o])
                for o in optimizers:
                    if o in means:
                        ranks[o].append(float(order.index(o) + 1))
    out.append("\n### Rank at 100 evaluations (1 = highest mean hypervolume)\n")
    out.append("| problem | " + " | ".join(optimizers) + " |")
    out.append("|---|" + "---|" * len(optimizers))
    for i, p in enumerate(problems):
        out.append(f"| {p} | " + " | ".join(
            f"{ranks[o][i]:.0f}" if i < len(ranks[o]) else "—" for o in optimizers) + " |")
    out.append("| **average** | " + " | ".join(
        f"**{statistics.mean(ranks[o]):.2f}**" if ranks[o] else "—" for o in optimizers) + " |")
    if "TNK" in problems:
        out.append("\n### TNK: share of feasible evaluations (mean over seeds)\n")
        out.append("| " + " | ".join(optimizers) + " |")
        out.append("|" + "---|" * len(optimizers))
        shares = []
        for o in optimizers:
            values = [e["feasible"] for e in _entries(results, "TNK", o)]
            shares.append(f"{statistics.mean(values):.2f}" if values else "—")
        out.append("| " + " | ".join(shares) + " |")
    if timing:
        rows = sorted({key for t in timing.values() for key in t}, key=lambda k: (k.split("/")[0], int(k.split("/")[1])))
        out.append("\n### CPU time per suggestion (ms, median of 3; problem / finished trials)\n")
        out.append("| problem / finished | " + " | ".join(timing) + " |")
        out.append("|---|" + "---|" * len(timing))
        for key in rows:
            out.append(f"| {key} | " + " | ".join(
                f"{timing[o][key] * 1000:.1f}" if key in timing[o] else "—" for o in timing) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--optimizers", default=",".join([*BUILTIN, *PEERS]))
    parser.add_argument("--seeds", type=int, default=None, help="at most this many seeds per problem")
    parser.add_argument("--budget", type=int, default=None, help="at most this many evaluations per run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-sizes", default="200,1000")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the tables to this file")
    args = parser.parse_args(argv)
    problems = [p for p in args.problems.split(",") if p]
    optimizers = [o for o in args.optimizers.split(",") if o]
    for name in problems:
        if name not in PROBLEMS:
            raise SystemExit(f"unknown problem {name!r}; expected some of {', '.join(PROBLEMS)}")
    for name in optimizers:
        if name not in BUILTIN and name not in PEERS:
            raise SystemExit(f"unknown optimizer {name!r}; expected some of {', '.join([*BUILTIN, *PEERS])}")
    if args.report_only:
        results = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    else:
        results = run_all(problems, optimizers, args.cache, args.seeds, args.budget, args.jobs)
    timing: dict[str, dict[str, float]] | None = None
    timing_file = args.cache.with_name(args.cache.stem + "_timing.json")
    if not args.no_timing and not args.report_only:
        timing = {}
        for o in optimizers:
            timing[o] = {}
            for p in TIMING_PROBLEMS:
                for n in (int(s) for s in args.timing_sizes.split(",")):
                    if o in SLOW and n > 200:
                        continue  # Optuna's GP at 1,000 trials: minutes per suggestion, not measured
                    timing[o][f"{p}/{n}"] = time_suggestion(o, n, p)
                    print(f"timing {o} {p} {n}: {timing[o][f'{p}/{n}'] * 1000:.1f} ms", file=sys.stderr)
        timing_file.write_text(json.dumps(timing))
    elif timing_file.exists():
        timing = json.loads(timing_file.read_text())
    text = report(results, problems, optimizers, timing)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
