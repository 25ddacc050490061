"""The platform conformance suite catches broken platforms (so a pass means something)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nni.platforms.base import TrialJob
from nni.platforms.local import LocalPlatform
from nni.testing.platform_conformance import PlatformConformance


class _WrongSeqEnv(LocalPlatform):
    def _env(self, trial: Any) -> dict[str, str]:
        env = super()._env(trial)
        env["NNI_TRIAL_SEQ_ID"] = "0"
        return env


class _JobEnvWins(LocalPlatform):
    def _env(self, trial: Any) -> dict[str, str]:
        return {**super()._env(trial), **trial.job.env}  # the job's env over NNI's variables


class _RereadsMetrics(LocalPlatform):
    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        job.metrics_offset = 0  # ignores what the manager already has
        return super().reattach(job, handle)


class _LeavesChildren(LocalPlatform):
    def _reap(self, trial: Any) -> None:
        trial.pid = None  # "forgets" the group: nothing left behind gets killed
        super()._reap(trial)

    def kill(self, trial_job_id: str, status: str = "USER_CANCELED") -> None:
        import os
        import signal

        with self._lock:
            trial = self._trials.get(trial_job_id)
            if trial is not None and trial.pid:
                trial.kill_status = status
                os.kill(trial.pid, signal.SIGKILL)  # the main process only, not its group


def _suite(cls: type[LocalPlatform]) -> PlatformConformance:
    class Probe(PlatformConformance):
        timeout = 20.0

        def make_platform(self, experiment_dir: Path) -> LocalPlatform:
            return cls(experiment_dir, self.experiment_id, kill_grace=1.0)

    return Probe()


def test_wrong_environment_is_caught(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        _suite(_WrongSeqEnv).test_environment_parameter_file_and_read_file(tmp_path)


def test_job_env_over_nni_variables_is_caught(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        _suite(_JobEnvWins).test_nni_variables_win_over_the_job_env(tmp_path)


def test_repeated_metrics_after_reattach_are_caught(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        _suite(_RereadsMetrics).test_reattach_after_restart_goes_on_without_repeating(tmp_path)


def test_processes_left_behind_are_caught(tmp_path: Path) -> None:
    try:
        with pytest.raises(AssertionError, match="still running"):
            _suite(_LeavesChildren).test_kill_ends_the_trial_and_its_children(tmp_path)
    finally:  # clean up what the broken platform left
        import json
        import os
        import signal

        for pids in tmp_path.glob("experiment/trials/*/pids.json"):
            for pid in json.loads(pids.read_text()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
