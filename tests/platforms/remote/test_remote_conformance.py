"""The shared platform conformance suite, run by the remote platform against a real sshd on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.platforms.remote import RemotePlatform
from nni.testing.platform_conformance import PlatformConformance

from .remote_helpers import fast_options, root_machine

pytestmark = pytest.mark.ssh


class TestRemoteConformance(PlatformConformance):
    timeout = 60.0

    @pytest.fixture(autouse=True)
    def _machine(self, ssh_world, machine_a, tmp_path: Path) -> None:
        self.spec = root_machine(ssh_world, machine_a)
        self.python = str(ssh_world.root_python / "python3")  # the remote machine's interpreter (a venv)
        self.tmp = tmp_path

    def make_platform(self, experiment_dir: Path) -> RemotePlatform:
        return RemotePlatform([self.spec], experiment_id=self.experiment_id,
                              trial_code_directory=str(self.tmp / "code"), experiment_dir=str(experiment_dir),
                              remote_root=str(self.tmp / "remote"), kill_grace=2.0,
                              session_options=fast_options())
