"""Runs one of NNI 3.0's built-in tuners in NNI 3.0's own environment (used by optimizers.py).

Protocol on stdin/stdout: first line the search space (JSON); then, per trial, this prints
``{"params": ..., "cpu": seconds}`` and reads back the loss (JSON number).
"""

import json
import random
import sys
import time

import numpy as np


def main() -> None:
    name, seed = sys.argv[1], int(sys.argv[2])
    random.seed(seed)
    np.random.seed(seed)
    space = json.loads(sys.stdin.readline())
    if name == "TPE":
        from nni.algorithms.hpo.tpe_tuner import TpeTuner

        tuner = TpeTuner(optimize_mode="minimize", seed=seed)
    elif name == "Anneal":
        from nni.algorithms.hpo.hyperopt_tuner import HyperoptTuner

        tuner = HyperoptTuner("anneal", optimize_mode="minimize")
    elif name == "Evolution":
        from nni.algorithms.hpo.evolution_tuner import EvolutionTuner

        tuner = EvolutionTuner(optimize_mode="minimize", population_size=20)
    elif name == "Random":
        from nni.algorithms.hpo.random_tuner import RandomTuner

        tuner = RandomTuner(seed=seed)
    else:
        raise SystemExit(f"unknown NNI 3.0 tuner {name}")
    tuner.update_search_space(space)
    i = 0
    if len(sys.argv) > 3 and sys.argv[3] == "preload":
        history = json.loads(sys.stdin.readline())
        tuner.import_data(history)
        i = len(history)
    while True:
        start = time.process_time()
        params = tuner.generate_parameters(i)
        cpu = time.process_time() - start
        print("@@NNI3 " + json.dumps({"params": params, "cpu": cpu}), flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        value = json.loads(line)
        start = time.process_time()
        tuner.receive_trial_result(i, params, value)
        i += 1


if __name__ == "__main__":
    main()
