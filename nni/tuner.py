"""``nni.tuner.Tuner``: the base class of every tuner, built-in or custom, with NNI's contract.

The manager calls, in one thread:

- ``update_search_space(search_space)`` once before anything else, and again on
  ``nnictl update searchspace``;
- ``generate_multiple_parameters(parameter_id_list, st_callback=...)`` (default: one
  ``generate_parameters(parameter_id, **kwargs)`` per id, stopping at ``NoMoreTrialError``);
  each returned dict is the trial's configuration, in the nested form of the search space;
- ``receive_trial_result(parameter_id, parameters, value, customized=bool, trial_job_id=str)`` with the
  trial's final metric (a number or a dict with ``"default"``; see ``nni.utils.extract_scalar_reward``);
- ``trial_end(parameter_id, success, ...)`` when a trial ends, successful or not;
- ``import_data(data)`` with ``[{"parameter": {...}, "value": metric}, ...]`` from earlier experiments.

Several objectives and constraints (the config's ``objectives`` and ``constraints``): before anything
else the manager calls ``set_objectives(objectives)`` with an :class:`nni.objectives.Objectives` (names,
directions, constraint bounds). A tuner that can optimise several objectives or honour constraints sets
the class attribute ``supports_multiple_objectives = True``; any other tuner is refused before the first
trial when the config declares more than one objective or any constraint (with a single objective and no
constraint every tuner works: it receives ``{..., "default": <that objective>}`` and the objective's
direction as ``optimize_mode`` unless classArgs gives one). With several objectives or constraints,
``receive_trial_result`` gets the trial's dict as reported plus two keyword arguments, already checked:
``objective_values`` (a tuple of floats in the declared order, as reported, not negated) and
``constraint_values`` (a tuple in the declared order of the constraints). ``self.objectives`` turns them
into what an optimiser wants: ``self.objectives.minimized(objective_values)`` (maximised ones negated) and
``self.objectives.violation(constraint_values)`` (0 when feasible). A result missing an objective never
reaches the tuner (the manager records the error on the trial), and ``import_data`` items carry the dicts
as reported (read them with ``self.objectives.read(value)``, which raises ``nni.objectives.ResultError``).

A tuner raises ``nni.NoMoreTrialError`` when its space is exhausted, and ``nni.tuner.WaitForResults``
(this project's extension, used by Hyperband/BOHB) when it can propose nothing until a running trial
reports. ``generate_multiple_parameters`` returns the configurations made before either was raised; if
none were made, it re-raises ``WaitForResults`` so the manager knows to wait.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from nni.errors import NNIError, NoMoreTrialError, WaitForResults
from nni.objectives import Objectives
from nni.recoverable import Recoverable

__all__ = ["Tuner", "NoMoreTrialError", "WaitForResults"]

_logger = logging.getLogger(__name__)

SearchSpace = dict[str, Any]
Parameters = dict[str, Any]


# Hooks the manager calls with keyword arguments (st_callback, customized, trial_job_id).
_KEYWORD_HOOKS = ("generate_parameters", "receive_trial_result", "trial_end")


def _dropping_unknown_keywords(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` itself if it takes ``**kwargs``; else a wrapper passing only the keywords it names.

    Tuners written for NNI 0.x/1.x (e.g. NNI's ga_customer_tuner example) define
    ``generate_parameters(self, parameter_id)`` and ``receive_trial_result(self, parameter_id,
    parameters, value)``; NNI 2.x passes more keywords, which such hooks cannot take.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return func
    params = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return func
    names = {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                  inspect.Parameter.KEYWORD_ONLY)}

    @functools.wraps(func)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return func(self, *args, **{k: v for k, v in kwargs.items() if k in names})

    return call


class Tuner(Recoverable):
    """Generates configurations from the results seen so far. Subclass and override the hooks."""

    # Whether this tuner optimises several objectives and honours constraints (see the module docstring).
    supports_multiple_objectives: ClassVar[bool] = False
    # The declared objectives and constraints (set by set_objectives; None: NNI's single "default" metric).
    objectives: Objectives | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _KEYWORD_HOOKS:
            method = cls.__dict__.get(name)
            if inspect.isfunction(method):
                setattr(cls, name, _dropping_unknown_keywords(method))

    def extract_scalar_reward(self, value: Any, scalar_key: str = "default") -> float:
        """NNI 0.x/1.x tuners call ``self.extract_scalar_reward(value)``; see :func:`nni.utils.extract_scalar_reward`."""
        from nni.utils import extract_scalar_reward

        return extract_scalar_reward(value, scalar_key)

    def set_objectives(self, objectives: Objectives) -> None:
        """Take the config's objectives and constraints; called once, before ``update_search_space``.

        The default keeps them in ``self.objectives`` and refuses several objectives or constraints unless
        the class sets ``supports_multiple_objectives``. Override to adapt (call ``super()`` first)."""
        if objectives.is_multi and not type(self).supports_multiple_objectives:
            raise NNIError(f"{type(self).__name__} cannot optimise {objectives.describe()}: it does not declare "
                           "supports_multiple_objectives = True")
        self.objectives = objectives

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> Parameters:
        """Return one configuration for ``parameter_id``; raise ``NoMoreTrialError`` when done."""
        raise NotImplementedError(f"{type(self).__name__} must implement generate_parameters()")

    def generate_multiple_parameters(self, parameter_id_list: list[int], **kwargs: Any) -> list[Parameters]:
        """Configurations for several ids at once; a shorter list means the space ran out."""
        result: list[Parameters] = []
        for parameter_id in parameter_id_list:
            try:
                result.append(self.generate_parameters(parameter_id, **kwargs))
            except WaitForResults:
                if not result:
                    raise
                return result
            except NoMoreTrialError:
                _logger.debug("tuner has no more trials after %d of %d", len(result), len(parameter_id_list))
                return result
        return result

    def receive_trial_result(self, parameter_id: int, parameters: Parameters, value: Any, **kwargs: Any) -> None:
        """Learn from a trial's final result."""
        raise NotImplementedError(f"{type(self).__name__} must implement receive_trial_result()")

    def _accept_customized_trials(self, accept: bool = True) -> None:
        # NNI's switch: whether results of user-added (customized) trials reach this tuner.
        self._accept_customized = accept

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        """Called once a trial ended (``success`` False for failed, killed or early-stopped trials)."""

    def update_search_space(self, search_space: SearchSpace) -> None:
        """Take a new search space (called before the first generate_parameters)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_search_space()")

    def import_data(self, data: list[dict[str, Any]]) -> None:
        """Learn from earlier results: ``[{"parameter": {...}, "value": metric}, ...]``."""

    def _on_exit(self) -> None:
        pass

    def _on_error(self) -> None:
        pass
