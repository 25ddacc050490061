"""Common machinery of the model-based tuners (GP, SMAC, Metis, DNGO).

The base class keeps the search space, the history of finished configurations and the pending ones,
and turns a subclass's ranked candidates into one new, never-suggested configuration:

- the first ``cold_start_num`` suggestions come from a Latin hypercube design (a uniform draw in the
  unit cube follows each parameter's prior, see :mod:`nni.algorithms.hpo._encoding`);
- afterwards :meth:`ModelBasedTuner._propose` gets the unit-cube vectors and losses of finished trials
  (always minimised: a maximised metric is negated) and of the pending ones, and returns candidate
  vectors best first; the first one not suggested before wins;
- a finite space ends with ``NoMoreTrialError`` once every configuration was suggested;
- with several objectives or constraints (``set_objectives``; subclasses that declare
  ``supports_multiple_objectives``) every finished trial keeps its outcome, and the losses ``_propose``
  gets are ParEGO's scalarisation of them with weights drawn anew for each suggestion (infeasible trials
  above every feasible one), so successive suggestions aim at different parts of the Pareto front.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from nni import search_space
from nni.errors import NNIError, NoMoreTrialError, SearchSpaceError
from nni.search_space import ParameterSpec
from nni.tuner import Tuner
from nni.utils import OptimizeMode, extract_scalar_reward

from .._encoding import UnitCubeEncoding
from .._multiobjective import Outcome, OutcomeTracking, chebyshev_losses, measure, random_weights

__all__ = ["ModelBasedTuner", "parse_optimize_mode", "count_configurations", "single_threaded_blas", "warp_losses"]

_logger = logging.getLogger(__name__)

Key = tuple[Any, ...]
_ENUMERATE_LIMIT = 20000


_CONTROLLER: Any = None


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run numpy's BLAS on one thread (if threadpoolctl is installed): the matrices here are small, and
    OpenBLAS's thread hand-offs cost more than they save, badly so on a busy machine."""
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER = False
        else:
            _CONTROLLER = ThreadpoolController()
    if _CONTROLLER is False:
        yield
        return
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


def parse_optimize_mode(mode: str | OptimizeMode) -> OptimizeMode:
    """``'maximize'``/``'minimize'`` (or the enum) -> ``OptimizeMode``, with a clear error otherwise."""
    if isinstance(mode, OptimizeMode):
        return mode
    try:
        return OptimizeMode(str(mode).lower())
    except ValueError:
        raise ValueError(f"optimize_mode must be 'maximize' or 'minimize', got {mode!r}") from None


def count_configurations(specs: Sequence[ParameterSpec], limit: int = 10**12) -> int | None:
    """Number of distinct configurations of a space, or None when it is infinite (or above ``limit``)."""
    children: dict[Key, list[ParameterSpec]] = {}
    for spec in specs:
        children.setdefault(spec.key[:-1], []).append(spec)

    def level(prefix: Key) -> int | None:
        total = 1
        for spec in children.get(prefix, []):
            if spec.categorical:
                count = 0
                for index in range(spec.size):
                    sub = level((*spec.key, index))
                    if sub is None:
                        return None
                    count += sub
            else:
                count = _numeric_count(spec)
                if count is None:
                    return None
            total *= count
            if total > limit:
                return None
        return total

    return level(())


def _numeric_count(spec: ParameterSpec) -> int | None:
    values = _grid_values(spec)
    return None if values is None else len(values)


def _grid_values(spec: ParameterSpec) -> list[Any] | None:
    """All values of a bounded discrete numeric parameter (randint, quniform, qloguniform), else None."""
    if spec.categorical:
        return None
    return search_space.finite_values(spec, limit=None if spec.type == "randint" else 10**7)


def _enumerate(specs: Sequence[ParameterSpec]) -> Iterator[dict[Key, Any]]:
    """Every configuration of a small finite space (choices, randint, quniform), as flat dicts."""

    def values(spec: ParameterSpec) -> list[Any]:
        return list(range(spec.size)) if spec.categorical else _grid_values(spec) or []

    def walk(index: int, flat: dict[Key, Any]) -> Iterator[dict[Key, Any]]:
        if index == len(specs):
            yield dict(flat)
            return
        spec = specs[index]
        if not spec.is_active(flat):
            yield from walk(index + 1, flat)
            return
        for value in values(spec):
            flat[spec.key] = value
            yield from walk(index + 1, flat)
            del flat[spec.key]

    yield from walk(0, {})


