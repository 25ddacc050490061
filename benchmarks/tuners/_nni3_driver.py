"""Runs NNI 3.0's built-in tuners in NNI 3.0's own environment (used by optimizers.py and timing.py).

Quality mode: ``_nni3_driver.py TUNER PROBLEM SEEDS BUDGET`` evaluates the benchmark problem in this
process (NNI 3.0's ``nni`` is imported first, then this repository's ``benchmarks`` package is made
importable without shadowing it) and prints one JSON line: ``{seed: {"losses": [...], "cpu": [...]}}``.

Timing mode: ``_nni3_driver.py TUNER timing N`` reads the search space and N records from stdin,
imports them, then prints ``@@NNI3 {"params": ..., "cpu": s}`` per suggestion and reads the loss back.
"""

import json
import os
import random
import sys
import time

import numpy as np

import nni  # noqa: F401  (NNI 3.0, imported before the repository path is added)


def make_tuner(name, seed):
    random.seed(seed)
    np.random.seed(seed)
    if name == "TPE":
        from nni.algorithms.hpo.tpe_tuner import TpeTuner

        return TpeTuner(optimize_mode="minimize", seed=seed)
    if name == "Anneal":
        from nni.algorithms.hpo.hyperopt_tuner import HyperoptTuner

        return HyperoptTuner("anneal", optimize_mode="minimize")
    if name == "Evolution":
        from nni.algorithms.hpo.evolution_tuner import EvolutionTuner

        return EvolutionTuner(optimize_mode="minimize", population_size=20)
    if name == "Random":
        from nni.algorithms.hpo.random_tuner import RandomTuner

        return RandomTuner(seed=seed)
    raise SystemExit(f"unknown NNI 3.0 tuner {name}")


def quality(name, problem_name, seeds, budget):
    sys.path.append(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from benchmarks.tuners.problems import PROBLEMS

    problem = PROBLEMS[problem_name]
    out = {}
    for seed in seeds:
        try:
            tuner = make_tuner(name, seed)
            tuner.update_search_space(problem.space)
            losses, cpu = [], []
            for i in range(budget):
                start = time.process_time()
                params = tuner.generate_parameters(i)
                cpu.append(time.process_time() - start)
                value = problem.loss(params)
                losses.append(value)
                start = time.process_time()
                tuner.receive_trial_result(i, params, value)
                cpu[-1] += time.process_time() - start
            out[seed] = {"losses": losses, "cpu": cpu}
        except Exception as exc:  # reported per seed
            out[seed] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    print("@@NNI3 " + json.dumps(out), flush=True)


def timing(name, n):
    tuner = make_tuner(name, 0)
    space = json.loads(sys.stdin.readline())
    tuner.update_search_space(space)
    history = json.loads(sys.stdin.readline())
    tuner.import_data(history)
    i = n
    while True:
        start = time.process_time()
        params = tuner.generate_parameters(i)
        cpu = time.process_time() - start
        print("@@NNI3 " + json.dumps({"params": params, "cpu": cpu}), flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        tuner.receive_trial_result(i, params, json.loads(line))
        i += 1


if __name__ == "__main__":
    if sys.argv[2] == "timing":
        timing(sys.argv[1], int(sys.argv[3]))
    else:
        quality(sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], int(sys.argv[4]))
