"""``StoreSource``: the web UI's :class:`WebuiSource` over an experiment's SQLite store (``nni.storage``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nni.config import parse_duration
from nni.rest._webui_model import ExperimentView, MetricPoint, TrialRow, WebuiSource, default_metric

__all__ = ["StoreSource", "experiment_view"]

_CHUNK = 500
def _seconds(value: Any) -> float | None:
    """A stored duration in seconds; None for no limit or a value that is not a duration."""
    try:
        return None if value is None else parse_duration(value)
    except ValueError:
        return None


def _optimize_mode(config: dict[str, Any]) -> str:
    for key in ("tuner", "advisor"):
        algo = config.get(key)
        if isinstance(algo, dict):
            args = algo.get("classArgs") or {}
            mode = args.get("optimize_mode") or args.get("optimizeMode")
            if isinstance(mode, str):
                return "minimize" if mode.lower().startswith("min") else "maximize"
    return "maximize"


def experiment_view(profile: Any, folder: Path) -> ExperimentView:
    """The UI's view of a store profile (``nni.storage.ExperimentProfile``)."""
    config = dict(profile.config or {})
    limits = dict(profile.limits or {})
    service = config.get("trainingService")
    platform = service.get("platform", "local") if isinstance(service, dict) else "local"
    max_trials = limits.get("maxTrialNumber", config.get("maxTrialNumber"))
    error = profile.error
    if profile.traceback and error and profile.traceback not in error:
        error = f"{error}\n\n{profile.traceback}"
    return ExperimentView(
        id=profile.experiment_id,
        name=profile.name or config.get("experimentName") or "",
        status=profile.status,
        start_time=profile.start_time,
        end_time=profile.end_time,
        error=error or None,
        config=config,
        search_space=dict(profile.search_space or {}),
        max_duration=_seconds(limits.get("maxExperimentDuration", config.get("maxExperimentDuration"))),
        max_trials=int(max_trials) if isinstance(max_trials, (int, float)) else None,
        concurrency=int(limits.get("trialConcurrency", config.get("trialConcurrency", 1)) or 1),
        optimize_mode=_optimize_mode(config),
        folder=str(folder),
        platform=str(platform),
    )


class StoreSource(WebuiSource):
    """Reads one experiment through a ``nni.storage.StoreReader`` (thread-safe, shared with REST)."""

    def __init__(self, reader: Any, experiment_dir: str | Path) -> None:
        self._reader = reader
        self._dir = Path(experiment_dir)

    def experiment(self) -> ExperimentView:
        profile = self._reader.profile()
        if profile is None:
            return ExperimentView(id="", name="", status="INITIALIZED", folder=str(self._dir))
        return experiment_view(profile, self._dir)

    def trials_since(self, cursor: Any) -> tuple[list[TrialRow], Any]:
        with self._reader.snapshot():
            revision = self._reader.revision()
            records = self._reader.trials(since_revision=cursor)
            # The latest intermediate result matters for trials without a final metric (running, failed,
            # early stopped); asking only for those keeps a cold read of 10,000 trials from scanning every metric.
            stats = self._intermediate_stats([r.trial_job_id for r in records
                                              if not r.finished or r.final_metric is None])
        rows = []
        for r in records:
            count, latest = stats.get(r.trial_job_id, (None, None))
            rows.append(
                TrialRow(
                    id=r.trial_job_id,
                    seq=r.sequence_id,
                    status=r.status,
                    parameters=r.parameters if isinstance(r.parameters, dict) else {},
                    start=r.start_time,
                    end=r.end_time,
                    final=r.final_metric,
                    intermediate_count=count,
                    latest=latest,
                    source=r.parameter_source,
                    message=r.reason or None,
                )
            )
        return rows, revision

    def _intermediate_stats(self, ids: Sequence[str]) -> dict[str, tuple[int, Any]]:
        """Per trial: number of intermediate results and the latest one (one grouped query per chunk)."""
        query = getattr(self._reader, "_all", None)
        if query is None:  # a reader without SQL access: one query per trial
            out = {}
            for tid in ids:
                history = self._reader.intermediate_history(tid)
                out[tid] = (len(history), history[-1] if history else None)
            return out
        from nni.storage._records import loads

        out: dict[str, tuple[int, Any]] = {}
        base = (
            "SELECT m.trial_job_id, c.n, m.value FROM metrics m JOIN ("
            "SELECT trial_job_id, COUNT(*) AS n, MAX(sequence) AS last FROM metrics "
            "WHERE type = 'PERIODICAL'{where} GROUP BY trial_job_id) c "
            "ON m.trial_job_id = c.trial_job_id AND m.type = 'PERIODICAL' AND m.sequence = c.last"
        )
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            for tid, n, value in query(base.format(where=f" AND trial_job_id IN ({marks})"), chunk):
                out[tid] = (int(n), loads(value))
        return out

    def metrics(self, trial_id: str) -> list[MetricPoint]:
        return [
            MetricPoint(type=m.type, sequence=m.sequence, value=m.value, timestamp=m.timestamp)
            for m in self._reader.metrics(trial_id)
        ]

    def intermediates(self, trial_ids: Sequence[str]) -> dict[str, list[tuple[int, float]]]:
        out: dict[str, list[tuple[int, float]]] = {}
        for tid in trial_ids:
            series = []
            for m in self._reader.metrics(tid, type="PERIODICAL"):
                value = default_metric(m.value)
                if value is not None:
                    series.append((m.sequence, value))
            series.sort()
            out[tid] = series
        return out

    def trial_folder(self, trial_id: str) -> Path | None:
        return self._dir / "trials" / trial_id
