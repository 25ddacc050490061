"""Assessor benchmark: how much training an assessor saves, and what it costs in best accuracy.

Task: an MLP (scikit-learn ``MLPClassifier``, SGD with momentum) trained epoch by epoch with
``partial_fit`` on the digits data set that ships with scikit-learn; the metric is the validation
accuracy after each epoch. The same tuner (NNI's Random tuner, seeded) proposes the same sequence of
configurations to every arm, so arms differ only in their early-stopping rule:

    none          no assessor: every trial trains all its epochs
    Medianstop    nni.algorithms.hpo.medianstop_assessor.MedianstopAssessor (NNI defaults)
    Curvefitting  nni.algorithms.hpo.curvefitting_assessor.CurvefittingAssessor (epoch_num = epochs)
    MedianPruner  Optuna's MedianPruner (its defaults) on the same trials

The experiment loop is simulated in process as the manager runs it: ``--concurrency`` trials train
side by side, one epoch per tick; after each epoch the assessor judges the trial from its history
(``assess_trial``); a Bad trial stops (``trial_end(id, False)``), a trial that trains all its epochs
ends with its last accuracy as final result (``trial_end(id, True)``) and a new trial takes its slot.
A stopped trial has no final result, as in NNI. Each configuration's learning curve is trained once
(for real, deterministic given its seed) and replayed to every arm, so all arms see identical curves.

Figures per arm, averaged over seeds: epochs trained, best final accuracy among trials that completed,
and epochs trained until that best was first reached.

    python3 benchmarks/assessors.py [--seeds 5] [--trials 40] [--epochs 25] [--concurrency 4] [--cache F]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nni.algorithms.hpo.curvefitting_assessor import CurvefittingAssessor  # noqa: E402
from nni.algorithms.hpo.medianstop_assessor import MedianstopAssessor  # noqa: E402
from nni.algorithms.hpo.random_tuner import RandomTuner  # noqa: E402
from nni.assessor import AssessResult  # noqa: E402

SEARCH_SPACE = {
    "learning_rate_init": {"_type": "loguniform", "_value": [1e-4, 0.5]},
    "momentum": {"_type": "uniform", "_value": [0.0, 0.95]},
    "alpha": {"_type": "loguniform", "_value": [1e-6, 1e-1]},
    "hidden": {"_type": "choice", "_value": [16, 32, 64]},
    "batch_size": {"_type": "choice", "_value": [64, 128, 256]},
}


# -- the task ------------------------------------------------------------------------------------
def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_val), y_train, y_val


def train_curve(params: dict[str, Any], epochs: int, seed: int, data: tuple[np.ndarray, ...]) -> list[float]:
    """Train one configuration for ``epochs`` epochs; the validation accuracy after each."""
    from sklearn.neural_network import MLPClassifier

    x_train, x_val, y_train, y_val = data
    model = MLPClassifier(
        hidden_layer_sizes=(int(params["hidden"]),),
        solver="sgd",
        learning_rate_init=float(params["learning_rate_init"]),
        momentum=float(params["momentum"]),
        alpha=float(params["alpha"]),
        batch_size=int(params["batch_size"]),
        random_state=seed,
    )
    classes = np.unique(y_train)
    curve: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            model.partial_fit(x_train, y_train, classes=classes)
            curve.append(float(model.score(x_val, y_val)))
    return curve


# -- Optuna's MedianPruner behind the assessor interface -----------------------------------------
class OptunaMedianPruner:
    """Feeds each trial's results to an Optuna study with a MedianPruner and asks it to prune."""

    def __init__(self) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self.study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner())
        self._trials: dict[str, Any] = {}
        self._reported: dict[str, int] = {}

    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        trial = self._trials.get(trial_job_id)
        if trial is None:
            trial = self._trials[trial_job_id] = self.study.ask()
            self._reported[trial_job_id] = 0
        for step in range(self._reported[trial_job_id], len(trial_history)):
            trial.report(float(trial_history[step]), step)
        self._reported[trial_job_id] = len(trial_history)
        return AssessResult.Bad if trial.should_prune() else AssessResult.Good

    def trial_end(self, trial_job_id: str, success: bool, final: float | None = None) -> None:
        trial = self._trials.pop(trial_job_id)
        state = self._optuna.trial.TrialState
        if success:
            self.study.tell(trial, final)
        else:
            self.study.tell(trial, state=state.PRUNED)


# -- the experiment loop -------------------------------------------------------------------------
@dataclass
class Outcome:
    epochs: int = 0
    best: float = float("-inf")
    epochs_to_best: int = 0
    stopped: int = 0
    completed: int = 0
    assess_seconds: float = 0.0
    finals: list[float] = field(default_factory=list)


