"""The experiment as the UI's summary shows it, from the store's profile (``nni.storage.ExperimentProfile``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nni.analysis.results import maximizes
from nni.config import parse_duration
from nni.storage import ExperimentProfile

__all__ = ["experiment_info", "optimize_mode"]


def _seconds(value: Any) -> float | None:
    """A stored duration in seconds; None for no limit or a value that is not a duration."""
    try:
        return None if value is None else parse_duration(value)
    except ValueError:
        return None


def optimize_mode(profile: ExperimentProfile | None) -> str:
    """``"minimize"`` or ``"maximize"``, from the tuner's (or advisor's) ``optimize_mode``."""
    return "maximize" if maximizes(profile.config if profile is not None else None) else "minimize"


def experiment_info(profile: ExperimentProfile | None, folder: Path, now: float, *, brief: bool,
                    live: bool) -> dict[str, Any]:
    """The summary's ``experiment`` object (``config`` and ``searchSpace`` too unless ``brief``)."""
    if profile is None:
        profile = ExperimentProfile(experiment_id="", name="", config={}, search_space={}, limits={},
                                    status="INITIALIZED", start_time=None, end_time=None, error=None,
                                    traceback=None, stats={}, revision=0, updated=0.0)
    config = dict(profile.config or {})
    limits = dict(profile.limits or {})
    service = config.get("trainingService")
    max_trials = limits.get("maxTrialNumber", config.get("maxTrialNumber"))
    error = profile.error
    if profile.traceback and error and profile.traceback not in error:
        error = f"{error}\n\n{profile.traceback}"
    start, end = profile.start_time, profile.end_time
    out: dict[str, Any] = {
        "id": profile.experiment_id,
        "name": profile.name or config.get("experimentName") or "",
        "status": profile.status,
        "error": error or None,
        "startTime": start,
        "endTime": end,
        "elapsed": profile.running_seconds(now, live=live) if start else None,
        "maxDuration": _seconds(limits.get("maxExperimentDuration", config.get("maxExperimentDuration"))),
        "maxTrials": int(max_trials) if isinstance(max_trials, (int, float)) else None,
        "concurrency": int(limits.get("trialConcurrency", config.get("trialConcurrency", 1)) or 1),
        "optimizeMode": optimize_mode(profile),
        "platform": str(service.get("platform", "local") if isinstance(service, dict) else "local"),
        "folder": str(folder),
    }
    if not brief:
        out["config"] = config
        out["searchSpace"] = dict(profile.search_space or {})
    return out
