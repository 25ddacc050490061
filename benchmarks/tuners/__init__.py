"""Tuner quality and speed benchmark: ``python -m benchmarks.tuners --help``."""
