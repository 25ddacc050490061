"""An experiment's trials exported to an MLflow tracking store, one MLflow run per trial.

    nnictl experiment mlflow ID --tracking-uri sqlite:///mlflow.db
    Experiment.export_to_mlflow("sqlite:///mlflow.db")        # or nni.experiment.mlflow.export_to_mlflow(id, ...)

Needs ``pip install nni[mlflow]`` (``mlflow-skinny`` and the SQLAlchemy a database store needs; a server
``http://...`` works too). Each run holds:

- tags ``nni.experiment_id``, ``nni.trial_job_id``, ``nni.sequence_id``, ``nni.status``,
  ``nni.parameter_source``; the run's name is the trial id, its start and end times the trial's;
- params: the trial's parameters, flattened (``optimizer/_name``, ``optimizer/momentum``);
- metrics: ``intermediate`` with one step per intermediate result (its sequence number), ``final`` (the
  default final metric); the other numeric keys of a dict result as ``intermediate.KEY`` / ``final.KEY``;
- the run's status: FINISHED (SUCCEEDED), FAILED, KILLED (cancelled or early stopped), RUNNING (not ended);
- artifacts: the trial's folder (``trial/``: parameter.cfg, stdout, stderr, trial.log, what it wrote there).

The MLflow experiment is named ``nni-<experiment id>`` unless told otherwise; with a ``sqlite:///PATH``
store its artifacts go beside the database (``mlartifacts/`` in PATH's folder), not into the current folder. Exporting again adds the
trials not exported yet and replaces those that had not ended then; ended ones are left as they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nni.errors import NNIError
from nni.status import TrialStatus

__all__ = ["MlflowExport", "RUN_STATUS", "export_to_mlflow"]

RUN_STATUS = {
    TrialStatus.SUCCEEDED: "FINISHED",
    TrialStatus.FAILED: "FAILED",
    TrialStatus.EARLY_STOPPED: "KILLED",
    TrialStatus.USER_CANCELED: "KILLED",
    TrialStatus.SYS_CANCELED: "KILLED",
}
_BATCH = 1000  # MLflow's log_batch takes at most 1000 metrics and 100 params at once
_PARAM_BATCH = 100
_PARAM_LIMIT = 6000


@dataclass
class MlflowExport:
    """What one export did: the MLflow experiment, a run id per trial, and how many were written or kept."""

    tracking_uri: str
    mlflow_experiment_id: str
    mlflow_experiment: str
    runs: dict[str, str] = field(default_factory=dict)  # NNI trial id -> MLflow run id
    written: int = 0
    kept: int = 0


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise NNIError("exporting to MLflow needs mlflow: pip install 'nni[mlflow]' (or mlflow-skinny)") from None
    return MlflowClient(tracking_uri=tracking_uri)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _numbers(value: Any) -> dict[str, float]:
    """A reported metric as MLflow metrics: ``""`` for the default number, each other numeric key by name."""
    if isinstance(value, dict):
        out = {("" if k == "default" else str(k)): v for k, v in value.items()}
    else:
        out = {"": value}
    return {k: float(v) for k, v in out.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def _key(base: str, name: str) -> str:
    return base if not name else f"{base}.{name}"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _artifact_location(tracking_uri: str) -> str | None:
    """Beside the database for a SQLite store; the tracking server's or MLflow's default otherwise."""
    if tracking_uri.startswith("sqlite:///"):
        database = Path(tracking_uri[len("sqlite:///"):])
        return (database.resolve().parent / "mlartifacts").as_uri()
    return None


def _existing_runs(client: Any, experiment_id: str) -> dict[str, Any]:
    """Runs already exported into the MLflow experiment, by NNI trial id."""
    out: dict[str, Any] = {}
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for run in page:
            trial = run.data.tags.get("nni.trial_job_id")
            if trial:
                out[trial] = run
        token = page.token
        if not token:
            return out


def export_to_mlflow(experiment: str | Path, *, tracking_uri: str | None = None, mlflow_experiment: str | None = None,
                     artifacts: bool = True) -> MlflowExport:
    """Export the trials of an NNI experiment (by id or folder; running or stopped) as MLflow runs."""
    from mlflow.entities import Metric, Param, RunTag

    from nni.analysis import flatten_parameters
    from nni.storage import open_reader

    from ._results import resolve_folder

    folder = resolve_folder(experiment)
    client = _client(tracking_uri)
    with open_reader(folder) as reader:
        profile = reader.profile()
        if profile is None:
            raise NNIError(f"{folder}: the store has no experiment profile yet; nothing to export")
        trials = reader.trials()
        intermediate = reader.intermediate_results([t.trial_job_id for t in trials])
    name = mlflow_experiment or f"nni-{profile.experiment_id}"
    found = client.get_experiment_by_name(name)
    if found is not None:
        mlflow_id = found.experiment_id
    else:
        mlflow_id = client.create_experiment(name, artifact_location=_artifact_location(client.tracking_uri),
                                             tags={"nni.experiment_id": profile.experiment_id,
                                                   "nni.experiment_name": profile.name or ""})
    result = MlflowExport(tracking_uri=client.tracking_uri, mlflow_experiment_id=mlflow_id, mlflow_experiment=name)
    existing = _existing_runs(client, mlflow_id)
    for trial in trials:
        old = existing.get(trial.trial_job_id)
        if old is not None:
            if old.data.tags.get("nni.status") in TrialStatus.final():
                result.runs[trial.trial_job_id] = old.info.run_id
                result.kept += 1
                continue
            client.delete_run(old.info.run_id)
        tags = {"nni.experiment_id": profile.experiment_id, "nni.trial_job_id": trial.trial_job_id,
                "nni.sequence_id": str(trial.sequence_id), "nni.status": trial.status,
                "nni.parameter_source": trial.parameter_source}
        start = trial.start_time if trial.start_time is not None else trial.submit_time
        run = client.create_run(mlflow_id, start_time=_ms(start), tags=tags, run_name=trial.trial_job_id)
        run_id = run.info.run_id
        params = [Param(k, ("" if v is None else str(v))[:_PARAM_LIMIT])
                  for k, v in flatten_parameters(trial.parameters).items()]
        metrics = [Metric(_key("intermediate", k), v, int(m.timestamp * 1000), m.sequence)
                   for m in intermediate.get(trial.trial_job_id, []) for k, v in _numbers(m.value).items()]
        if trial.final_metric is not None:
            ended = trial.end_time if trial.end_time is not None else start
            metrics += [Metric(_key("final", k), v, int(ended * 1000), 0) for k, v in _numbers(trial.final_metric).items()]
        for chunk in _chunks(params, _PARAM_BATCH):
            client.log_batch(run_id, params=list(chunk))
        for chunk in _chunks(metrics, _BATCH):
            client.log_batch(run_id, metrics=list(chunk))
        client.log_batch(run_id, tags=[RunTag("mlflow.source.name", f"nni:{profile.experiment_id}")])
        trial_folder = folder / "trials" / trial.trial_job_id
        if artifacts and trial_folder.is_dir() and any(trial_folder.iterdir()):
            client.log_artifacts(run_id, str(trial_folder), "trial")
        status = RUN_STATUS.get(trial.status)
        if status is not None:
            client.set_terminated(run_id, status, end_time=_ms(trial.end_time))
        result.runs[trial.trial_job_id] = run_id
        result.written += 1
    return result
