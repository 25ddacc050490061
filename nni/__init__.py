"""NNI: hyperparameter tuning experiments. ``import nni`` loads only the trial API (stdlib only)."""

from __future__ import annotations

from typing import Any

from nni.errors import NNIError, NoMoreTrialError
from nni.trial import (
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_sequence_id,
    get_trial_id,
    report_final_result,
    report_intermediate_result,
)

__version__ = "4.0.0.dev0"

__all__ = [
    "__version__",
    "NNIError",
    "NoMoreTrialError",
    "get_next_parameter",
    "get_current_parameter",
    "report_intermediate_result",
    "report_final_result",
    "get_experiment_id",
    "get_trial_id",
    "get_sequence_id",
]


def __getattr__(name: str) -> Any:
    # Annotation-mode samplers (nni.choice, nni.uniform, ...) live in nni.annotation.smartparam and are
    # loaded on first use so that plain trials never pay for them.
    if name == "ClassArgsValidator":  # NNI's docs write ``from nni import ClassArgsValidator``
        from nni.utils import ClassArgsValidator

        return ClassArgsValidator
    from nni.annotation import smartparam

    if name in smartparam.__all__:
        return getattr(smartparam, name)
    raise AttributeError(f"module 'nni' has no attribute {name!r}")
