"""Experiment configs and stores with a known history, for tests of what reads them (CLI, REST, web UI)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["T0", "experiment_config", "store_with_trials"]

T0 = 1_700_000_000.0  # the start time of stores written here (2023-11-14)


def experiment_config(**fields: Any) -> dict[str, Any]:
    """A valid v2 config as a dict: a local experiment of ``python3 trial.py`` in ``.``, one uniform parameter
    ``x``, the Random tuner; ``fields`` over it (a field set to None is left out)."""
    config: dict[str, Any] = {
        "experimentName": "test",
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "python3 trial.py",
        "trialCodeDirectory": ".",
        "trialConcurrency": 1,
        "maxTrialNumber": 3,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "local"},
    }
    config.update(fields)
    return {k: v for k, v in config.items() if v is not None}


def store_with_trials(folder: Path, experiment_id: str, config: dict[str, Any], limits: dict[str, Any],
                      trials: Iterable[tuple[str, dict[str, Any]]], *, stdout: str = "stdout of {trial}\n",
                      created: dict[str, Any] | None = None) -> Any:
    """An ``ExperimentStore`` in ``folder``: its profile (RUNNING since ``T0``) and, for each ``(trial id,
    parameters)``, a CREATED event (sequence and parameter id in order, ``T0 + sequence``; ``created`` adds
    to its data) and the trial's folder with a ``stdout`` file. Returns the open store, for the rest of the
    history; the caller closes it."""
    from nni.storage import ExperimentStore

    store = ExperimentStore(folder)
    store.init_profile(experiment_id, config.get("experimentName", ""), config, config["searchSpace"], limits,
                       status="RUNNING", start_time=T0)
    for seq, (trial, parameters) in enumerate(trials):
        store.add_trial_event(trial, "CREATED", {"sequence_id": seq, "parameter_id": seq, "parameters": parameters,
                                                 **(created or {})}, timestamp=T0 + seq)
        (folder / "trials" / trial).mkdir(parents=True)
        (folder / "trials" / trial / "stdout").write_text(stdout.format(trial=trial))
    return store
