"""The trial API: what a trial script calls to get its configuration and report results.

Inside an experiment the platform sets ``NNI_PLATFORM``, ``NNI_SYS_DIR`` and friends and writes the
parameter file before the trial starts. Run by hand ("standalone"), the same script gets ``{}`` and
its metrics are printed instead of sent. Stdlib only: every trial pays for this import.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
from typing import Any

from nni.errors import TrialAPIError
from nni.objectives import OBJECTIVES_VARIABLE
from nni.runtime import trial_channel

__all__ = [
    "get_next_parameter",
    "get_current_parameter",
    "report_intermediate_result",
    "report_final_result",
    "get_experiment_id",
    "get_trial_id",
    "get_sequence_id",
    "is_standalone",
]


class _TrialState:
    """Per-process trial state (a trial process runs exactly one trial)."""

    def __init__(self) -> None:
        self.parameter_record: dict[str, Any] | None = None
        self.intermediate_sequence = 0
        self.final_reported = False
        self.metrics_fd: int | None = None


_state = _TrialState()


def is_standalone() -> bool:
    """True when the script runs outside any experiment (no ``NNI_PLATFORM`` in the environment)."""
    platform = os.environ.get("NNI_PLATFORM")
    return not platform or platform == "standalone"


def _sys_dir() -> str:
    return os.environ.get("NNI_SYS_DIR") or os.getcwd()


def get_experiment_id() -> str:
    return os.environ.get("NNI_EXP_ID", "STANDALONE")


def get_trial_id() -> str:
    return os.environ.get("NNI_TRIAL_JOB_ID", "STANDALONE")


def get_sequence_id() -> int:
    return int(os.environ.get("NNI_TRIAL_SEQ_ID", "0"))


def get_next_parameter() -> dict[str, Any]:
    """The configuration this trial should evaluate (``{}`` when run standalone)."""
    if is_standalone():
        _state.parameter_record = {"parameter_id": None, "parameters": {}}
        return {}
    if _state.parameter_record is None:
        try:
            _state.parameter_record = trial_channel.read_parameter_file(_sys_dir())
        except FileNotFoundError:
            raise TrialAPIError(
                f"no parameter file {trial_channel.PARAMETER_FILE!r} in NNI_SYS_DIR={_sys_dir()!r}; "
                "the platform writes it before starting a trial (unset NNI_PLATFORM to run standalone)"
            ) from None
    return _state.parameter_record["parameters"]


def get_current_parameter(tag: str | None = None) -> Any:
    """The parameters last returned by :func:`get_next_parameter`, or one of them by ``tag``."""
    if _state.parameter_record is None:
        get_next_parameter()
    assert _state.parameter_record is not None
    params = _state.parameter_record["parameters"]
    return params if tag is None else params[tag]


def _parameter_id() -> int | None:
    if _state.parameter_record is None and not is_standalone():
        get_next_parameter()
    return None if _state.parameter_record is None else _state.parameter_record.get("parameter_id")


def _check_metric(metric: Any, kind: str) -> Any:
    """Validate a metric: a finite number, or a dict whose ``"default"`` is a finite number. With several
    objectives declared (``NNI_OBJECTIVES`` set by the manager), a dict needs no ``"default"``:
    the manager reads the objectives from it and names any that is missing."""
    if isinstance(metric, dict):
        if "default" not in metric and OBJECTIVES_VARIABLE in os.environ:
            return {str(k): _plain(v) for k, v in metric.items()}
        if "default" not in metric:
            raise TrialAPIError(
                f"{kind} metric {metric!r} is a dict without a 'default' key; "
                "report a number, or a dict holding the number to optimise under 'default' (a config that "
                f"declares objectives sets {OBJECTIVES_VARIABLE}, which lifts this; set it yourself to run "
                "such a trial standalone)"
            )
        out = {str(k): _plain(v) for k, v in metric.items()}
        out["default"] = _check_number(metric["default"], kind, "'default' of ")
        return out
    return _check_number(metric, kind, "")


def _check_number(value: Any, kind: str, where: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TrialAPIError(
            f"{where}{kind} metric must be a number, got {value!r} ({type(value).__name__}); "
            "report a float, an int, or a dict with a number under 'default'"
        )
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(number):
        raise TrialAPIError(f"{where}{kind} metric must be finite, got {number!r}")
    return number


def _plain(value: Any) -> Any:
    """Numpy scalars and other numbers become plain Python numbers so the record is JSON."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _send(kind: str, sequence: int, value: Any) -> None:
    record = trial_channel.MetricRecord(
        trial_job_id=get_trial_id(),
        parameter_id=_parameter_id(),
        type=kind,
        sequence=sequence,
        value=value,
        timestamp=time.time(),
    )
    if is_standalone():
        label = "Intermediate result" if kind == trial_channel.PERIODICAL else "Final result"
        print(f"[nni standalone] {label}: {value}", file=sys.stdout, flush=True)
        return
    if _state.metrics_fd is None:
        path = os.path.join(_sys_dir(), trial_channel.METRICS_FILE)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _state.metrics_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    data = trial_channel.encode_metric(record)
    written = os.write(_state.metrics_fd, data)
    while written < len(data):  # a short write to a regular file is rare; finish the line
        written += os.write(_state.metrics_fd, data[written:])
    os.fsync(_state.metrics_fd)


def report_intermediate_result(metric: Any) -> None:
    """Report a periodical result (e.g. accuracy after an epoch); assessors read these."""
    value = _check_metric(metric, "intermediate")
    _send(trial_channel.PERIODICAL, _state.intermediate_sequence, value)
    _state.intermediate_sequence += 1


def report_final_result(metric: Any) -> None:
    """Report the trial's final result, which the tuner learns from."""
    value = _check_metric(metric, "final")
    _send(trial_channel.FINAL, 0, value)
    _state.final_reported = True
