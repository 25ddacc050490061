"""Several objectives seen from the outside: the Pareto set of an experiment, its feasibility and hypervolume.

The one code path the REST route (``GET /api/v1/nni/pareto-front``), the web UI, ``nnictl experiment pareto``
and ``Experiment.pareto_front()`` call. It reads the stored config's ``objectives`` and ``constraints``
(camelCase, as the store keeps it)::

    objectives:  [{"name": "accuracy", "mode": "maximize"}, {"name": "latency_ms", "mode": "minimize"}]
    constraints: [{"name": "memory_mb", "max": 4000}]          # "max" and/or "min"

and each trial's final result, a dict with those keys. A trial is

- *valid* when every objective is a finite number (else it is listed with the ``problem``, never dropped);
- *feasible* when it is valid and every constraint value lies within its bounds (the ``violation`` is the
  total amount outside them, ``nni.analysis.pareto.constraint_violation``; a missing value is infinitely
  violated and shown as ``None``);
- in the *Pareto set* when it is feasible and no other feasible trial is at least as good in every objective
  and better in one.

Reference point of the hypervolume (unless one is given): for each objective, the worst value among the
feasible trials, moved away from the front by 10% of that objective's feasible range (by 10% of the
value's magnitude, at least 0.1, when every feasible trial has the same value). It follows the results, so a
hypervolume is comparable only against the same reference: every figure of one analysis (the history
included) uses the same one, and callers may pass a fixed ``reference`` to compare experiments.

The history is the hypervolume of the Pareto set of the trials up to each sequence id (trials in sequence
order), at most ``history_points`` points (200 for two objectives, 60 for more; evenly spaced beyond
that, the last trial always included);
``history_points=0`` skips it (one point: the whole experiment). Fronts are merged chunk by chunk, so the
Pareto set of 10,000 trials takes some tens of milliseconds; the history costs one hypervolume per change
of the front (a few hundred milliseconds for 3 objectives and 10,000 trials): ask for it only to draw it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from nni.errors import RequestError
from nni.objectives import Constraint, Objective, Objectives

from .pareto import constraint_violation, hypervolume, non_dominated, to_minimized
from .results import finite_number

__all__ = [
    "Objective",
    "Constraint",
    "ObjectiveSpec",
    "ParetoPoint",
    "ParetoFront",
    "ParetoCache",
    "ResultLike",
    "pareto_front",
    "require_objectives",
    "REFERENCE_RULE",
]

REFERENCE_RULE = ("per objective: the worst feasible value plus 10% of the feasible range "
                  "(10% of its magnitude, at least 0.1, when the range is zero)")
_REFERENCE_MARGIN = 0.1
_HISTORY_POINTS = 200  # two objectives; each point costs a hypervolume, far dearer with three or more:
_HISTORY_POINTS_3D = 60
_MERGE_CHUNK = 64


def _bound(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass(frozen=True)
class ObjectiveSpec(Objectives):
    """An experiment's :class:`nni.objectives.Objectives` as the readers use it: built leniently from the
    stored (camelCase) config, and results inspected without raising (a reader shows a bad result)."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ObjectiveSpec | None:
        """The spec of a config, or None when it declares no ``objectives`` (a single-objective experiment).
        Reading is lenient (the config loader has checked the keys): entries without a name are skipped."""
        if not isinstance(config, Mapping):
            return None
        objectives = tuple(
            Objective(str(o["name"]), "maximize" if str(o.get("mode", "minimize")).lower().startswith("max")
                      else "minimize")
            for o in config.get("objectives") or () if isinstance(o, Mapping) and o.get("name")
        )
        if not objectives:
            return None
        constraints = tuple(
            Constraint(str(c["name"]), _bound(c.get("min")), _bound(c.get("max")))
            for c in config.get("constraints") or () if isinstance(c, Mapping) and c.get("name")
        )
        return cls(objectives, constraints)

    def as_json(self) -> dict[str, Any]:
        return {"objectives": [{"name": o.name, "mode": o.mode} for o in self.objectives],
                "constraints": [c.as_json() for c in self.constraints]}

    def parse_reference(self, text: str | None) -> list[float] | None:
        """``"0.5,120"`` as a reference point, one number per objective (None when not given); anything
        else raises ``RequestError`` (400) saying what is expected."""
        if text is None or not text.strip():
            return None
        try:
            values = [float(v) for v in text.split(",")]
        except ValueError:
            values = []
        if len(values) != len(self.objectives) or not all(math.isfinite(v) for v in values):
            raise RequestError(
                f"reference={text!r}: expected {len(self.objectives)} finite numbers separated by commas, one per "
                f"objective ({', '.join(self.names)}), in the objectives' own units")
        return values

    def inspect(self, final_metric: Any) -> tuple[list[float | None], dict[str, float | None], str | None]:
        """``(objective values, constraint values, problem)`` of a final result; a value that is missing or
        not finite is None and ``problem`` says which (None when every objective is there)."""
        result = final_metric if isinstance(final_metric, Mapping) else {}
        values = [finite_number(result.get(o.name)) for o in self.objectives]
        constraints = {c.name: finite_number(result.get(c.name)) for c in self.constraints}
        problem = None
        if not isinstance(final_metric, Mapping):
            problem = (f"the final result {final_metric!r} is not a dict of the objectives "
                       f"({', '.join(self.names)})")
        else:
            bad = [f"{name}={result[name]!r}" if name in result else f"{name} missing"
                   for name, value in zip(self.names, values, strict=True) if value is None]
            if bad:
                problem = "objective " + ", ".join(bad) + " (a finite number is expected)"
        return values, constraints, problem


