"""TPE (Tree-structured Parzen Estimator) tuner, NNI's ``TPE`` built-in.

Config::

    tuner:
      name: TPE
      classArgs:
        optimize_mode: maximize      # or minimize (default)
        seed: 42                     # optional
        tpe_args:                    # all optional
          constant_liar_type: best   # best | worst | mean | null (how running trials are modelled)
          n_startup_jobs: 10         # random (Sobol) configurations before the model is used
          n_ei_candidates: 32        # candidates drawn from l(x) per suggestion
          linear_forgetting: 25      # older bad observations weigh less beyond this many
          prior_weight: 1.0          # weight of the search space's prior in both mixtures
          gamma: 0.15                # fraction of observations in the good set (at most 25)

How it works (our own implementation):

- the space is encoded into the unit cube (log, normal-CDF and integer handling in the encoding);
- the good and bad observations each get one *multivariate* Parzen mixture: a product kernel over all
  active parameters, so correlated parameters are modelled jointly;
- each kernel's width on each parameter is the larger gap to its neighbouring observations (times
  ``bandwidth_factor`` 0.8, at least ``1 / (n + 2)`` of the range), so kernels are narrow where good
  points cluster and wide where they are sparse; choices use a keep-or-switch kernel that sharpens
  faster in the (large) bad set than in the good set, so other options near good regions get tried;
- nested ``choice`` spaces are modelled branch by branch: the outermost parameters first, then the
  parameters of each chosen branch from the trials that took that branch (their own good/bad split),
  so a promising branch is refined even while another branch holds the overall best trials;
- candidates are drawn from l(x) and ranked by l(x)/g(x); a candidate equal to a configuration
  already suggested is skipped, and running trials enter the model with a constant-liar value;
- with several objectives or constraints (the config's ``objectives``/``constraints``) it is
  multi-objective TPE: the good set is the first non-dominated fronts of the feasible trials, a front
  that does not fit whole is cut by hypervolume contribution (two objectives) or crowding distance (more),
  and infeasible trials rank after every feasible one, by constraint violation; kernels are wider
  (``bandwidth_factor`` 1.5 unless given), so that samples fall between the front's points;
  ``optimize_mode`` is then not used.

NNI's documented defaults were ``n_startup_jobs=20, n_ei_candidates=24, gamma=0.25``; ours are the
values that ranked best in ``benchmarks/tuners`` (see ``benchmarks/RESULTS-tuners.md``). Passing NNI's
values explicitly gives NNI-like behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from scipy.stats import qmc

from nni.objectives import Objectives
from nni.utils import ClassArgsValidator, OptimizeMode

from ._history import HistoryTuner
from ._tpe import TpeSettings, suggest_candidates

__all__ = ["TpeTuner", "TpeArguments", "TpeClassArgsValidator"]

_LIARS = ("best", "worst", "mean", None)

# Extra knobs of this implementation (not NNI's), used by the benchmark's ablations.
_EXTRA = ("bandwidth_factor", "min_bandwidth", "max_good", "max_bad", "cat_bandwidth", "branch_models")

# With several objectives (benchmarks/multiobjective.py: best of 0.8, 1.5, 2.0 on ZDT1/3, DTLZ2, TNK).
_MULTI_OBJECTIVE_BANDWIDTH = 1.5

_DEFAULTS: dict[str, Any] = {
    "constant_liar_type": "best",
    "n_startup_jobs": 10,
    "n_ei_candidates": 32,
    "linear_forgetting": 25,
    "prior_weight": 1.0,
    "gamma": 0.15,
}


class TpeArguments:
    """NNI's ``tpe_args``: validated, with our defaults for the keys not given."""

    def __init__(self, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - set(_DEFAULTS) - set(_EXTRA))
        if unknown:
            raise ValueError(
                f"unknown tpe_args key(s) {', '.join(map(repr, unknown))}; expected some of "
                f"{', '.join(_DEFAULTS)}"
            )
        values = {**_DEFAULTS, **kwargs}
        self.constant_liar_type: str | None = values["constant_liar_type"]
        if self.constant_liar_type not in _LIARS:
            raise ValueError(
                f"tpe_args.constant_liar_type must be 'best', 'worst', 'mean' or null, got {self.constant_liar_type!r}"
            )
        self.n_startup_jobs = _positive_int("n_startup_jobs", values["n_startup_jobs"], minimum=1)
        self.n_ei_candidates = _positive_int("n_ei_candidates", values["n_ei_candidates"], minimum=1)
        self.linear_forgetting = _positive_int("linear_forgetting", values["linear_forgetting"], minimum=0)
        self.prior_weight = float(values["prior_weight"])
        if not self.prior_weight >= 0:
            raise ValueError(f"tpe_args.prior_weight must be >= 0, got {values['prior_weight']!r}")
        self.gamma = float(values["gamma"])
        if not 0 < self.gamma < 1:
            raise ValueError(f"tpe_args.gamma must be in (0, 1), got {values['gamma']!r}")
        extra = {k: type(getattr(TpeSettings, k))(values[k]) for k in _EXTRA if k in values}
        self.settings = TpeSettings(
            gamma=self.gamma,
            n_ei_candidates=self.n_ei_candidates,
            linear_forgetting=self.linear_forgetting,
            prior_weight=self.prior_weight,
            **extra,
        )