class SpaceTuner(OutcomeTracking, Tuner):
    """What the model-based and the bracket tuners share: the parsed space, losses, imported results.

    Subclasses set ``optimize_mode``, ``_specs`` (parsed space or None) and ``_enc`` (its encoding).
    """

    optimize_mode: OptimizeMode
    _specs: list[ParameterSpec] | None
    _enc: UnitCubeEncoding | None

    def _require_space(self) -> UnitCubeEncoding:
        if self._enc is None:
            raise NNIError(f"{type(self).__name__}: update_search_space() must be called before suggesting or learning")
        return self._enc

    def _loss(self, value: Any) -> float:
        reward = extract_scalar_reward(value)
        return -reward if self.optimize_mode is OptimizeMode.Maximize else reward

    def _flat_or_none(self, params: dict[str, Any]) -> dict[Key, Any] | None:
        """The flat form of a trial's parameters (``TRIAL_BUDGET`` ignored), or None if outside the space."""
        if self._specs is None:
            return None
        clean = {k: v for k, v in params.items() if k != "TRIAL_BUDGET"}
        try:
            flat = search_space.deformat_parameters(clean, self._specs)
        except SearchSpaceError:
            return None
        if not all(search_space.contains(s, flat[s.key]) for s in self._specs if s.key in flat):
            return None
        return flat

    def _imported(self, data: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[Key, Any], float]]:
        """``(parameters, flat, loss)`` of each usable ``import_data`` item; the others are logged and skipped."""
        for item in data:
            params = item.get("parameter") if isinstance(item, dict) else None
            flat = self._flat_or_none(params) if isinstance(params, dict) else None
            if params is None or flat is None:
                _logger.warning("import_data: skipping %r (not a {'parameter', 'value'} item of this space)", item)
                continue
            try:
                loss = self._loss(item.get("value"))
            except (RuntimeError, TypeError):
                _logger.warning("import_data: skipping %r (no numeric value)", item)
                continue
            yield params, flat, loss


