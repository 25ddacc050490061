"""NNI's ``PBT`` tuner: Population Based Training.

Config::

    tuner:
      name: PBT
      classArgs:
        optimize_mode: maximize          # default maximize, as in NNI
        all_checkpoint_dir: /shared/ckpt # default ~/nni/checkpoint/<experiment id>
        population_size: 10
        factor: 0.2                      # numeric parameters move by x (1 +/- factor)
        resample_probability: 0.25       # or are drawn anew from the search space
        fraction: 0.2                    # bottom fraction replaced by copies of the top fraction

Each trial is one *step* of one population member. Its parameters carry, besides the hyperparameters,
``load_checkpoint_dir`` (where to restore the model from; it does not exist yet in the first step) and
``save_checkpoint_dir`` (where to save it at the end of the step), as NNI does:
``<all_checkpoint_dir>/<member>/<step>``. Steps are synchronous: step ``s + 1`` starts once every member
reported step ``s`` (in between the tuner raises ``WaitForResults``, so the manager waits). Then the
bottom ``fraction`` of the members copy the checkpoint and hyperparameters of a random member of the top
``fraction`` (exploit) and perturb the hyperparameters (explore). A member whose trial failed without a
result counts as the worst of its step.

Nested ``choice`` spaces work: perturbation happens in the unit-cube encoding, and parameters that
become active through a switched option come from the prior.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from nni import search_space as ss
from nni.errors import WaitForResults
from nni.tuner import Tuner
from nni.utils import OptimizeMode, extract_scalar_reward

from ._encoding import UnitCubeEncoding
from ._history import parse_optimize_mode

__all__ = ["PBTTuner"]

_logger = logging.getLogger(__name__)

_CKPT_KEYS = ("load_checkpoint_dir", "save_checkpoint_dir")


def default_checkpoint_dir() -> str:
    """``~/nni/checkpoint/<NNI_EXP_ID>`` (``standalone`` outside an experiment)."""
    exp_id = os.environ.get("NNI_EXP_ID") or "standalone"
    return str(Path.home() / "nni" / "checkpoint" / exp_id)


class PBTTuner(Tuner):
    """Synchronous PBT over ``population_size`` members."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        all_checkpoint_dir: str | None = None,
        population_size: int = 10,
        factor: float = 0.2,
        resample_probability: float = 0.25,
        fraction: float = 0.2,
        seed: int | None = None,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an integer >= 2, got {population_size!r}")
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor!r}")
        if not 0 <= resample_probability <= 1:
            raise ValueError(f"resample_probability must be in [0, 1], got {resample_probability!r}")
        if not 0 < fraction <= 0.5:
            raise ValueError(f"fraction must be in (0, 0.5], got {fraction!r}")
        self.optimize_mode = parse_optimize_mode(optimize_mode)
        self.all_checkpoint_dir = str(all_checkpoint_dir or default_checkpoint_dir())
        self.population_size = population_size
        self.factor = float(factor)
        self.resample_probability = float(resample_probability)
        self.fraction = float(fraction)
        self.rng = np.random.default_rng(seed)
        self.space: dict[str, Any] | None = None
        self.specs: list[ss.ParameterSpec] = []
        self.enc = UnitCubeEncoding([])
        self.step = 0
        self._members: list[np.ndarray] = []
        self._load_dirs: list[str] = []
        self._queue: list[int] = []
        self._running: dict[int, int] = {}  # parameter id -> member
        self._losses: dict[int, float] = {}  # member -> loss of the current step

    # ---------------------------------------------------------------------------------- NNI hooks
    def update_search_space(self, search_space: Mapping[str, Any]) -> None:
        self.space = dict(search_space)
        self.specs = ss.parse(self.space)
        self.enc = UnitCubeEncoding(self.specs)
        self.step = 0
        self._members = list(self._initial_population())
        self._load_dirs = [self._save_dir(i, 0) for i in range(self.population_size)]
        self._queue = list(range(self.population_size))
        self._running.clear()
        self._losses.clear()

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if self.space is None:
            raise RuntimeError("PBTTuner.generate_parameters() called before update_search_space()")
        if not self._queue:
            raise WaitForResults(
                f"PBT step {self.step}: all {self.population_size} members are running; "
                "the next step starts when they have reported"
            )
        member = self._queue.pop(0)
        self._running[parameter_id] = member
        params = ss.format_parameters(self.enc.decode(self._members[member]), self.specs)
        params["load_checkpoint_dir"] = self._load_dirs[member]
        params["save_checkpoint_dir"] = self._save_dir(member, self.step)
        return params

    def receive_trial_result(self, parameter_id: int, parameters: Mapping[str, Any], value: Any, **kwargs: Any) -> None:
        member = self._running.pop(parameter_id, None)
        if member is None:
            _logger.info("PBT ignores result of parameter %s: not a member of the current step", parameter_id)
            return
        reward = extract_scalar_reward(value)
        loss = -reward if self.optimize_mode is OptimizeMode.Maximize else reward
        self._losses[member] = loss if math.isfinite(loss) else math.inf
        self._maybe_advance()

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        member = self._running.pop(parameter_id, None)
        if member is not None and member not in self._losses:
            self._losses[member] = math.inf  # failed without a result: worst of the step
            self._maybe_advance()

    def import_data(self, data: list[dict[str, Any]]) -> None:
        # Earlier results carry no checkpoints to continue from; PBT cannot use them.
        _logger.info("PBT does not use imported data (%d records ignored)", len(data))

    # ----------------------------------------------------------------------------------- internals
    def _save_dir(self, member: int, step: int) -> str:
        return os.path.join(self.all_checkpoint_dir, str(member), str(step))

    def _initial_population(self) -> np.ndarray:
        d = max(1, self.enc.dim)
        m = max(1, math.ceil(math.log2(self.population_size)))
        U = qmc.Sobol(d, scramble=True, seed=self.rng).random_base2(m)[: self.population_size, : self.enc.dim]
        for j in np.flatnonzero(self.enc.categorical):
            U[:, j] = np.minimum(np.floor(U[:, j] * self.enc.sizes[j]), self.enc.sizes[j] - 1)
        return self.enc.clean(U)

    def _maybe_advance(self) -> None:
        if len(self._losses) < self.population_size or self._queue:
            return
        order = sorted(range(self.population_size), key=lambda i: self._losses[i])
        cut = max(1, int(math.ceil(self.fraction * self.population_size)))
        top, bottom = order[:cut], order[-cut:]
        new_load = [self._save_dir(i, self.step) for i in range(self.population_size)]
        for member in bottom:
            source = int(self.rng.choice(top))
            self._members[member] = self._explore(self._members[source])
            new_load[member] = self._save_dir(source, self.step)
        self._load_dirs = new_load
        self.step += 1
        self._losses.clear()
        self._queue = list(range(self.population_size))
        _logger.info("PBT step %d: members %s copy %s", self.step, bottom, top)

    def _explore(self, vec: np.ndarray) -> np.ndarray:
        enc = self.enc
        prior = enc.random(self.rng, 1)[0]
        child = np.full(enc.dim, np.nan)
        for j, spec in enumerate(enc.specs):
            if not all(child[p] == opt for p, opt in enc.conditions[j]):
                continue
            value = vec[j]
            if not np.isfinite(value) or self.rng.random() < self.resample_probability:
                child[j] = prior[j] if np.isfinite(prior[j]) else self._prior_value(j)
            elif spec.categorical:
                # Move to a neighbouring option (options are often ordered, as NNI's PBT assumes).
                size = int(enc.sizes[j])
                shift = int(self.rng.choice([-1, 1])) if size > 1 else 0
                child[j] = float(min(max(value + shift, 0), size - 1))
            else:
                flat = enc.decode(np.where(np.arange(enc.dim) == j, value, vec))
                raw = float(flat.get(spec.key, 0.0))
                scaled = raw * (1 + self.factor if self.rng.random() < 0.5 else 1 - self.factor)
                if scaled == raw:  # zero or a fixed point: step in the unit cube instead
                    child[j] = float(np.clip(value + self.rng.choice([-1, 1]) * self.factor / 2, 0, 1))
                else:
                    child[j] = enc.encode({spec.key: _bounded(spec, scaled)})[j]
        return child

    def _prior_value(self, j: int) -> float:
        if self.enc.categorical[j]:
            return float(self.rng.integers(self.enc.sizes[j]))
        return float(self.rng.random())


def _bounded(spec: ss.ParameterSpec, value: float) -> float:
    if spec.bounded:
        value = min(max(value, spec.low), spec.high - (1 if spec.integer else 0))
    return ss.quantize(spec, value)