def _positive_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < minimum:
        raise ValueError(f"tpe_args.{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class TpeTuner(HistoryTuner):
    """Multivariate TPE with constant liar, nested-choice support and duplicate avoidance; with several
    objectives or constraints, multi-objective TPE (the good set is the first Pareto fronts)."""

    supports_multiple_objectives = True

    def __init__(
        self,
        optimize_mode: str = "minimize",
        seed: int | None = None,
        tpe_args: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(optimize_mode, seed)
        self.tpe_args = dict(tpe_args or {})
        self.args = TpeArguments(**self.tpe_args)
        self._startup: np.ndarray | None = None
        self._startup_used = 0

    def _on_space_changed(self) -> None:
        self._startup = None
        self._startup_used = 0

    def _propose(self) -> np.ndarray:
        if self.n_finished < self.args.n_startup_jobs:
            return self._startup_point()
        X, losses = self.history()
        pending = self.pending()
        liar = self.args.constant_liar_type
        if len(pending) and liar is not None:
            lie = {"best": losses.min(), "worst": losses.max(), "mean": losses.mean()}[liar]
            X = np.vstack([X, pending])
            losses = np.concatenate([losses, np.full(len(pending), lie)])
        return suggest_candidates(self.enc, X, losses, self.rng, self.args.settings)

    def set_objectives(self, objectives: Objectives) -> None:
        super().set_objectives(objectives)
        if objectives.is_multi and "bandwidth_factor" not in self.tpe_args:
            # a Pareto front is a spread of good points, not one optimum: wider kernels sample between them
            self.args.settings = replace(self.args.settings, bandwidth_factor=_MULTI_OBJECTIVE_BANDWIDTH)

    def _pareto_limit(self) -> int | None:
        # the good set is at most max_good observations; branch models split subsets, which need them all
        if self.enc.conditional and self.args.settings.branch_models:
            return None
        return self.args.settings.max_good

    def _startup_point(self) -> np.ndarray:
        """Next point of a scrambled Sobol sequence (better coverage than independent draws)."""
        if self._startup is None or self._startup_used >= len(self._startup):
            m = max(1, math.ceil(math.log2(max(2, self.args.n_startup_jobs))))
            sobol = qmc.Sobol(self.enc.dim, scramble=True, seed=self.rng)
            U = sobol.random_base2(m)
            for j in np.flatnonzero(self.enc.categorical):
                U[:, j] = np.minimum(np.floor(U[:, j] * self.enc.sizes[j]), self.enc.sizes[j] - 1)
            self._startup = self.enc.clean(U)
            self._startup_used = 0
        point = self._startup[self._startup_used]
        self._startup_used += 1
        return np.vstack([point[None, :], self.enc.random(self.rng, 4)])

    @property
    def maximize(self) -> bool:
        return self.optimize_mode is OptimizeMode.Maximize


class TpeClassArgsValidator(ClassArgsValidator):
    """Checks TPE's classArgs before an experiment starts."""

    def validate_class_args(self, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - {"optimize_mode", "seed", "tpe_args"})
        if unknown:
            raise ValueError(f"TPE does not take {', '.join(map(repr, unknown))}; it takes optimize_mode, seed, tpe_args")
        if "optimize_mode" in kwargs:
            self.choices("optimize_mode", "minimize", "maximize")(kwargs["optimize_mode"])
        if kwargs.get("seed") is not None and (isinstance(kwargs["seed"], bool) or not isinstance(kwargs["seed"], int)):
            raise ValueError(f"seed must be an integer, got {kwargs['seed']!r}")
        TpeArguments(**dict(kwargs.get("tpe_args") or {}))