def simulate(curves: list[list[float]], make_assessor: Callable[[], Any] | None, concurrency: int) -> Outcome:
    """Run the trials through the loop, ``concurrency`` at a time, one epoch per tick."""
    assessor = make_assessor() if make_assessor else None
    out = Outcome()
    pending = list(range(len(curves)))
    running: dict[int, int] = {}  # trial index -> epochs trained
    while pending or running:
        while pending and len(running) < concurrency:
            running[pending.pop(0)] = 0
        for index in list(running):
            curve = curves[index]
            running[index] += 1
            out.epochs += 1
            step = running[index]
            trial_id = f"t{index:04d}"
            if step == len(curve):
                del running[index]
                final = curve[-1]
                out.completed += 1
                out.finals.append(final)
                if assessor is not None:
                    started = time.perf_counter()
                    assessor.assess_trial(trial_id, curve[:step])  # the last result is judged too
                    if isinstance(assessor, OptunaMedianPruner):
                        assessor.trial_end(trial_id, True, final)
                    else:
                        assessor.trial_end(trial_id, True)
                    out.assess_seconds += time.perf_counter() - started
                if final > out.best:
                    out.best, out.epochs_to_best = final, out.epochs
                continue
            if assessor is None:
                continue
            started = time.perf_counter()
            verdict = assessor.assess_trial(trial_id, curve[:step])
            if verdict is AssessResult.Bad:
                del running[index]
                out.stopped += 1
                assessor.trial_end(trial_id, False)
            out.assess_seconds += time.perf_counter() - started
    return out


ARMS: dict[str, Callable[[int], Callable[[], Any] | None]] = {
    "none": lambda epochs: None,
    "Medianstop": lambda epochs: MedianstopAssessor,
    "Curvefitting": lambda epochs: lambda: CurvefittingAssessor(epoch_num=epochs),
    "Optuna MedianPruner": lambda epochs: OptunaMedianPruner,
    # not a default: the threshold knob, to show what a tighter Curvefitting buys and costs
    "Curvefitting, threshold=0.99": lambda epochs: (
        lambda: CurvefittingAssessor(epoch_num=epochs, threshold=0.99)
    ),
}


def configurations(seed: int, trials: int) -> list[dict[str, Any]]:
    tuner = RandomTuner(seed=seed)
    tuner.update_search_space(SEARCH_SPACE)
    return [tuner.generate_parameters(i) for i in range(trials)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="JSON file keeping the trained curves, so a rerun replays them instead of training",
    )
    args = parser.parse_args(argv)
    cache: dict[str, list[list[float]]] = {}
    if args.cache is not None and args.cache.exists():
        cache = json.loads(args.cache.read_text())

    data = _data()
    results: dict[str, list[Outcome]] = {arm: [] for arm in ARMS}
    train_seconds = 0.0
    for seed in range(args.seeds):
        started = time.perf_counter()
        key = f"{seed}/{args.trials}/{args.epochs}"
        if key not in cache:
            cache[key] = [
                train_curve(p, args.epochs, seed * 1000 + i, data)
                for i, p in enumerate(configurations(seed, args.trials))
            ]
            if args.cache is not None:
                args.cache.write_text(json.dumps(cache))
        curves = cache[key]
        train_seconds += time.perf_counter() - started
        for arm, factory in ARMS.items():
            results[arm].append(simulate(curves, factory(args.epochs), args.concurrency))
        print(
            f"seed {seed}: "
            + ", ".join(f"{arm} {r[-1].epochs} ep / {r[-1].best:.4f}" for arm, r in results.items()),
            file=sys.stderr,
            flush=True,
        )

    base = results["none"]
    base_epochs = statistics.mean(o.epochs for o in base)
    base_best = statistics.mean(o.best for o in base)
    print(
        f"\nDigits MLP, {args.trials} trials x {args.epochs} epochs, concurrency {args.concurrency}, "
        f"Random tuner, seeds 0..{args.seeds - 1} (curves trained in {train_seconds:.0f} s)\n"
    )
    header = (
        "| arm | epochs trained | saved vs none | best final accuracy | vs none (pp) | epochs to best "
        "| trials stopped | assessor time (s) |"
    )
    print(header)
    print("|" + "---|" * 8)
    for arm, outcomes in results.items():
        epochs = statistics.mean(o.epochs for o in outcomes)
        best = statistics.mean(o.best for o in outcomes)
        to_best = statistics.mean(o.epochs_to_best for o in outcomes)
        stopped = statistics.mean(o.stopped for o in outcomes)
        seconds = statistics.mean(o.assess_seconds for o in outcomes)
        print(
            f"| {arm} | {epochs:.0f} | {100 * (1 - epochs / base_epochs):.1f}% | {best:.4f} | "
            f"{100 * (best - base_best):+.2f} | {to_best:.0f} | {stopped:.1f} | {seconds:.2f} |"
        )
    print("\nPer seed (epochs trained / best final accuracy / epochs to best):\n")
    print("| seed | " + " | ".join(ARMS) + " |")
    print("|---|" + "---|" * len(ARMS))
    for seed in range(args.seeds):
        cells = [
            f"{results[arm][seed].epochs} / {results[arm][seed].best:.4f} / {results[arm][seed].epochs_to_best}"
            for arm in ARMS
        ]
        print(f"| {seed} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
