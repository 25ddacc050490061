"""Test helpers shipped with the package: the tuner conformance suite (needs pytest), ``pid_alive``."""

from nni.testing._process import pid_alive
from nni.testing.tuner_conformance import TunerConformance

__all__ = ["TunerConformance", "pid_alive"]
