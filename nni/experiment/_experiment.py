"""``nni.experiment.Experiment``: run, watch and stop an experiment from Python, as NNI's.

Built on the same launcher as ``nnictl`` (one manager process per experiment) and its REST API."""

from __future__ import annotations

import atexit
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nni._os import require_supported_system
from nni.errors import NNIError
from nni.status import ExperimentStatus, TrialStatus

from ._data import ParetoTrial, TrialJob, TrialMetricData, TrialResult

if TYPE_CHECKING:
    from nni.analysis import BestTrial

__all__ = ["Experiment", "RunMode"]

_log = logging.getLogger("nni.experiment")


class RunMode:
    """NNI's run modes (accepted for compatibility; the manager always runs in its own process)."""

    Background = "background"
    Foreground = "foreground"
    Detach = "detach"


def _new_config(platform: str | list[str]) -> Any:
    from nni.config import ExperimentConfig

    if isinstance(platform, list):
        raise NNIError("Experiment([...]) with several platforms is not supported here; give one platform name")
    return ExperimentConfig.for_platform(platform)


class Experiment:
    """``Experiment('local')`` (a new config, snake_case: ``experiment.config.trial_command = ...``), or
    ``Experiment(config)`` with an ``ExperimentConfig``."""

    def __init__(self, config_or_platform: Any = None, id: str | None = None) -> None:  # noqa: A002 - NNI's name
        if config_or_platform is None or isinstance(config_or_platform, str | list):
            self.config = _new_config(config_or_platform or "local")
        else:
            self.config = config_or_platform
        self.id: str | None = id
        self.port: int | None = None
        self.url: str | None = None
        self._pid: int | None = None
        self._owned = False
        self._client: Any = None
        self._folder: Path | None = None

    # -- starting -------------------------------------------------------------------------------------
    def start(self, port: int = 8080, debug: bool = False, run_mode: str = RunMode.Background) -> None:
        """Start the experiment's manager process and return once its REST API answers."""
        require_supported_system()
        from nni.launcher import create_experiment

        config = self.config
        if hasattr(config, "validate"):
            config.validate()
        launched = create_experiment(config, port=port, debug=debug, experiment_id=self.id)
        self._attach(launched, owned=run_mode != RunMode.Detach)

    def _attach(self, launched: Any, owned: bool) -> None:
        from nni.launcher import RestClient

        self.id, self.port, self.url, self._pid = launched.experiment_id, launched.port, launched.url, launched.pid
        self._folder = Path(launched.experiment_dir)
        self._client = RestClient.from_url(launched.url)
        if owned and not self._owned:
            self._owned = True
            atexit.register(self._stop_at_exit)

    def run(self, port: int = 8080, wait_completion: bool = True, debug: bool = False) -> bool | None:
        """Start, and (by default) wait until the experiment ends: True when DONE, False on ERROR/STOPPED.
        The web UI stays up until :meth:`stop` or the end of this Python process."""
        self.start(port, debug)
        if wait_completion:
            return self._wait_completion()
        return None

    def watch(self, poll: float = 1.0) -> bool:
        """Wait until the experiment ends, showing its progress (in Jupyter: one display in the cell, updated in
        place; elsewhere: a line whenever it changes). True when DONE, False on ERROR/STOPPED."""
        return self._wait_completion(poll, show=True)

    def _wait_completion(self, poll: float = 1.0, show: bool | None = None) -> bool:
        from ._progress import ProgressReader, in_notebook

        notebook = in_notebook()
        show = notebook if show is None else show
        progress = ProgressReader(folder=self._folder, url=self.url) if show and self._folder else None
        display = _display(notebook) if progress else None
        idle = 0  # polls in NO_MORE_TRIAL with nothing running or waiting: nothing is left to finish
        try:
            while True:
                if progress is not None:
                    display(progress.read())
                status = self.get_status()
                if status == ExperimentStatus.DONE:
                    return True
                if status in (ExperimentStatus.ERROR, ExperimentStatus.STOPPED):
                    return False
                if status == ExperimentStatus.NO_MORE_TRIAL:
                    busy = {s["trialJobStatus"] for s in self.get_job_statistics()} & {TrialStatus.RUNNING, TrialStatus.WAITING}
                    idle = 0 if busy else idle + 1
                    if idle >= 3:
                        return True
                time.sleep(poll)
        except KeyboardInterrupt:
            _log.warning("KeyboardInterrupt: stopping experiment %s", self.id)
            self.stop()
            raise
        finally:
            if progress is not None:
                display(progress.read())
                progress.close()

    # -- stopping -------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the experiment (its trials and its manager process)."""
        from nni.launcher import LaunchError, stop_experiment

        if self.id is None:
            raise NNIError("this experiment was never started")
        try:
            stop_experiment(self.id)
        except LaunchError as exc:
            if "is not running" not in str(exc):
                raise
        if self._client is not None:
            self._client.close()
            self._client = None
        self._owned = False

    def _stop_at_exit(self) -> None:
        if self._owned and self.id is not None:
            try:
                self.stop()
            except Exception as exc:  # noqa: BLE001 - best effort at interpreter exit
                _log.warning("could not stop experiment %s at exit: %s", self.id, exc)

    # -- reading --------------------------------------------------------------------------------------
    def _rest(self) -> Any:
        if self._client is None:
            raise NNIError("this Experiment is not connected to a running experiment; start(), connect() or view() it")
        return self._client

    def get_status(self) -> str:
        return self._rest().check_status()["status"]

    def get_experiment_profile(self) -> dict[str, Any]:
        return self._rest().profile()

    def get_experiment_metadata(self, exp_id: str) -> dict[str, Any]:
        return next((e for e in _experiments() if e["id"] == exp_id), {})

    def list_trial_jobs(self) -> list[TrialJob]:
        return [TrialJob.from_rest(r) for r in self._rest().trial_jobs()]

    def get_trial_job(self, trial_job_id: str) -> TrialJob:
        return TrialJob.from_rest(self._rest().trial_job(trial_job_id))

    def get_job_statistics(self) -> list[dict[str, Any]]:
        return self._rest().get("/job-statistics")

    def get_job_metrics(self, trial_job_id: str | None = None) -> dict[str, list[TrialMetricData]]:
        out: dict[str, list[TrialMetricData]] = {}
        for record in self._rest().metric_data(trial_job_id):
            out.setdefault(record["trialJobId"], []).append(TrialMetricData.from_rest(record))
        return out

    def export_data(self) -> list[TrialResult]:
        from nni.rest import decode_export_value

        return [TrialResult(r["parameter"], decode_export_value(r["value"]), r["trialJobId"])
                for r in self._rest().export_data()]

    def pareto_front(self, every_trial: bool = False, reference: list[float] | None = None) -> list[ParetoTrial]:
        """The Pareto set of an experiment with several objectives (config ``objectives``), best first by the
        first objective: the feasible trials no other feasible trial dominates. ``every_trial``: every trial
        with a final result instead, each marked ``pareto``/``feasible``. For the hypervolume, its reference
        point and history, read ``get_pareto_report()`` (GET /pareto-front). Works for a running experiment
        and for a stopped one opened with ``view()``; one objective raises ``NNIError``."""
        report = self.get_pareto_report(every_trial=every_trial, reference=reference)
        names = [o["name"] for o in report["objectives"]]
        return [ParetoTrial.from_rest(t, names) for t in report["trials"]]

    def get_pareto_report(self, every_trial: bool = False, reference: list[float] | None = None) -> dict[str, Any]:
        """GET /pareto-front as a dict: objectives, constraints, reference point, hypervolume and its
        history, counts, the Pareto set's ids and its trials (every trial with ``every_trial``)."""
        params: dict[str, Any] = {"all": "true"} if every_trial else {}
        if reference is not None:
            params["reference"] = ",".join(str(float(v)) for v in reference)
        return self._rest().get("/pareto-front", **params)

    # -- results (read from the store: also once the experiment has stopped) ---------------------------
    def _results_folder(self) -> Path:
        if self._folder is not None:
            return self._folder
        if self.id is None:
            raise NNIError("this experiment was never started; start() or run() it, or Experiment.view(id)")
        from ._results import experiment_folder

        return experiment_folder(self.id)

    def best_trials(self, top: int = 1) -> list[BestTrial]:
        """The ``top`` best trials by the default final metric, best first (``parameters``, ``value``,
        ``trial_job_id``, ...). ``import_data([b.as_json() for b in best])`` warm-starts another experiment."""
        from ._results import best_trials

        return best_trials(self._results_folder(), top)

    def trials_dataframe(self) -> Any:
        """Every trial as a row of a pandas DataFrame (needs pandas): ids, status, value, a column per parameter."""
        from ._results import trials_dataframe

        return trials_dataframe(self._results_folder())

    def export_to_mlflow(self, tracking_uri: str | None = None, mlflow_experiment: str | None = None) -> Any:
        """Every trial as an MLflow run (parameters, intermediate results as steps, final result, status, files
        as artifacts) in ``tracking_uri`` (MLflow's default when None); needs ``pip install nni[mlflow]``."""
        from .mlflow import export_to_mlflow

        return export_to_mlflow(self._results_folder(), tracking_uri=tracking_uri, mlflow_experiment=mlflow_experiment)

    # -- changing -------------------------------------------------------------------------------------
    def add_customized_trial(self, parameters: dict[str, Any]) -> str:
        """Run a trial with these parameters (as the web UI's customized trial); returns its id."""
        return self._rest().request("POST", "/trial-jobs", json={"hyperParameters": parameters})["trialJobId"]

    def update_trial_concurrency(self, value: int) -> None:
        self._rest().update("TRIAL_CONCURRENCY", "trialConcurrency", value)

    def update_max_trial_number(self, value: int) -> None:
        self._rest().update("MAX_TRIAL_NUM", "maxTrialNumber", value)

    def update_max_experiment_duration(self, value: str | int) -> None:
        self._rest().update("MAX_EXEC_DURATION", "maxExperimentDuration", value)

    def update_search_space(self, value: dict[str, Any]) -> None:
        self._rest().update("SEARCH_SPACE", "searchSpace", value)

    def kill_trial_job(self, trial_job_id: str) -> None:
        self._rest().kill_trial(trial_job_id)

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self._rest().import_data(data)

    # -- other experiments ----------------------------------------------------------------------------
    @classmethod
    def connect(cls, port: int) -> Experiment:
        """An Experiment for the one already running on ``port`` (its config from the server)."""
        from nni.launcher import Launched, RestClient, entry_url, web_url

        entry = next((e for e in _experiments() if e.get("port") == port and e.get("pid")), None)
        url = entry_url(entry or {}) or web_url(port)
        with RestClient.from_url(url) as client:
            profile = client.profile()
        experiment = cls.__new__(cls)
        Experiment.__init__(experiment, _config_from_json(profile.get("params") or {}), id=profile["id"])
        experiment._attach(Launched(profile["id"], Path(profile.get("logDir") or "."), port, url,
                                    (entry or {}).get("pid")), owned=False)
        return experiment

    @classmethod
    def resume(cls, experiment_id: str, port: int = 8080, wait_completion: bool = True, debug: bool = False) -> Experiment:
        """Resume a stopped experiment; waits for it to end unless ``wait_completion=False``."""
        require_supported_system()
        from nni.launcher import resume_experiment

        launched = resume_experiment(experiment_id, port=port, debug=debug)
        experiment = cls.__new__(cls)
        Experiment.__init__(experiment, _stored_config(launched.experiment_dir), id=experiment_id)
        experiment._attach(launched, owned=True)
        if wait_completion:
            experiment._wait_completion()
        return experiment

    @classmethod
    def view(cls, experiment_id: str, port: int = 8080, non_blocking: bool = False,
             experiment_dir: str | None = None) -> Experiment:
        """Serve a stopped experiment read-only. Blocking (the default) until Ctrl-C, as NNI's."""
        require_supported_system()
        from nni.launcher import view_experiment

        launched = view_experiment(experiment_id, port=port, experiment_dir=experiment_dir)
        experiment = cls.__new__(cls)
        Experiment.__init__(experiment, _stored_config(launched.experiment_dir), id=experiment_id)
        experiment._attach(launched, owned=True)
        if not non_blocking:
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                experiment.stop()
        return experiment

    def __enter__(self) -> Experiment:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned:
            self.stop()


def _display(notebook: bool) -> Any:
    """Where progress goes: the cell's display in Jupyter, else a log line whenever it changes."""
    if notebook:
        from ._progress import NotebookDisplay

        return NotebookDisplay().update
    last: list[str] = []

    def log(progress: Any) -> None:
        text = repr(progress).rsplit(" · ", 1)[0] if progress.elapsed is not None else repr(progress)
        if not last or last[-1] != text:
            last[:] = [text]
            print(text, flush=True)
    return log


def _experiments() -> list[dict[str, Any]]:
    from nni.launcher import list_experiments

    return list_experiments()


def _config_from_json(data: dict[str, Any]) -> Any:
    try:
        from nni.config import ExperimentConfig
    except ImportError:
        return data
    try:
        return ExperimentConfig.from_json(data)
    except Exception:  # noqa: BLE001 - a redacted/old config still gives a usable dict
        return data


def _stored_config(folder: Path) -> Any:
    from nni.storage import StoreReader

    with StoreReader(folder) as reader:
        profile = reader.profile()
    return _config_from_json(profile.config if profile else {})
