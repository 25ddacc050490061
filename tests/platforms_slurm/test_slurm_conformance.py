"""The shared platform conformance suite, run by the Slurm platform on the real one-node Slurm."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

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
        config = SimpleNamespace(partition=None, account=None, qos=None, time_limit=None, cpus_per_trial=None,
                                 memory_per_trial=None, gpu_request="gres", sbatch_options=[], setup_script=None,
                                 shared_directory=None, poll_interval=0.5)
        return SlurmPlatform(config, experiment_id=self.experiment_id, experiment_dir=experiment_dir,
                             trial_code_directory=self._code)

    def code_dir(self, tmp_path: Path) -> Path:
        self._code = super().code_dir(tmp_path)
        return self._code
