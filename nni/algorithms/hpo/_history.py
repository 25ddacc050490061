"""Bookkeeping shared by the sequential model-based tuners (TPE, Anneal, Evolution).

``HistoryTuner`` turns NNI's tuner calls into a clean history in unit-cube form: finished observations
(``X``, losses, lower is better), pending configurations (suggested, no result yet) and the identity
of every configuration ever suggested, so that subclasses only implement :meth:`_propose` (candidate
vectors, best first) and never hand out a duplicate while a different configuration is available.

With several objectives or constraints (``set_objectives``; only subclasses that declare
``supports_multiple_objectives``), each observation keeps its outcome (minimised objective vector and
constraint violation) and the losses :meth:`HistoryTuner.history` hands out are positions in the Pareto
order (see ``_multiobjective.pareto_scores``): the subclass's single-objective ranking then selects by
non-dominated front, spread within a front, and infeasible observations last.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nni import search_space as ss
from nni.errors import NoMoreTrialError, SearchSpaceError
from nni.tuner import Tuner
from nni.utils import OptimizeMode, extract_scalar_reward

from ._encoding import UnitCubeEncoding
from ._multiobjective import Outcome, OutcomeTracking, measure, pareto_scores

__all__ = ["HistoryTuner", "parse_optimize_mode", "finite_space_size"]

_logger = logging.getLogger(__name__)

_RANDOM_RETRIES = 64


def parse_optimize_mode(value: Any) -> OptimizeMode:
    """``"minimize"``/``"maximize"`` (or the enum) to ``OptimizeMode``, with a clear error otherwise."""
    if isinstance(value, OptimizeMode):
        return value
    text = str(value).lower()
    for mode in OptimizeMode:
        if mode.value == text:
            return mode
    raise ValueError(f"optimize_mode must be 'minimize' or 'maximize', got {value!r}")


class HistoryTuner(OutcomeTracking, Tuner):
    """Base of tuners that propose unit-cube vectors from the finished and pending history."""

    def __init__(self, optimize_mode: str | OptimizeMode = "minimize", seed: int | None = None) -> None:
        self.optimize_mode = parse_optimize_mode(optimize_mode)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.space: dict[str, Any] | None = None
        self.specs: list[ss.ParameterSpec] = []
        self.enc = UnitCubeEncoding([])
        self._finite_size = math.inf
        self._X: list[np.ndarray] = []  # finished observations, chronological
        self._losses: list[float] = []
        self._pending: dict[int, np.ndarray] = {}
        self._suggested: dict[int, tuple[np.ndarray, tuple[Any, ...]]] = {}
        self._seen: set[tuple[Any, ...]] = set()
        self._cache: tuple[np.ndarray, np.ndarray] | None = None
        self._outcomes: list[Outcome] | None = None  # with several objectives: one per row of _X

    # ------------------------------------------------------------------------------------ NNI hooks
    def update_search_space(self, search_space: Mapping[str, Any]) -> None:
        specs = ss.parse(dict(search_space))
        old_specs, old_X = self.specs, self._X
        self.space = dict(search_space)
        self.specs = specs
        self.enc = UnitCubeEncoding(specs)
        self._finite_size = finite_space_size(specs)
        if old_X and old_specs != specs:
            # Keep earlier results that still fit the new space (NNI's `nnictl update searchspace`).
            old_enc = UnitCubeEncoding(old_specs)
            kept_X, kept_losses, kept_outcomes = [], [], []
            for index, (x, loss) in enumerate(zip(old_X, self._losses, strict=False)):
                try:
                    params = ss.format_parameters(old_enc.decode(x), old_specs)
                    flat = ss.deformat_parameters(params, specs)
                except SearchSpaceError:
                    continue
                if all(ss.contains(s, flat[s.key]) for s in specs if s.key in flat):
                    kept_X.append(self.enc.encode(flat))
                    kept_losses.append(loss)
                    if self._outcomes is not None:
                        kept_outcomes.append(self._outcomes[index])
            self._X, self._losses = kept_X, kept_losses
            if self._outcomes is not None:
                self._outcomes = kept_outcomes
            self._cache = None
            self._pending.clear()
            self._seen = {self.enc.key_of(self.enc.decode(x)) for x in self._X}
        self._on_space_changed()

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if self.space is None:
            raise RuntimeError(
                f"{type(self).__name__}.generate_parameters() called before update_search_space(); "
                "give the tuner a search space first"
            )
        if not self.specs:
            return {}
        if len(self._seen) >= self._finite_size:
            raise NoMoreTrialError(f"all {int(self._finite_size)} configurations of the search space were tried")
        vec, flat = self._choose(self._propose())
        key = self.enc.key_of(flat)
        self._seen.add(key)
        self._pending[parameter_id] = vec
        self._suggested[parameter_id] = (vec, key)
        return ss.format_parameters(flat, self.specs)

    def receive_trial_result(self, parameter_id: int, parameters: Mapping[str, Any], value: Any, **kwargs: Any) -> None:
        if self._outcomes is not None:
            self._receive_outcome(parameter_id, parameters, value, kwargs)
            return
        reward = extract_scalar_reward(value)
        if not math.isfinite(reward):
            _logger.warning("ignoring non-finite result %r of parameter %s", value, parameter_id)
            self._pending.pop(parameter_id, None)
            return
        loss = -reward if self.optimize_mode is OptimizeMode.Maximize else reward
        vec = self._pending.pop(parameter_id, None)
        if vec is None:
            vec = self._vector_of(parameters)
            if vec is None:
                return
        self._record(vec, loss)

    def _receive_outcome(self, parameter_id: int, parameters: Mapping[str, Any], value: Any,
                         kwargs: Mapping[str, Any]) -> None:
        assert self.objectives is not None
        outcome = measure(self.objectives, value, kwargs)
        vec = self._pending.pop(parameter_id, None)
        if outcome is None:
            return
        if vec is None:
            vec = self._vector_of(parameters)
            if vec is None:
                return
        self._record(vec, 0.0, outcome)

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        # A failed or cancelled trial gives no result: it is no longer pending, but stays "seen".
        self._pending.pop(parameter_id, None)

    def import_data(self, data: list[dict[str, Any]]) -> None:
        imported = 0
        for record in data:
            params = record.get("parameter")
            if params is None or "value" not in record:
                continue
            if self._outcomes is not None:
                assert self.objectives is not None
                outcome = measure(self.objectives, record["value"], {})
                vec = self._vector_of(params)
                if outcome is not None and vec is not None:
                    self._record(vec, 0.0, outcome)
                    imported += 1
                continue
            try:
                reward = extract_scalar_reward(record["value"])
            except RuntimeError:
                continue
            vec = self._vector_of(params)
            if vec is None or not math.isfinite(reward):
                continue
            self._record(vec, -reward if self.optimize_mode is OptimizeMode.Maximize else reward)
            imported += 1
        _logger.info("imported %d of %d records", imported, len(data))

    # ---------------------------------------------------------------------------------- for subclasses
    @property
    def n_finished(self) -> int:
        return len(self._losses)

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """Finished observations ``(X, losses)`` in chronological order (arrays cached between calls)."""
        n = len(self._losses)
        if self._cache is None or len(self._cache[1]) != n:
            if self._cache is not None and 0 < len(self._cache[1]) < n:
                # append the new rows only (the history grows by one result at a time)
                old_X, old_losses = self._cache
                X = np.vstack([old_X, np.array(self._X[len(old_losses):]).reshape(-1, self.enc.dim)])
            else:
                X = np.array(self._X).reshape(-1, self.enc.dim)
            if self._outcomes is not None:
                losses = pareto_scores(self._outcomes, self._pareto_limit())
            else:
                losses = np.array(self._losses, dtype=float)
            self._cache = (X, losses)
        return self._cache

    def _pareto_limit(self) -> int | None:
        """With several objectives: how many of the best observations :meth:`history` must order exactly
        (the others share the worst loss); None orders them all."""
        return None

    def pending(self) -> np.ndarray:
        """Vectors suggested and still running."""
        return np.array(list(self._pending.values())).reshape(-1, self.enc.dim)

    def _propose(self) -> np.ndarray:
        """Candidate vectors ``(m, d)``, best first; the first not yet suggested is used."""
        return self.enc.random(self.rng, 1)

    def _on_space_changed(self) -> None:
        """Hook: the search space (and encoding) changed."""

    def _on_result(self, vec: np.ndarray, loss: float) -> None:
        """Hook: a finished observation was recorded."""

    # ----------------------------------------------------------------------------------------- private
    def _record(self, vec: np.ndarray, loss: float, outcome: Outcome | None = None) -> None:
        self._X.append(vec)
        self._losses.append(float(loss))
        if self._outcomes is not None and outcome is not None:
            self._outcomes.append(outcome)
        self._seen.add(self.enc.key_of(self.enc.decode(vec)))
        self._on_result(vec, float(loss))

    def _vector_of(self, parameters: Mapping[str, Any]) -> np.ndarray | None:
        try:
            flat = ss.deformat_parameters(dict(parameters), self.specs)
        except SearchSpaceError as exc:
            _logger.warning("ignoring a result whose parameters do not fit the search space: %s", exc)
            return None
        return self.enc.encode(flat)

    def _choose(self, candidates: np.ndarray) -> tuple[np.ndarray, dict[Any, Any]]:
        candidates = np.atleast_2d(candidates)
        for vec in candidates:
            flat = self.enc.decode(vec)
            if self.enc.key_of(flat) not in self._seen:
                return self.enc.encode(flat), flat
        for vec in self.enc.random(self.rng, _RANDOM_RETRIES):
            flat = self.enc.decode(vec)
            if self.enc.key_of(flat) not in self._seen:
                return self.enc.encode(flat), flat
        if math.isfinite(self._finite_size):
            flat = self._first_unseen()
            if flat is not None:
                return self.enc.encode(flat), flat
            raise NoMoreTrialError("every configuration of the search space was tried")
        flat = self.enc.decode(candidates[0])
        return self.enc.encode(flat), flat

    def _first_unseen(self) -> dict[Any, Any] | None:
        for flat in enumerate_flat(self.specs):
            if self.enc.key_of(flat) not in self._seen:
                return flat
        return None


def _numeric_values(spec: ss.ParameterSpec, limit: int) -> list[Any] | None:
    """All values of a discrete numeric spec, or None if continuous or more than ``limit``."""
    return None if spec.categorical else ss.finite_values(spec, limit=limit)


def finite_space_size(specs: list[ss.ParameterSpec], limit: int = 100_000) -> float:
    """Number of distinct configurations, or ``inf`` if any active parameter is continuous or huge."""
    if not specs or any(not s.categorical and _numeric_values(s, limit) is None for s in specs):
        return math.inf
    count = 0
    for _ in enumerate_flat(specs, limit=limit + 1):
        count += 1
        if count > limit:
            return math.inf
    return float(count)


def enumerate_flat(specs: list[ss.ParameterSpec], limit: int = 100_000):
    """Every flat configuration of a discrete space, in order (stops silently when continuous)."""
    values: list[list[Any] | None] = []
    for spec in specs:
        values.append(list(range(spec.size)) if spec.categorical else _numeric_values(spec, limit))

    def walk(i: int, flat: dict[Any, Any]):
        if i == len(specs):
            yield dict(flat)
            return
        spec = specs[i]
        if not spec.is_active(flat):
            yield from walk(i + 1, flat)
            return
        options = values[i]
        if options is None:
            raise _Continuous
        for v in options:
            flat[spec.key] = v
            yield from walk(i + 1, flat)
            del flat[spec.key]

    try:
        yield from walk(0, {})
    except _Continuous:
        return


class _Continuous(Exception):
    pass