def require_objectives(config: Mapping[str, Any] | None, experiment_id: str) -> ObjectiveSpec:
    """The config's spec; ``RequestError`` (404) naming the experiment when it declares no objectives."""
    spec = ObjectiveSpec.from_config(config)
    if spec is None:
        raise RequestError(
            f"experiment {experiment_id} declares no objectives, so it has no Pareto front: its trials report one "
            "number (the trials table, `nnictl trial ls` or GET trial-jobs list them); declare `objectives:` in the "
            "config to tune several", 404)
    return spec


class ResultLike(Protocol):
    """What the analysis reads of a trial (``nni.storage.TrialRecord`` is one)."""

    trial_job_id: str
    sequence_id: int
    status: str
    final_metric: Any


@dataclass(slots=True)
class ParetoPoint:
    """One trial with a final result, as the analysis sees it."""

    trial_job_id: str
    sequence_id: int
    status: str
    values: tuple[float | None, ...]  # in the objectives' order and units (None: missing or not finite)
    constraints: Mapping[str, float | None]
    valid: bool
    feasible: bool
    violation: float | None  # 0 when feasible; None when a constraint value is missing or not finite
    pareto: bool
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"trialJobId": self.trial_job_id, "sequenceId": self.sequence_id, "status": self.status,
                "values": list(self.values), "constraints": dict(self.constraints), "valid": self.valid,
                "feasible": self.feasible, "violation": self.violation, "pareto": self.pareto,
                "problem": self.problem}


