"""The Python API: ``from nni.experiment import Experiment`` (NNI's), plus NNI's record types."""

from ._data import ParetoTrial, TrialHyperParameters, TrialJob, TrialMetricData, TrialResult
from ._experiment import Experiment, RunMode

__all__ = ["Experiment", "ParetoTrial", "RunMode", "TrialJob", "TrialMetricData", "TrialResult", "TrialHyperParameters"]


def __getattr__(name: str):  # noqa: ANN202 - NNI's config classes re-exported from nni.config
    import nni.config

    if hasattr(nni.config, name):
        return getattr(nni.config, name)
    raise AttributeError(f"module 'nni.experiment' has no attribute {name!r}")
