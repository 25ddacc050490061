"""The tuner conformance suite: what every tuner (built-in or custom) must do, as pytest tests.

Subclass :class:`TunerConformance` in a test module whose class name starts with ``Test``::

    from nni.testing import TunerConformance
    from nni.algorithms.hpo.tpe_tuner import TpeTuner

    class TestTPE(TunerConformance):
        tuner_class = TpeTuner
        class_args = {"optimize_mode": "maximize", "seed": 0}
        loop_iterations = 30        # model-based tuners are slow: shrink the loops

Class attributes tune the suite to the tuner (see their comments below); a tuner with its own search
space format (e.g. ``BatchTuner``) overrides :meth:`TunerConformance.make_space` and
:meth:`TunerConformance.assert_in_space`.

The suite checks: values inside the space for every ``_type`` (bounds, q grid, log bounds, ``randint``
ints, nested choices at depth 2); the same ``class_args`` (with ``seed``) give the same sequence when
results are fed identically; finite spaces end with ``NoMoreTrialError``; failed trials (no result),
dict metrics, ``customized`` results and NNI's keyword arguments are accepted; ``import_data`` and
``update_search_space`` mid-run work; an optimisation loop with several pending trials at once gives no
exact duplicates among pending configurations of a continuous space.

Several objectives and constraints (``nni.tuner`` documents the API): a tuner that does not declare
``supports_multiple_objectives`` must refuse them in ``set_objectives`` and still take a single declared
objective; one that declares it is driven as the manager drives it (the reported dict plus
``objective_values`` / ``constraint_values``) with pending trials, must stay inside the space, be
reproducible, take ``import_data`` of dict results, and, if it learns from results
(``learns_from_results``), steer towards the feasible region of a constraint.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from nni import search_space as ss
from nni.errors import NNIError, NoMoreTrialError, SearchSpaceError, WaitForResults
from nni.objectives import Objectives

__all__ = ["TunerConformance", "ALL_TYPES_SPACE", "NESTED_SPACE", "FINITE_SPACE", "CONTINUOUS_SPACE",
           "MULTI_OBJECTIVES"]

ALL_TYPES_SPACE: dict[str, Any] = {
    "c": {"_type": "choice", "_value": ["a", "b", 3, 0.5]},
    "ri": {"_type": "randint", "_value": [-3, 4]},
    "u": {"_type": "uniform", "_value": [-1.5, 2.5]},
    "qu": {"_type": "quniform", "_value": [0, 10, 2.5]},
    "qu2": {"_type": "quniform", "_value": [2, 10, 5]},
    "lu": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "qlu": {"_type": "qloguniform", "_value": [1, 100, 5]},
    "n": {"_type": "normal", "_value": [0, 1]},
    "qn": {"_type": "qnormal", "_value": [10, 3, 2]},
    "ln": {"_type": "lognormal", "_value": [0, 0.5]},
    "qln": {"_type": "qlognormal", "_value": [1, 0.5, 1]},
}

NESTED_SPACE: dict[str, Any] = {
    "optimizer": {
        "_type": "choice",
        "_value": [
            {
                "_name": "sgd",
                "lr": {"_type": "loguniform", "_value": [1e-3, 1]},
                "momentum": {
                    "_type": "choice",
                    "_value": [
                        {"_name": "none"},
                        {"_name": "nesterov", "mu": {"_type": "uniform", "_value": [0.5, 0.99]}},
                    ],
                },
            },
            {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.8, 0.999]}},
            {"_name": "plain"},
        ],
    },
    "batch": {"_type": "randint", "_value": [16, 65]},
}

# 3 * 2 * 2 = 12 configurations.
FINITE_SPACE: dict[str, Any] = {
    "act": {"_type": "choice", "_value": ["relu", "tanh", "gelu"]},
    "layers": {"_type": "randint", "_value": [1, 3]},
    "wide": {"_type": "choice", "_value": [True, False]},
}

CONTINUOUS_SPACE: dict[str, Any] = {
    "x": {"_type": "uniform", "_value": [-1, 1]},
    "y": {"_type": "uniform", "_value": [-1, 1]},
    "z": {"_type": "loguniform", "_value": [0.01, 10]},
}

UPDATED_SPACE: dict[str, Any] = {
    "x": {"_type": "uniform", "_value": [5, 6]},
    "k": {"_type": "choice", "_value": ["p", "q"]},
}

_ALL_TYPES = frozenset(ss.SAMPLING_TYPES)

# Two objectives of opposite directions and one constraint that a quarter of CONTINUOUS_SPACE satisfies.
MULTI_OBJECTIVES = Objectives.from_json(
    [{"name": "accuracy", "mode": "maximize"}, {"name": "latency", "mode": "minimize"}],
    [{"name": "memory", "max": -0.5}])
SINGLE_OBJECTIVE = Objectives.from_json([{"name": "accuracy", "mode": "maximize"}])


class TunerConformance:
    """Base class of a tuner's conformance tests (not collected itself: its name has no ``Test``)."""

    # --- what to test ---------------------------------------------------------------------------
    tuner_class: ClassVar[type | None] = None
    class_args: ClassVar[dict[str, Any]] = {}
    # The classArg that seeds the tuner (None: the tuner has none and must be deterministic anyway).
    seed_arg: ClassVar[str | None] = "seed"
    # True: a finite space is enumerated without repeats and then NoMoreTrialError is raised
    # (grid/batch-like tuners). False: the tuner may go on repeating, or end; either is accepted.
    finite_space_ends: ClassVar[bool] = False
    # _types the tuner supports (drop some for tuners documented not to support them).
    supported_types: ClassVar[frozenset[str]] = _ALL_TYPES
    supports_nested: ClassVar[bool] = True
    # Whether the same class_args and the same results give the same sequence of configurations.
    reproducible: ClassVar[bool] = True
    # Whether pending configurations of a continuous space must all differ.
    distinct_pending: ClassVar[bool] = True
    # Whether results steer the tuner (False for random, grid and batch tuners).
    learns_from_results: ClassVar[bool] = True

    # --- how long (model-based tuners shrink these) ---------------------------------------------
    loop_iterations: ClassVar[int] = 60
    sample_count: ClassVar[int] = 40
    pending_count: ClassVar[int] = 4

    # --- hooks ----------------------------------------------------------------------------------
    def make_tuner(self, **overrides: Any) -> Any:
        """A fresh tuner built from ``class_args`` (plus ``overrides``)."""
        if self.tuner_class is None:
            raise TypeError(f"{type(self).__name__} must set tuner_class")
        args = dict(self.class_args)
        args.update(overrides)
        return self.tuner_class(**args)

    def make_space(self, kind: str) -> dict[str, Any] | None:
        """The search space for a test: kind is 'all_types', 'nested', 'finite', 'continuous', 'updated'.

        Return None to skip the tests that need this kind of space.
        """
        if kind == "all_types":
            space = {k: v for k, v in ALL_TYPES_SPACE.items() if v["_type"] in self.supported_types}
            return space or None
        if kind == "nested":
            return NESTED_SPACE if self.supports_nested else None
        if kind == "finite":
            if not {"choice", "randint"} <= self.supported_types:
                return None
            return FINITE_SPACE
        if kind == "continuous":
            if not {"uniform", "loguniform"} <= self.supported_types:
                return None
            return CONTINUOUS_SPACE
        if kind == "updated":
            if not {"uniform", "choice"} <= self.supported_types:
                return None
            return UPDATED_SPACE
        raise ValueError(f"unknown space kind {kind!r}")

    def finite_size(self) -> int:
        """Number of distinct configurations of ``make_space('finite')``."""
        return 12

    def assert_in_space(self, space: dict[str, Any], params: Any) -> None:
        """Fail unless ``params`` is a configuration of ``space`` a trial may receive."""
        _assert_valid_parameters(space, params)

    def objective(self, params: dict[str, Any]) -> float:
        """A simple function of a configuration to feed back (higher is better)."""
        total = 0.0
        for value in _numbers(params):
            total -= (math.tanh(value) - 0.3) ** 2
        return total

    def sample_parameters(self, space: dict[str, Any], count: int, seed: int = 7) -> list[dict[str, Any]]:
        """Configurations of ``space`` drawn at random (for import_data and customized trials)."""
        import numpy as np

        specs = ss.parse(space)
        rng = np.random.default_rng(seed)
        return [ss.format_parameters(ss.sample(specs, rng), specs) for _ in range(count)]

    # --- helpers --------------------------------------------------------------------------------
    def _reward(self, params: dict[str, Any]) -> float:
        value = self.objective(params)
        mode = str(self.class_args.get("optimize_mode", "maximize")).lower()
        return -value if mode == "minimize" else value

    def _new(self, space: dict[str, Any], **overrides: Any) -> Any:
        tuner = self.make_tuner(**overrides)
        tuner.update_search_space(space)
        return tuner

    def _space(self, kind: str) -> dict[str, Any]:
        space = self.make_space(kind)
        if space is None:
            pytest.skip(f"{type(self).__name__}: no {kind!r} search space for this tuner")
        return space

    # --- the tests ------------------------------------------------------------------------------
    def test_values_inside_space_for_every_type(self) -> None:
        space = self._space("all_types")
        tuner = self._new(space)
        configs = _drive(tuner, self.sample_count, self._reward, pending=1)
        assert configs, "the tuner generated no configuration for a non-empty search space"
        for params in configs:
            self.assert_in_space(space, params)

    def test_values_inside_nested_space(self) -> None:
        space = self._space("nested")
        tuner = self._new(space)
        configs = _drive(tuner, self.sample_count, self._reward, pending=1)
        assert configs
        for params in configs:
            self.assert_in_space(space, params)

    def test_reproducible_with_same_class_args(self) -> None:
        if not self.reproducible:
            pytest.skip(f"{type(self).__name__}: not reproducible by design")
        space = self._space("all_types")
        overrides: dict[str, Any] = {}
        if self.seed_arg is not None and self.seed_arg not in self.class_args:
            overrides[self.seed_arg] = 0
        count = max(4, self.loop_iterations // 3)
        runs = []
        for _ in range(2):
            tuner = self._new(space, **overrides)
            runs.append([_canonical(p) for p in _drive(tuner, count, self._reward, pending=2)])
        assert runs[0] == runs[1], (
            f"two tuners built with the same class_args {dict(self.class_args, **overrides)!r} and fed the "
            f"same results diverged at configuration {_first_difference(runs[0], runs[1])}"
        )

    def test_finite_space(self) -> None:
        space = self._space("finite")
        size = self.finite_size()
        tuner = self._new(space)
        limit = size * 3 + 10
        configs = _drive(tuner, limit, self._reward, pending=1)
        for params in configs:
            self.assert_in_space(space, params)
        if not self.finite_space_ends:
            return
        canon = [_canonical(p) for p in configs]
        assert len(configs) < limit, f"no NoMoreTrialError after {limit} configurations of a {size}-point space"
        assert len(set(canon)) == len(canon), f"a configuration was repeated: {_repeats(canon)}"
        assert len(configs) == size, f"expected all {size} configurations before the end, got {len(configs)}"
        with pytest.raises(NoMoreTrialError):
            tuner.generate_parameters(10_000)
        assert tuner.generate_multiple_parameters([10_001, 10_002]) == []

    def test_generate_multiple_shorter_when_space_runs_out(self) -> None:
        if not self.finite_space_ends:
            pytest.skip("only for tuners that end finite spaces")
        space = self._space("finite")
        size = self.finite_size()
        tuner = self._new(space)
        got = tuner.generate_multiple_parameters(list(range(size + 5)), st_callback=lambda *a, **k: None)
        assert len(got) == size
        for params in got:
            self.assert_in_space(space, params)

    def test_survives_failed_trials(self) -> None:
        space = self._space("all_types")
        tuner = self._new(space)
        count = max(6, self.loop_iterations // 3)
        made = 0
        for pid in range(count):
            try:
                params = tuner.generate_parameters(pid, trial_job_id=f"T{pid:04d}")
            except (NoMoreTrialError, WaitForResults):
                break
            made += 1
            self.assert_in_space(space, params)
            if pid % 3 == 0:
                tuner.receive_trial_result(pid, params, self._reward(params), customized=False,
                                           trial_job_id=f"T{pid:04d}")
                tuner.trial_end(pid, True)
            else:
                tuner.trial_end(pid, False)  # failed: no result at all
        assert made > 0

    def test_dict_metrics(self) -> None:
        space = self._space("all_types")
        tuner = self._new(space)

        def reward(params: dict[str, Any]) -> dict[str, Any]:
            return {"default": self._reward(params), "other": 1.5, "note": "text"}

        configs = _drive(tuner, max(6, self.loop_iterations // 3), reward, pending=1)
        assert configs
        for params in configs:
            self.assert_in_space(space, params)

    def test_customized_results_and_nni_kwargs(self) -> None:
        space = self._space("all_types")
        tuner = self._new(space)
        if hasattr(tuner, "_accept_customized_trials"):
            tuner._accept_customized_trials(True)
        user_params = self.sample_parameters(space, 2)
        for offset, params in enumerate(user_params):
            pid = 900 + offset
            tuner.receive_trial_result(pid, params, self._reward(params), customized=True,
                                       trial_job_id=f"Cu{offset:03d}")
            tuner.trial_end(pid, True)
        got = tuner.generate_multiple_parameters([0, 1], st_callback=lambda *a, **k: None)
        assert isinstance(got, list) and len(got) <= 2
        for params in got:
            self.assert_in_space(space, params)

    def test_import_data(self) -> None:
        space = self._space("all_types")
        tuner = self._new(space)
        imported = self.sample_parameters(space, 6)
        data = [{"parameter": p, "value": self._reward(p)} for p in imported[:4]]
        data += [{"parameter": p, "value": {"default": self._reward(p), "other": 2}} for p in imported[4:]]
        tuner.import_data(data)
        configs = _drive(tuner, max(6, self.loop_iterations // 3), self._reward, pending=1)
        assert configs
        for params in configs:
            self.assert_in_space(space, params)

    def test_import_data_skips_imported_in_finite_space(self) -> None:
        if not self.finite_space_ends:
            pytest.skip("only for tuners that end finite spaces")
        space = self._space("finite")
        size = self.finite_size()
        full = _drive(self._new(space), size * 2, self._reward, pending=1)
        imported = full[: size // 3]
        tuner = self._new(space)
        tuner.import_data([{"parameter": p, "value": self._reward(p)} for p in imported])
        rest = _drive(tuner, size * 2, self._reward, pending=1)
        seen = {_canonical(p) for p in imported}
        again = [p for p in rest if _canonical(p) in seen]
        assert not again, f"imported configurations were generated again: {again}"
        assert len(rest) == size - len(imported)

    def test_update_search_space_mid_run(self) -> None:
        first = self._space("all_types")
        second = self._space("updated")
        tuner = self._new(first)
        before = _drive(tuner, max(4, self.loop_iterations // 6), self._reward, pending=1)
        for params in before:
            self.assert_in_space(first, params)
        tuner.update_search_space(second)
        after = _drive(tuner, max(4, self.loop_iterations // 6), self._reward, pending=1, first_id=1000)
        assert after, "no configuration after update_search_space"
        for params in after:
            self.assert_in_space(second, params)

    def test_optimisation_loop(self) -> None:
        space = self._space("continuous")
        tuner = self._new(space)
        configs = _drive(tuner, self.loop_iterations, self._reward, pending=1)
        assert len(configs) == self.loop_iterations, "the tuner stopped early on a continuous space"
        for params in configs:
            self.assert_in_space(space, params)

    def test_pending_trials_at_once(self) -> None:
        space = self._space("continuous")
        tuner = self._new(space)
        # Ask for several ids before feeding any result, one call per id.
        first = [tuner.generate_parameters(pid) for pid in range(self.pending_count)]
        for params in first:
            self.assert_in_space(space, params)
        if self.distinct_pending:
            canon = [_canonical(p) for p in first]
            assert len(set(canon)) == len(canon), f"duplicate pending configurations: {_repeats(canon)}"
        for pid, params in enumerate(first):
            tuner.receive_trial_result(pid, params, self._reward(params), customized=False,
                                       trial_job_id=f"P{pid:04d}")
            tuner.trial_end(pid, True)
        # Then a loop that always keeps pending_count trials in flight.
        pending_seen: list[list[str]] = []
        configs = _drive(tuner, self.loop_iterations, self._reward, pending=self.pending_count,
                         first_id=100, on_pending=lambda batch: pending_seen.append([_canonical(p) for p in batch]))
        assert configs
        for params in configs:
            self.assert_in_space(space, params)
        if self.distinct_pending:
            for batch in pending_seen:
                assert len(set(batch)) == len(batch), f"duplicate pending configurations: {_repeats(batch)}"

    # --- several objectives and constraints -----------------------------------------------------
    def multi_objective_result(self, params: dict[str, Any]) -> dict[str, Any]:
        """What a trial of ``CONTINUOUS_SPACE`` reports against ``MULTI_OBJECTIVES`` (one dict, extra keys)."""
        numbers = [*_numbers(params), 0.0, 0.0, 1.0][:3]  # x, y, z of CONTINUOUS_SPACE (in key order)
        x, y, z = numbers[0], numbers[1], max(abs(numbers[2]), 1e-3)
        return {"accuracy": 1.0 - (x + 0.8) ** 2 - 0.1 * math.log10(z) ** 2, "latency": (y - x) ** 2 + 0.1 * z,
                "memory": x, "note": "ignored"}

    def _multi_tuner(self, **overrides: Any) -> Any:
        tuner = self.make_tuner(**overrides)
        if not getattr(type(tuner), "supports_multiple_objectives", False):
            pytest.skip(f"{type(tuner).__name__} does not declare supports_multiple_objectives")
        tuner.set_objectives(MULTI_OBJECTIVES)
        tuner.update_search_space(self._space("continuous"))
        return tuner

    def test_several_objectives_refused_unless_supported(self) -> None:
        tuner = self.make_tuner()
        if getattr(type(tuner), "supports_multiple_objectives", False):
            pytest.skip(f"{type(tuner).__name__} supports several objectives")
        set_objectives = getattr(tuner, "set_objectives", None)
        assert callable(set_objectives), f"{type(tuner).__name__} has no set_objectives(); subclass nni.tuner.Tuner"
        with pytest.raises(NNIError):
            set_objectives(MULTI_OBJECTIVES)
        fresh = self.make_tuner()
        fresh.set_objectives(SINGLE_OBJECTIVE)  # one objective without constraints: every tuner takes it
        space = self._space("continuous")
        fresh.update_search_space(space)
        configs = _drive(fresh, 6, lambda p: {"accuracy": self.objective(p), "default": self.objective(p)}, pending=1)
        for params in configs:
            self.assert_in_space(space, params)

    def test_several_objectives_loop_with_pending_trials(self) -> None:
        tuner = self._multi_tuner()
        space = self._space("continuous")
        configs = _drive_multi(tuner, self.loop_iterations, self.multi_objective_result, pending=self.pending_count)
        assert configs
        if not self.finite_space_ends:
            assert len(configs) == self.loop_iterations, "the tuner stopped early on a continuous space"
        for params in configs:
            self.assert_in_space(space, params)

    def test_several_objectives_reproducible(self) -> None:
        if not self.reproducible:
            pytest.skip(f"{type(self).__name__}: not reproducible by design")
        overrides: dict[str, Any] = {}
        if self.seed_arg is not None and self.seed_arg not in self.class_args:
            overrides[self.seed_arg] = 0
        count = max(4, self.loop_iterations // 3)
        runs = [[_canonical(p) for p in _drive_multi(self._multi_tuner(**overrides), count,
                                                     self.multi_objective_result, pending=2)] for _ in range(2)]
        assert runs[0] == runs[1], f"same class_args, same results, different runs: {_first_difference(*runs)}"

    def test_several_objectives_import_data(self) -> None:
        tuner = self._multi_tuner()
        space = self._space("continuous")
        imported = self.sample_parameters(space, 8)
        data = [{"parameter": p, "value": self.multi_objective_result(p)} for p in imported]
        data.append({"parameter": imported[0], "value": {"accuracy": 1.0}})  # lacks objectives: skipped
        tuner.import_data(data)
        configs = _drive_multi(tuner, max(6, self.loop_iterations // 3), self.multi_objective_result, pending=1)
        assert configs
        for params in configs:
            self.assert_in_space(space, params)

    def test_several_objectives_steer_to_the_feasible_region(self) -> None:
        """memory = x <= -0.5 holds on a quarter of the space: the tuner's later suggestions must be feasible
        at least 1.5 times as often (infeasible trials rank after feasible ones)."""
        if not self.learns_from_results:
            pytest.skip(f"{type(self).__name__}: results do not steer this tuner")
        tuner = self._multi_tuner()
        configs = _drive_multi(tuner, self.loop_iterations, self.multi_objective_result, pending=1)
        later = configs[len(configs) // 2:]
        share = sum(self.multi_objective_result(p)["memory"] <= -0.5 for p in later) / len(later)
        assert share >= 0.375, f"only {share:.0%} of the later suggestions are feasible (a random tuner: 25%)"


# --- module helpers ------------------------------------------------------------------------------
def _drive_multi(tuner: Any, count: int, result: Callable[[dict[str, Any]], dict[str, Any]], *,
                 pending: int) -> list[dict[str, Any]]:
    """:func:`_drive` with results given as the manager gives them with several objectives."""

    def feed(pid: int, params: dict[str, Any], value: dict[str, Any]) -> None:
        measured = MULTI_OBJECTIVES.read(value)
        tuner.receive_trial_result(pid, params, value, customized=False, trial_job_id=f"M{pid:04d}",
                                   objective_values=measured.objective_values,
                                   constraint_values=measured.constraint_values)

    return _drive(tuner, count, result, pending=pending, feed=feed)


def _drive(
    tuner: Any,
    count: int,
    reward: Callable[[dict[str, Any]], Any],
    *,
    pending: int,
    first_id: int = 0,
    on_pending: Callable[[list[dict[str, Any]]], None] | None = None,
    feed: Callable[[int, dict[str, Any], Any], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the manager's protocol: keep ``pending`` trials in flight, feed results back in id order.

    Returns every configuration generated (at most ``count``); stops at ``NoMoreTrialError``.
    ``WaitForResults`` with nothing pending also ends the run (as the manager does).
    """
    configs: list[dict[str, Any]] = []
    in_flight: list[tuple[int, dict[str, Any]]] = []
    next_id = first_id
    exhausted = False
    while len(configs) < count or in_flight:
        while not exhausted and len(in_flight) < pending and len(configs) < count:
            try:
                params = tuner.generate_parameters(next_id, trial_job_id=f"J{next_id:04d}")
            except NoMoreTrialError:
                exhausted = True
                break
            except WaitForResults:
                break
            _assert_plain_json(params)
            configs.append(params)
            in_flight.append((next_id, params))
            next_id += 1
        if on_pending is not None and in_flight:
            on_pending([p for _, p in in_flight])
        if not in_flight:
            break
        # The filling loop above stopped: the space ran out, the tuner waits, or enough are in flight.
        pid, params = in_flight.pop(0)
        if feed is None:
            tuner.receive_trial_result(pid, params, reward(params), customized=False, trial_job_id=f"J{pid:04d}")
        else:
            feed(pid, params, reward(params))
        tuner.trial_end(pid, True)
    return configs


def _assert_plain_json(params: Any) -> None:
    assert isinstance(params, dict), f"generate_parameters must return a dict, got {type(params).__name__}"
    try:
        text = json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"configuration {params!r} is not plain JSON: {exc}") from None
    assert json.loads(text) == params, f"configuration {params!r} does not survive a JSON round trip"


def _assert_valid_parameters(space: dict[str, Any], params: Any) -> None:
    _assert_plain_json(params)
    specs = ss.parse(space)
    try:
        flat = ss.deformat_parameters(params, specs)
    except SearchSpaceError as exc:
        raise AssertionError(f"configuration {params!r} does not fit the search space: {exc}") from None
    for spec in specs:
        if not spec.is_active(flat):
            continue
        value = flat[spec.key]
        assert ss.contains(spec, value), f"{spec.path}: {value!r} is outside {spec.type} {list(spec.values)!r}"
        if spec.type == "randint":
            assert isinstance(value, int) and not isinstance(value, bool), (
                f"{spec.path}: randint must give a Python int, got {value!r} ({type(value).__name__})"
            )
    rebuilt = ss.format_parameters(flat, specs)
    assert rebuilt == params, f"configuration {params!r} has keys outside the search space (expected {rebuilt!r})"


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return [1.0 if value else 0.0]
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, str):
        return [float(len(value) % 3)]
    if isinstance(value, dict):
        return [n for k in sorted(value, key=str) for n in _numbers(value[k])]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _numbers(v)]
    return []


def _canonical(params: Any) -> str:
    return json.dumps(params, sort_keys=True)


def _repeats(items: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for item in items:
        if item in seen:
            repeated.append(item)
        seen.add(item)
    return repeated


def _first_difference(a: list[str], b: list[str]) -> str:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"#{index}: {x} != {y}"
    return f"lengths {len(a)} != {len(b)}"
