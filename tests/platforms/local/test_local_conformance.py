"""The local platform passes the shared platform conformance suite with real processes."""

from __future__ import annotations

from pathlib import Path

from nni.platforms.local import LocalPlatform
from nni.testing.platform_conformance import PlatformConformance


class TestLocalPlatform(PlatformConformance):
    timeout = 30.0

    def make_platform(self, experiment_dir: Path) -> LocalPlatform:
        return LocalPlatform(experiment_dir, self.experiment_id, kill_grace=2.0)
