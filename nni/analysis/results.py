"""An experiment's results as columns, and the answers read from them: the best trials, the best value so
far (against trial number and against time), and the empirical distribution of the final metric.

The one code path of the web UI, ``nnictl experiment best`` / ``compare``, and the Python API
(``Experiment.best_trials()``, ``nni.experiment.compare``). The metric is the *default* one: the final
result itself, or its ``"default"`` key (as NNI reads it); a missing or non-finite one counts as no result.
The direction is the tuner's (or advisor's) ``optimize_mode`` (maximize when none says otherwise).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = [
    "BestTrial",
    "ResultColumns",
    "TrialLike",
    "best_first",
    "best_so_far",
    "best_trials",
    "default_metric",
    "distribution",
    "finite_number",
    "flatten_parameters",
    "maximizes",
]


def default_metric(value: Any) -> float | None:
    """The number a metric stands for: itself, or its ``"default"`` key (None when there is none)."""
    if isinstance(value, dict):
        value = value.get("default")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, not a number, a bool, NaN or infinite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def flatten_parameters(parameters: Any, prefix: str = "") -> dict[str, Any]:
    """Nested trial parameters as ``{"a/b": value}``; lists and other non-scalars become JSON text.

    A nested choice ``{"optimizer": {"_name": "sgd", "momentum": 0.9}}`` gives ``optimizer/_name`` and
    ``optimizer/momentum``; a trial on another branch has no ``optimizer/momentum`` (inactive)."""
    flat: dict[str, Any] = {}
    if not isinstance(parameters, dict):
        return flat
    for name, value in parameters.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten_parameters(value, key + "/"))
        elif value is None or isinstance(value, (bool, int, float, str)):
            flat[key] = value
        else:
            flat[key] = json.dumps(value)
    return flat


def maximizes(config: Mapping[str, Any] | None) -> bool:
    """Whether the experiment maximizes its metric: the tuner's (or advisor's) ``optimize_mode``."""
    for key in ("tuner", "advisor"):
        algo = (config or {}).get(key)
        if isinstance(algo, Mapping):
            args = algo.get("classArgs") or {}
            mode = args.get("optimize_mode") or args.get("optimizeMode")
            if isinstance(mode, str):
                return not mode.lower().startswith("min")
    return True


class TrialLike(Protocol):
    """What the results read of a trial (``nni.storage.TrialRecord`` is one)."""

    trial_job_id: str
    sequence_id: int
    status: str
    parameters: Any
    final_metric: Any
    end_time: float | None


@dataclass(frozen=True)
class ResultColumns:
    """One experiment's trials as columns, in sequence order.

    ``value`` is the default final metric (NaN: none); ``end`` the trial's end time in epoch seconds (NaN:
    not ended); ``params`` the flattened parameters (``None`` where a conditional parameter is inactive)."""

    experiment_id: str
    name: str
    status: str
    maximize: bool
    start_time: float | None
    config: dict[str, Any]
    search_space: dict[str, Any]
    ids: list[str]
    seq: np.ndarray
    trial_status: list[str]
    value: np.ndarray
    end: np.ndarray
    parameters: list[dict[str, Any]]
    final_metrics: list[Any]
    params: dict[str, list[Any]] = field(default_factory=dict)
    _active: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_trials(cls, trials: Iterable[TrialLike], *, experiment_id: str = "", name: str = "",
                    status: str = "", config: Mapping[str, Any] | None = None,
                    search_space: Mapping[str, Any] | None = None, start_time: float | None = None,
                    flats: Sequence[dict[str, Any]] | None = None) -> ResultColumns:
        """``flats``: each trial's flattened parameters when the caller has them already (trials then come
        in sequence order)."""
        rows = list(trials) if flats is not None else sorted(trials, key=lambda t: (t.sequence_id, t.trial_job_id))
        if flats is None:
            flats = [flatten_parameters(t.parameters) for t in rows]
        names: dict[str, None] = {}
        for flat in flats:
            names.update(dict.fromkeys(flat))
        values = np.array([_finite(default_metric(t.final_metric)) for t in rows], dtype=float)
        config = dict(config or {})
        return cls(
            experiment_id=experiment_id, name=name or str(config.get("experimentName") or ""), status=status,
            maximize=maximizes(config), start_time=start_time, config=config,
            search_space=dict(search_space if search_space is not None else config.get("searchSpace") or {}),
            ids=[t.trial_job_id for t in rows],
            seq=np.array([t.sequence_id for t in rows], dtype=np.int64),
            trial_status=[str(t.status) for t in rows],
            value=values,
            end=np.array([np.nan if t.end_time is None else float(t.end_time) for t in rows], dtype=float),
            parameters=[t.parameters if isinstance(t.parameters, dict) else {} for t in rows],
            final_metrics=[t.final_metric for t in rows],
            params={n: [flat.get(n) for flat in flats] for n in names},
        )

    @classmethod
    def from_store(cls, reader: Any) -> ResultColumns:
        """From a ``nni.storage.StoreReader`` (a running experiment's or a stopped one's)."""
        profile = reader.profile()
        if profile is None:
            return cls.from_trials(reader.trials())
        return cls.from_trials(reader.trials(), experiment_id=profile.experiment_id, name=profile.name or "",
                               status=profile.status, config=profile.config, search_space=profile.search_space,
                               start_time=profile.start_time)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def mode(self) -> str:
        return "maximize" if self.maximize else "minimize"

    def active(self, name: str) -> np.ndarray:
        """Per trial, whether it has parameter ``name`` (False where a conditional one is inactive)."""
        mask = self._active.get(name)
        if mask is None:
            mask = np.fromiter((v is not None for v in self.params[name]), dtype=bool, count=len(self.ids))
            self._active[name] = mask
        return mask

    @property
    def with_result(self) -> np.ndarray:
        """Positions of the trials with a final metric."""
        return np.flatnonzero(~np.isnan(self.value))

    def order_best_first(self, positions: np.ndarray | None = None) -> np.ndarray:
        """Positions (default: every trial with a result) best first; ties by sequence."""
        return best_first(self.value, self.with_result if positions is None else positions, maximize=self.maximize)

    def best_so_far(self) -> dict[str, Any]:
        """:func:`best_so_far` of these trials."""
        return best_so_far(self.seq, self.value, self.end, maximize=self.maximize, start_time=self.start_time)


def best_first(value: np.ndarray, positions: np.ndarray, *, maximize: bool) -> np.ndarray:
    """``positions`` (in sequence order) best first by ``value``; ties keep sequence order; NaN last."""
    positions = np.asarray(positions, dtype=np.int64)
    key = value[positions]
    key = np.where(np.isnan(key), np.inf, -key if maximize else key)
    return positions[np.argsort(key, kind="stable")]


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else math.nan


@dataclass(frozen=True)
class BestTrial:
    """One of the best trials: what a customized trial or ``import-data`` needs to run it again."""

    rank: int
    trial_job_id: str
    sequence_id: int
    status: str
    value: float
    parameters: dict[str, Any]
    final_metric: Any

    def as_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "trialJobId": self.trial_job_id, "sequenceId": self.sequence_id,
                "status": self.status, "value": self.value, "parameter": self.parameters,
                "finalMetric": self.final_metric}


def best_trials(results: ResultColumns, top: int = 1) -> list[BestTrial]:
    """The ``top`` trials with the best default final metric, best first (ties: the earlier trial)."""
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    order = results.order_best_first()[:top]
    return [BestTrial(rank=k + 1, trial_job_id=results.ids[i], sequence_id=int(results.seq[i]),
                      status=results.trial_status[i], value=float(results.value[i]),
                      parameters=results.parameters[i], final_metric=results.final_metrics[i])
            for k, i in enumerate(order)]


def _running_best(values: np.ndarray, maximize: bool) -> np.ndarray:
    return np.maximum.accumulate(values) if maximize else np.minimum.accumulate(values)


def best_so_far(seq: Sequence[int] | np.ndarray, value: Sequence[float | None] | np.ndarray,
                end: Sequence[float | None] | np.ndarray | None = None, *, maximize: bool = True,
                start_time: float | None = None) -> dict[str, Any]:
    """The best value so far, as step curves: against the trial's sequence number (trials given in sequence
    order), and against the time since the experiment started (``end``: each trial's end time in epoch seconds;
    trials in the order they ended). Only the points where the best changes are kept (plus the last trial), so
    the curves stay small at any size. A None or NaN value is no result."""
    values = np.array([np.nan if v is None else v for v in value], dtype=float)
    have = np.flatnonzero(np.isfinite(values))
    out: dict[str, Any] = {"bySeq": {"seq": [], "best": []}, "byTime": {"seconds": [], "best": []}}
    if not len(have):
        return out
    seq = np.asarray(seq, dtype=np.int64)[have]
    best = _running_best(values[have], maximize)
    keep = _changes(best)
    out["bySeq"] = {"seq": seq[keep].tolist(), "best": best[keep].tolist()}
    if end is None:
        return out
    ends = np.array([np.nan if e is None else e for e in end], dtype=float)
    ended = have[~np.isnan(ends[have])]
    if len(ended):
        order = ended[np.argsort(ends[ended], kind="stable")]
        start = start_time if start_time is not None else float(np.nanmin(ends))
        seconds = np.maximum(ends[order] - start, 0.0)
        best_t = _running_best(values[order], maximize)
        keep_t = _changes(best_t)
        out["byTime"] = {"seconds": np.round(seconds[keep_t], 3).tolist(), "best": best_t[keep_t].tolist()}
    return out


def _changes(curve: np.ndarray) -> np.ndarray:
    """Positions where a running best changes, the first and the last."""
    if len(curve) == 0:
        return np.zeros(0, dtype=np.int64)
    changed = np.flatnonzero(np.diff(curve) != 0) + 1
    return np.unique(np.concatenate([[0], changed, [len(curve) - 1]]))


def distribution(values: Sequence[float] | np.ndarray, *, bins: int = 30, points: int = 200) -> dict[str, Any]:
    """The empirical distribution of finite values: summary statistics, a histogram, and the empirical CDF
    (at most ``points`` points: evenly spaced quantiles, the minimum and maximum included)."""
    v = np.asarray(values, dtype=float)
    v = np.sort(v[np.isfinite(v)])
    n = len(v)
    if n == 0:
        return {"count": 0, "histogram": {"edges": [], "counts": []}, "ecdf": {"value": [], "fraction": []}}
    counts, edges = np.histogram(v, bins=min(bins, max(1, len(np.unique(v)))))
    if n <= points:
        at = np.arange(n)
    else:
        at = np.unique(np.round(np.linspace(0, n - 1, points)).astype(np.int64))
    return {
        "count": n,
        "min": float(v[0]), "q25": float(np.quantile(v, 0.25)), "median": float(np.median(v)),
        "q75": float(np.quantile(v, 0.75)), "max": float(v[-1]), "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if n > 1 else 0.0,
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
        "ecdf": {"value": v[at].tolist(), "fraction": ((at + 1) / n).tolist()},
    }