@dataclass(frozen=True)
class ParetoFront:
    """The Pareto set of an experiment with everything around it (see the module's docstring)."""

    spec: ObjectiveSpec
    points: tuple[ParetoPoint, ...]  # every trial with a final result, by sequence id
    reference: tuple[float, ...] | None  # in the objectives' units; None until a trial is feasible
    reference_given: bool
    hypervolume: float
    history: tuple[tuple[int, float], ...]  # (sequence id, hypervolume of the trials up to it)
    _by_id: dict[str, ParetoPoint] = field(default_factory=dict, repr=False, compare=False)

    @property
    def pareto_set(self) -> list[ParetoPoint]:
        """The non-dominated feasible trials, best first by the first objective."""
        front = [p for p in self.points if p.pareto]
        sign = -1.0 if self.spec.objectives[0].maximize else 1.0
        return sorted(front, key=lambda p: (sign * (p.values[0] or 0.0), p.sequence_id))

    def counts(self) -> dict[str, int]:
        valid = sum(p.valid for p in self.points)
        feasible = sum(p.feasible for p in self.points)
        return {"results": len(self.points), "valid": valid, "feasible": feasible, "infeasible": valid - feasible,
                "invalid": len(self.points) - valid, "pareto": sum(p.pareto for p in self.points)}

    def labels(self) -> dict[str, str]:
        """Each trial's place: ``pareto``, ``dominated`` (feasible), ``infeasible`` or ``invalid``."""
        return {p.trial_job_id: "pareto" if p.pareto else "dominated" if p.feasible else
                "infeasible" if p.valid else "invalid" for p in self.points}

    def point(self, trial_job_id: str) -> ParetoPoint | None:
        if not self._by_id:
            self._by_id.update((p.trial_job_id, p) for p in self.points)
        return self._by_id.get(trial_job_id)

    def as_json(self, *, every_trial: bool = False) -> dict[str, Any]:
        """The REST shape: the Pareto set (or every trial with a result), reference point, hypervolume and
        its history, counts."""
        shown = self.points if every_trial else self.pareto_set
        return {
            **self.spec.as_json(),
            "reference": None if self.reference is None else list(self.reference),
            "referenceRule": "given by the caller" if self.reference_given else REFERENCE_RULE,
            "hypervolume": self.hypervolume,
            "history": [{"sequenceId": s, "hypervolume": v} for s, v in self.history],
            "counts": self.counts(),
            "paretoSet": [p.trial_job_id for p in self.pareto_set],
            "trials": [p.as_json() for p in shown],
        }


def _reference(minimized: np.ndarray) -> np.ndarray:
    worst, best = minimized.max(axis=0), minimized.min(axis=0)
    span = worst - best
    flat = np.maximum(np.abs(worst), 1.0)
    return worst + _REFERENCE_MARGIN * np.where(span > 0, span, flat)


