"""The shared platform conformance suite, run by the Slurm platform on the real one-node Slurm."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.config.training_services.slurm import SlurmConfig
from nni.platforms.slurm import SlurmPlatform
from nni.testing.platform_conformance import PlatformConformance

pytestmark = pytest.mark.slurm


@pytest.mark.usefixtures("slurm_cluster")
class TestSlurmConformance(PlatformConformance):
    timeout = 90.0
    # Slurm limits run time in whole minutes (maxTrialDuration becomes --time); the suite's short limits
    # cannot be expressed, so that check is left to test_slurm_platform's time-limit test.
    supports_max_duration = False

    def make_platform(self, experiment_dir: Path) -> SlurmPlatform:
        config = SlurmConfig(poll_interval=0.5)
        return SlurmPlatform(config, experiment_id=self.experiment_id, experiment_dir=experiment_dir,
                             trial_code_directory=self._code)

    def code_dir(self, tmp_path: Path) -> Path:
        self._code = super().code_dir(tmp_path)
        return self._code
