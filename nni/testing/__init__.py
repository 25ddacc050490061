"""Test helpers shipped with the package: the tuner conformance suite (needs pytest)."""

from nni.testing.tuner_conformance import TunerConformance

__all__ = ["TunerConformance"]