def _merged_front(sequence: np.ndarray, minimized: np.ndarray, reference: np.ndarray, points: int
                  ) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Merges the points into the front chunk by chunk (a point dominated within a subset is dominated in
    the whole); returns the final front's row indices and, when ``points`` > 0, the hypervolume after each of
    at most ``points`` chunks (else after the last one only). A chunk about the front's size keeps each
    pairwise comparison small."""
    n = len(minimized)
    fixed = max(1, math.ceil(n / points)) if points > 0 else 0
    front = np.zeros(0, dtype=int)
    history: list[tuple[int, float]] = []
    volume = 0.0
    start = 0
    while start < n:
        stop = min(start + (fixed or max(_MERGE_CHUNK, len(front))), n)
        candidates = np.concatenate([front, np.arange(start, stop)])
        kept = candidates[non_dominated(minimized[candidates])]
        changed = not np.array_equal(kept, front)
        front = kept
        if points > 0:
            if changed:
                volume = hypervolume(minimized[front], reference)
            history.append((int(sequence[stop - 1]), volume))
        start = stop
    if points <= 0:
        history.append((int(sequence[-1]), hypervolume(minimized[front], reference)))
    return front, history


def pareto_front(spec: ObjectiveSpec, trials: Iterable[ResultLike], *, reference: Sequence[float] | None = None,
                 history_points: int | None = None) -> ParetoFront:
    """The analysis of the trials that have a final result (others are ignored). ``reference`` is a
    hypervolume reference point in the objectives' own units (maximised ones included, as reported);
    ``history_points``: at most that many points of hypervolume history (default: 200 for two objectives, 60
    for more), 0 for none (faster)."""
    if history_points is None:
        history_points = _HISTORY_POINTS if len(spec.objectives) <= 2 else _HISTORY_POINTS_3D
    if reference is not None and len(reference) != len(spec.objectives):
        raise ValueError(f"the reference point has {len(reference)} values; expected one per objective "
                         f"({', '.join(spec.names)})")
    rows = sorted((t for t in trials if t.final_metric is not None), key=lambda t: (t.sequence_id, t.trial_job_id))
    read = [spec.inspect(t.final_metric) for t in rows]
    valid = np.array([problem is None for _, _, problem in read], dtype=bool)
    k = len(spec.objectives)
    values = np.array([[np.nan if v is None else v for v in vals] for vals, _, _ in read], dtype=float).reshape(-1, k)
    if spec.constraints:
        cvalues = np.array([[np.nan if c[x.name] is None else c[x.name] for x in spec.constraints] for _, c, _ in read],
                           dtype=float).reshape(len(rows), -1)
        violation = constraint_violation(cvalues, [c.min for c in spec.constraints],
                                         [c.max for c in spec.constraints])
    else:
        violation = np.zeros(len(rows))
    feasible = valid & (violation == 0)
    minimized = to_minimized(values, spec.maximize)
    chosen = np.flatnonzero(feasible)
    given = reference is not None
    ref: np.ndarray | None = None
    if given:
        ref = to_minimized(np.asarray(reference, dtype=float).reshape(1, k), spec.maximize)[0]
    elif len(chosen):
        ref = _reference(minimized[chosen])
    on_front = np.zeros(len(rows), dtype=bool)
    history: list[tuple[int, float]] = []
    volume = 0.0
    if len(chosen) and ref is not None:
        sequence = np.array([rows[i].sequence_id for i in chosen])
        front, history = _merged_front(sequence, minimized[chosen], ref, history_points)
        on_front[chosen[front]] = True
        volume = history[-1][1]
    points = tuple(
        ParetoPoint(
            trial_job_id=t.trial_job_id, sequence_id=t.sequence_id, status=str(t.status),
            values=tuple(vals), constraints=cons, valid=bool(valid[i]), feasible=bool(feasible[i]),
            violation=float(violation[i]) if math.isfinite(violation[i]) else None, pareto=bool(on_front[i]),
            problem=problem,
        )
        for i, (t, (vals, cons, problem)) in enumerate(zip(rows, read, strict=True))
    )
    shown_ref = None if ref is None else tuple(float(v) for v in to_minimized(ref.reshape(1, k), spec.maximize)[0])
    return ParetoFront(spec=spec, points=points, reference=shown_ref, reference_given=given,
                       hypervolume=float(volume), history=tuple(history))


class ParetoCache:
    """One experiment's :class:`ParetoFront`, recomputed only when its trials or its config changed.

    ``get(revision, spec, trials)``: ``revision`` is any number that changes when a trial does (the
    store's, or the web UI table's); ``spec`` is the experiment's :class:`ObjectiveSpec` (or its config: the
    spec is read from it; None for no objectives); ``trials`` is called only when a new analysis is needed; ``history``:
    whether the hypervolume history is needed (an analysis with it also answers those without). Thread-safe."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._value: ParetoFront | None = None
        self._with_history = False
        self._lock = threading.Lock()

    def get(self, revision: int, spec: ObjectiveSpec | Mapping[str, Any] | None,
            trials: Callable[[], Iterable[ResultLike]], *, history: bool = True,
            reference: Sequence[float] | None = None) -> ParetoFront | None:
        if not isinstance(spec, ObjectiveSpec):
            spec = ObjectiveSpec.from_config(spec)
        if spec is None:
            return None
        if reference is not None:  # a caller's own reference point is not kept (it would evict the default)
            return pareto_front(spec, trials(), reference=reference, history_points=None if history else 0)
        key = (revision, spec)
        with self._lock:
            if self._key == key and self._value is not None and (self._with_history or not history):
                return self._value
        # computed outside the lock: ``trials`` may take the caller's own locks (no lock-order cycle)
        value = pareto_front(spec, trials(), history_points=None if history else 0)
        with self._lock:
            self._key, self._value, self._with_history = key, value, history
        return value
