"""Test helpers shipped with the package: the tuner conformance suite (needs pytest), ``pid_alive``, loopback
ports and polling (``free_port``, ``port_free``, ``wait_until``), a platform event sink (``EventLog``), the
real ``nnictl`` over a private experiments home (``Nnictl``; ``Workspace`` adds a trial script and configs)
``max_overlap`` of time spans, ``experiment_config`` and ``store_with_trials`` (a store with a known
history), ``expected_pareto_set`` (a Pareto set by plain loops, to check the readers' against), and
Microsoft's NNI 3.0 in a cached virtual environment (``nni3_venv``, ``Nni3``: its nnictl, Python client and
web UI build, for the compatibility suite)."""

from nni.testing._browser import chromium
from nni.testing._events import EventLog
from nni.testing._net import free_port, port_free, wait_until
from nni.testing._nni3 import Nni3, nni3_venv
from nni.testing._nnictl import Ended, LiveExperiment, Nnictl, Workspace
from nni.testing._pareto import expected_pareto_set
from nni.testing._process import pid_alive
from nni.testing._server import InProcessServer
from nni.testing._spans import max_overlap
from nni.testing._store import T0, experiment_config, store_with_trials

__all__ = ["T0", "Ended", "EventLog", "LiveExperiment", "Nni3", "Nnictl", "TunerConformance", "Workspace", "chromium",
           "expected_pareto_set", "experiment_config", "free_port", "max_overlap", "nni3_venv", "InProcessServer", "pid_alive", "port_free",
           "store_with_trials", "wait_until"]


def __getattr__(name: str) -> object:
    # The conformance suite needs pytest: imported only when asked for, so benchmarks and scripts can use
    # the helpers above without it.
    if name == "TunerConformance":
        from nni.testing.tuner_conformance import TunerConformance

        return TunerConformance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
