"""Results of any experiment of this machine, read from its store (running or stopped; no server needed):
the best trials, a comparison of several experiments, the trials as a pandas DataFrame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nni.errors import NNIError

__all__ = ["best_trials", "compare_experiments", "experiment_folder", "load_results", "resolve_folder", "trials_dataframe"]


def _registered(experiment_id: str) -> Path | None:
    from nni.launcher import LaunchError, experiment_dir_of

    try:
        return experiment_dir_of(experiment_id)
    except LaunchError:
        return None


def experiment_folder(experiment_id: str) -> Path:
    """The folder of a registered experiment (``nnictl experiment list --all`` lists them)."""
    folder = _registered(experiment_id)
    if folder is None:
        raise NNIError(f"no experiment {experiment_id!r} on this machine; `nnictl experiment list --all` lists them, "
                       "or pass the experiment's folder instead of its id")
    return folder


def resolve_folder(experiment: str | Path) -> Path:
    """An experiment's folder: a ``Path`` as given; a string names a registered experiment, else a folder."""
    if isinstance(experiment, Path):
        return experiment
    registered = _registered(experiment)
    if registered is not None:
        return registered
    if Path(experiment).is_dir():
        return Path(experiment)
    return experiment_folder(experiment)


def load_results(experiment: str | Path) -> Any:
    """An experiment's trials as ``nni.analysis.ResultColumns``, by id or by folder."""
    from nni.analysis import ResultColumns
    from nni.storage import open_reader

    with open_reader(resolve_folder(experiment)) as reader:
        return ResultColumns.from_store(reader)


def best_trials(experiment: str | Path, top: int = 1) -> list[Any]:
    """The ``top`` best trials (``nni.analysis.BestTrial``: ``parameters``, ``value``, ``trial_job_id``...),
    best first. ``[b.as_json() for b in best]`` is what ``Experiment.import_data`` takes."""
    from nni.analysis import best_trials as best

    return best(load_results(experiment), top)


def compare_experiments(*experiments: str | Path) -> dict[str, Any]:
    """Two or more experiments side by side (``nnictl experiment compare --json``): a summary each, best-so-far
    curves, distributions, shared parameters against the metric, config differences."""
    from nni.analysis import compare

    if len(experiments) < 2:
        raise NNIError(f"compare_experiments needs two or more experiment ids, got {len(experiments)}")
    return compare([load_results(e) for e in experiments])


def trials_dataframe(experiment: str | Path) -> Any:
    """Every trial as a row of a ``pandas.DataFrame``: ``trialJobId``, ``sequenceId``, ``status``, ``value``
    (the default metric; NaN: none), ``endTime``, then a ``param:NAME`` column per (flattened) parameter."""
    try:
        import pandas as pd
    except ImportError:
        raise NNIError("trials_dataframe() needs pandas (pip install pandas); export_data() and "
                       "best_trials() give the same results without it") from None
    results = load_results(experiment)
    data: dict[str, Any] = {
        "trialJobId": results.ids, "sequenceId": results.seq, "status": results.trial_status,
        "value": results.value, "endTime": pd.to_datetime(results.end, unit="s", utc=True),
    }
    for name, column in results.params.items():
        data[f"param:{name}"] = column
    return pd.DataFrame(data)