class ModelBasedTuner(SpaceTuner):
    """Base of the surrogate-model tuners; subclasses implement :meth:`_propose`."""

    def __init__(self, optimize_mode: str = "maximize", cold_start_num: int = 10, seed: int | None = None) -> None:
        self.optimize_mode = parse_optimize_mode(optimize_mode)
        if not isinstance(cold_start_num, int) or isinstance(cold_start_num, bool) or cold_start_num < 1:
            raise ValueError(f"cold_start_num must be a positive integer, got {cold_start_num!r}")
        self.cold_start_num = cold_start_num
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._specs: list[ParameterSpec] | None = None
        self._enc: UnitCubeEncoding | None = None
        # (parameters, loss, outcome with several objectives), kept across space updates
        self._history: list[tuple[dict[str, Any], float, Outcome | None]] = []
        self._outcomes: list[Outcome] | None = None  # with several objectives: one per row of _X
        self._X = np.zeros((0, 0))
        self._y = np.zeros(0)
        self._pending: dict[int, np.ndarray] = {}
        self._seen: set[Key] = set()
        self._size: int | None = None
        self._design = np.zeros((0, 0))
        self._initial_issued = 0

    # ------------------------------------------------------------------------------------ NNI hooks
    def update_search_space(self, search_space_: dict[str, Any]) -> None:
        specs = search_space.parse(search_space_)
        self._specs = specs
        self._enc = UnitCubeEncoding(specs)
        self._size = count_configurations(specs)
        self._design = latin_hypercube(self.rng, self.cold_start_num, self._enc.dim)
        self._initial_issued = 0
        self._pending.clear()
        self._seen.clear()
        rows, losses, outcomes = [], [], []
        for params, loss, outcome in self._history:
            flat = self._flat_or_none(params)
            if flat is not None:
                self._seen.add(self._enc.key_of(flat))
                rows.append(self._enc.encode(flat))
                losses.append(loss)
                outcomes.append(outcome)
        if self._outcomes is not None:
            self._outcomes = [o for o in outcomes if o is not None]
        self._X = np.array(rows).reshape(len(rows), self._enc.dim)
        self._y = np.array(losses, dtype=float)
        self._on_space_changed()

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        enc = self._require_space()
        if self._size is not None and len(self._seen) >= self._size:
            raise NoMoreTrialError(f"all {self._size} configurations of the search space were suggested")
        flat = None
        if len(self._y) >= self.cold_start_num and len(self._y) >= 2:
            with single_threaded_blas():
                candidates = self._propose(self._X, self._model_losses(), self._pending_matrix())
            flat = self._first_new(candidates)
        if flat is None:
            flat = self._initial_or_random()
        key = enc.key_of(flat)
        self._seen.add(key)
        self._pending[parameter_id] = enc.encode(flat)
        assert self._specs is not None
        return search_space.format_parameters(flat, self._specs)

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        enc = self._require_space()
        outcome = None
        if self._outcomes is not None:
            assert self.objectives is not None
            outcome = measure(self.objectives, value, kwargs)
            if outcome is None:
                self._pending.pop(parameter_id, None)
                return
            loss = 0.0
        else:
            loss = self._loss(value)
        x = self._pending.pop(parameter_id, None)
        if x is None:
            flat = self._flat_or_none(parameters)
            if flat is None:
                _logger.warning("ignoring result of parameters %r: they do not fit the search space", parameters)
                return
            x = enc.encode(flat)
            self._seen.add(enc.key_of(flat))
        self._history.append((dict(parameters), loss, outcome))
        if not math.isfinite(loss):
            return
        self._X = np.vstack([self._X, x[None, :]])
        self._y = np.append(self._y, loss)
        if self._outcomes is not None and outcome is not None:
            self._outcomes.append(outcome)

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        self._pending.pop(parameter_id, None)

    def import_data(self, data: list[dict[str, Any]]) -> None:
        enc = self._require_space()
        if self._outcomes is not None:
            assert self.objectives is not None
            for item in data:
                params = item.get("parameter") if isinstance(item, dict) else None
                flat = self._flat_or_none(params) if isinstance(params, dict) else None
                outcome = measure(self.objectives, item.get("value"), {}) if flat is not None else None
                if params is None or flat is None or outcome is None:
                    _logger.warning("import_data: skipping %r (not a {'parameter', 'value'} item of this space "
                                    "and these objectives)", item)
                    continue
                self._history.append((dict(params), 0.0, outcome))
                self._seen.add(enc.key_of(flat))
                self._X = np.vstack([self._X, enc.encode(flat)[None, :]])
                self._y = np.append(self._y, 0.0)
                self._outcomes.append(outcome)
            return
        for params, flat, loss in self._imported(data):
            self._history.append((dict(params), loss, None))
            self._seen.add(enc.key_of(flat))
            if math.isfinite(loss):
                self._X = np.vstack([self._X, enc.encode(flat)[None, :]])
                self._y = np.append(self._y, loss)

    # ------------------------------------------------------------------------------- for subclasses
    def _propose(self, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray) -> np.ndarray:
        """Candidate unit-cube vectors, best first, given finished ``(X, y)`` (minimised) and pending rows."""
        raise NotImplementedError

    def _on_space_changed(self) -> None:
        """Reset any model state that depends on the search space."""

    def _model_losses(self) -> np.ndarray:
        """The losses the surrogate models: the trials' own, or with several objectives a scalarisation
        with weights drawn for this suggestion."""
        if self._outcomes is None:
            return self._y
        assert self.objectives is not None
        return chebyshev_losses(self._outcomes, random_weights(self.rng, len(self.objectives.objectives)))

    @property
    def encoding(self) -> UnitCubeEncoding:
        return self._require_space()

    # ------------------------------------------------------------------------------------- helpers
    def _pending_matrix(self) -> np.ndarray:
        enc = self._require_space()
        if not self._pending:
            return np.zeros((0, enc.dim))
        return np.array(list(self._pending.values()))

    def _first_new(self, candidates: np.ndarray) -> dict[Key, Any] | None:
        enc = self._require_space()
        for row in np.atleast_2d(candidates):
            flat = enc.decode(row)
            if enc.key_of(flat) not in self._seen and self._valid(flat):
                return flat
        return None

    def _valid(self, flat: dict[Key, Any]) -> bool:
        """Whether every value lies in its domain (q-rounding can push a log-type value to 0)."""
        assert self._specs is not None
        return all(search_space.contains(s, flat[s.key]) for s in self._specs if s.key in flat)

    def _initial_or_random(self) -> dict[Key, Any]:
        enc = self._require_space()
        for attempt in range(200):
            if self._initial_issued < len(self._design) and attempt < 10:
                u = self._design[self._initial_issued]
                self._initial_issued += 1
                x = u.copy()
                cat = enc.categorical
                x[cat] = np.minimum(np.floor(u[cat] * enc.sizes[cat]), enc.sizes[cat] - 1)
                flat = enc.decode(enc.clean(x[None, :])[0])
            else:
                flat = enc.decode(enc.random(self.rng, 1)[0])
            if enc.key_of(flat) not in self._seen and self._valid(flat):
                return flat
        if self._size is not None and self._size <= _ENUMERATE_LIMIT:
            assert self._specs is not None
            unseen = [f for f in _enumerate(self._specs) if enc.key_of(f) not in self._seen]
            if unseen:
                return unseen[int(self.rng.integers(len(unseen)))]
        if self._size is not None:
            raise NoMoreTrialError("no unsuggested configuration of the search space is left")
        return flat  # an infinite space that keeps repeating itself: allow the duplicate


def latin_hypercube(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """``n`` points in ``[0, 1]^d``, each coordinate hitting every one of ``n`` equal strata once."""
    strata = np.argsort(rng.random((n, d)), axis=0)
    return (strata + rng.random((n, d))) / max(n, 1)


def candidate_pool(
    enc: UnitCubeEncoding, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_random: int, n_local: int
) -> np.ndarray:
    """Random prior draws plus Gaussian/flip perturbations of the best observed vectors (unit cube)."""
    pool = [enc.random(rng, n_random)]
    if n_local and len(y):
        top = X[np.argsort(y)[: max(1, min(5, len(y)))]]
        base = top[rng.integers(len(top), size=n_local)]
        scale = rng.choice([0.01, 0.05, 0.15], size=(n_local, 1))
        local = base + rng.normal(0.0, 1.0, size=base.shape) * scale
        local = np.where(np.isfinite(base), np.clip(local, 0.0, 1.0), base)
        cat = np.flatnonzero(enc.categorical)
        if len(cat):
            flip = rng.random((n_local, len(cat))) < 0.15
            draws = np.floor(rng.random((n_local, len(cat))) * enc.sizes[cat])
            local[:, cat] = np.where(flip, draws, base[:, cat])
            local = _fill_activated(enc, local, rng)
        pool.append(enc.snap(enc.clean(local)))
    return np.vstack(pool)


def _fill_activated(enc: UnitCubeEncoding, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Give random values to coordinates a flipped choice activated (they were NaN)."""
    if not enc.conditional:
        return X
    cat = enc.categorical
    for _ in range(enc.dim):
        missing = enc.active_mask(np.nan_to_num(X, nan=-1.0)) & ~np.isfinite(X)
        if not missing.any():
            break
        fresh = rng.random(X.shape)
        fresh[:, cat] = np.floor(fresh[:, cat] * enc.sizes[cat])
        X = np.where(missing, fresh, X)
    return X


def warp_losses(y: np.ndarray) -> np.ndarray:
    """A monotone squashing of the losses: the best stays resolved, a heavy upper tail is compressed.

    ``log1p((y - min) / (median - min))``: the median maps to log 2 and a loss a thousand times further
    from the best than the median to about 7, so a few huge losses (Rosenbrock-like objectives) no longer
    flatten the model everywhere else.
    """
    if len(y) < 3:
        return y
    low = float(np.min(y))
    scale = float(np.median(y)) - low
    if not scale > 0:
        return y
    return np.log1p((y - low) / scale)
