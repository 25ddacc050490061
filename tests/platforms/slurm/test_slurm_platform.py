"""The Slurm platform against a real one-node Slurm (slurmctld + slurmd + munge) started by the fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nni.config.training_services.slurm import SlurmConfig
from nni.platforms import TrialExited, TrialJob, TrialMetric, TrialStarted, TrialWaiting
from nni.platforms.slurm import SlurmPlatform, slurm_time_limit
from nni.testing import EventLog

pytestmark = pytest.mark.slurm


def _config(**overrides) -> SlurmConfig:
    return SlurmConfig(**{"partition": "debug", "cpus_per_trial": 1, **overrides})


def _job(trial_id: str, seq: int, code: Path, gpus: int = 0, **params) -> TrialJob:
    return TrialJob(trial_job_id=trial_id, sequence_id=seq, parameter_id=seq, parameters=params,
                    command=f"{sys.executable} trial.py", code_dir=str(code), gpu_number=gpus)


def _platform(tmp_path: Path, code: Path, exp_id: str, **config) -> SlurmPlatform:
    return SlurmPlatform(_config(**config), experiment_id=exp_id, experiment_dir=tmp_path / "exp",
                         trial_code_directory=code, poll_interval=0.5)


def test_slurm_time_limit_rounds_up_to_whole_minutes():
    assert slurm_time_limit(1) == "0-00:01:00"
    assert slurm_time_limit(61) == "0-00:02:00"
    assert slurm_time_limit(2 * 86400 + 3600) == "2-01:00:00"


def test_trials_run_as_jobs_with_metrics_params_env_and_queueing(slurm_cluster, event_log, tmp_path, trial_code):
    platform = _platform(tmp_path, trial_code, "slurmrun", setup_script="export FROM_SETUP=yes")
    platform.start(event_log)
    try:
        # Three one-CPU jobs on a two-CPU node: Slurm runs two and queues the third.
        platform.submit_many([_job(f"trl{seq}a", seq, trial_code, x=seq + 1, sleep=3) for seq in range(3)])
        for seq in range(3):
            exited = event_log.exited(f"trl{seq}a", 90)
            assert exited.status == "SUCCEEDED" and exited.exit_code == 0
        waiting = event_log.of(kind=TrialWaiting)
        assert any("pending" in e.reason and "Resources" in e.reason for e in waiting), waiting
        # Submitted together with the same resources: one sbatch, one job array, a task per trial.
        job_ids = [event_log.of(f"trl{seq}a", TrialStarted)[0].handle["slurm_job_id"] for seq in range(3)]
        array_id = job_ids[0].split("_")[0]
        assert job_ids == [f"{array_id}_{seq}" for seq in range(3)]
        for seq in range(3):
            trial_id = f"trl{seq}a"
            started = event_log.of(trial_id, TrialStarted)
            assert len(started) == 1 and started[0].handle["slurm_job_id"]
            metrics = event_log.of(trial_id, TrialMetric)
            assert [m.record.type for m in metrics] == ["PERIODICAL", "PERIODICAL", "FINAL"]
            assert metrics[-1].record.value == {"default": (seq + 1) * 10, "extra": 1}
            assert [m.record.value for m in metrics[:2]] == [0, seq + 1]
            assert metrics[0].offset < metrics[1].offset < metrics[2].offset
            stdout = platform.read_file(trial_id, "stdout").decode()
            assert f"platform=slurm seq={seq}" in stdout
            assert "gpus=none" in stdout
            cfg = json.loads(platform.read_file(trial_id, "parameter.cfg"))
            assert cfg["parameters"]["x"] == seq + 1 and cfg["parameter_id"] == seq
            assert "export FROM_SETUP=yes" in platform.read_file(trial_id, "slurm_job.sh").decode()
        with pytest.raises(Exception, match="outside"):
            platform.read_file("trl0a", "../../../../etc/passwd")
    finally:
        platform.stop()


def test_gpu_trial_gets_the_generic_resource_and_oversized_request_fails(slurm_cluster, event_log, tmp_path,
                                                                           trial_code):
    platform = _platform(tmp_path, trial_code, "slurmgpu")
    platform.start(event_log)
    try:
        platform.submit(_job("gpu1a", 0, trial_code, gpus=1, x=1))
        platform.submit(_job("gpu2b", 1, trial_code, gpus=2, x=1))
        platform.submit(_job("gpu9c", 2, trial_code, gpus=9, x=1))
        assert event_log.exited("gpu1a", 90).status == "SUCCEEDED"
        assert event_log.exited("gpu2b", 90).status == "SUCCEEDED"
        assert "gpus=0\n" in platform.read_file("gpu1a", "stdout").decode()
        assert "gpus=0,1\n" in platform.read_file("gpu2b", "stdout").decode()
        refused = event_log.exited("gpu9c", 90)
        assert refused.status == "FAILED" and "sbatch refused" in refused.reason
    finally:
        platform.stop()


def test_failing_trial_and_cancellations(slurm_cluster, event_log, tmp_path, trial_code):
    platform = _platform(tmp_path, trial_code, "slurmfail")
    platform.start(event_log)
    try:
        platform.submit(_job("fail1", 0, trial_code, x=1, exit=7))
        platform.submit(_job("kill1", 1, trial_code, x=1, sleep=120))
        failed = event_log.exited("fail1", 90)
        assert failed.status == "FAILED" and failed.exit_code == 7 and "exit code 7" in failed.reason

        started = event_log.wait_for(lambda e: isinstance(e, TrialStarted) and e.trial_job_id == "kill1")
        platform.kill("kill1", "USER_CANCELED")
        assert event_log.exited("kill1", 90).status == "USER_CANCELED"

        # A job cancelled behind NNI's back (scancel by the user or an admin) is SYS_CANCELED with the reason.
        platform.submit(_job("scan1", 2, trial_code, x=1, sleep=120))
        started = event_log.wait_for(lambda e: isinstance(e, TrialStarted) and e.trial_job_id == "scan1")
        subprocess.run(["scancel", started.handle["slurm_job_id"]], check=True)
        outside = event_log.exited("scan1", 90)
        assert outside.status == "SYS_CANCELED" and "outside NNI" in outside.reason
    finally:
        platform.stop()


def test_reattach_after_restart_sees_the_rest_of_the_trial(slurm_cluster, event_log, tmp_path, trial_code):
    first = _platform(tmp_path, trial_code, "slurmresm")
    first.start(event_log)
    job = _job("resm1", 0, trial_code, x=2, steps=1, sleep=6)
    first.submit(job)
    started = event_log.wait_for(lambda e: isinstance(e, TrialStarted) and e.trial_job_id == "resm1")
    first_metric = event_log.wait_for(lambda e: isinstance(e, TrialMetric) and e.trial_job_id == "resm1")
    # The manager dies here: the platform object is dropped without stop(); the job keeps running.
    first._stopping.set()
    first._wake.set()

    second_log = EventLog()
    second = _platform(tmp_path, trial_code, "slurmresm")
    second.start(second_log)
    try:
        job.metrics_offset = first_metric.offset
        assert second.reattach(job, started.handle)
        exited = second_log.exited("resm1", 90)
        assert exited.status == "SUCCEEDED"
        metrics = second_log.of("resm1", TrialMetric)
        assert [m.record.type for m in metrics] == ["FINAL"]  # the intermediate one is not read twice
        # A trial Slurm never heard of cannot be re-attached: the manager runs it again.
        assert not second.reattach(_job("ghost", 1, trial_code, x=1), {})
    finally:
        second.stop()


@pytest.mark.parametrize("count", [1, 2])
def test_queued_jobs_and_array_tasks_are_found_on_reattach(slurm_cluster, event_log, tmp_path, trial_code, count):
    exp_id = f"slurmque{count}"
    first = _platform(tmp_path, trial_code, exp_id, sbatch_options=["--hold"])
    first.start(event_log)
    jobs = [_job(f"que{i}{count}", i, trial_code, x=i + 1) for i in range(count)]
    first.submit_many(jobs)  # together: one job array when there are two
    for job in jobs:
        event_log.wait_for(lambda e, j=job: isinstance(e, TrialWaiting) and e.trial_job_id == j.trial_job_id)
    first._stopping.set()  # the manager dies; the held jobs stay queued
    first._wake.set()

    second_log = EventLog()
    second = _platform(tmp_path, trial_code, exp_id)
    second.start(second_log)
    try:
        for job in jobs:  # no handle: the jobs were still queued when the manager died
            assert second.reattach(job, {})
        found = [second._trials[job.trial_job_id].slurm_job_id for job in jobs]
        assert len(set(found)) == count and (count == 1 or all("_" in j for j in found))
        subprocess.run(["scontrol", "release", found[0].split("_")[0]], check=True)
        for i, job in enumerate(jobs):
            assert second_log.exited(job.trial_job_id, 90).status == "SUCCEEDED"
            final = [m for m in second_log.of(job.trial_job_id, TrialMetric) if m.record.type == "FINAL"]
            assert final[0].record.value["default"] == (i + 1) * 10  # each task ran its own trial
    finally:
        second.stop()


def test_kill_before_submission_and_one_array_task(slurm_cluster, event_log, tmp_path, trial_code):
    platform = _platform(tmp_path, trial_code, "slurmkila")
    platform.start(event_log)
    try:
        platform.submit_many([_job(f"kil{i}a", i, trial_code, x=1, sleep=60 if i == 1 else 0) for i in range(3)])
        platform.kill("kil2a", "USER_CANCELED")  # right after submit: maybe before sbatch ran
        assert event_log.exited("kil2a", 90).status == "USER_CANCELED"
        event_log.wait_for(lambda e: isinstance(e, TrialStarted) and e.trial_job_id == "kil1a")
        platform.kill("kil1a", "EARLY_STOPPED")
        assert event_log.exited("kil1a", 90).status == "EARLY_STOPPED"
        assert event_log.exited("kil0a", 90).status == "SUCCEEDED"  # its sibling task is untouched
    finally:
        platform.stop()


@pytest.mark.slow
def test_job_over_its_time_limit_is_a_failed_trial_with_slurms_reason(slurm_cluster, event_log, tmp_path,
                                                                       trial_code):
    platform = _platform(tmp_path, trial_code, "slurmtime", time_limit=60)
    platform.start(event_log)
    try:
        platform.submit(_job("time1", 0, trial_code, x=1, sleep=600))
        exited = event_log.exited("time1", timeout=240)
        assert exited.status == "FAILED" and "time limit" in exited.reason and "TIMEOUT" in exited.reason
    finally:
        platform.stop()


def test_stop_cancels_every_job(slurm_cluster, event_log, tmp_path, trial_code):
    platform = _platform(tmp_path, trial_code, "slurmstop")
    platform.start(event_log)
    platform.submit(_job("stop1", 0, trial_code, x=1, sleep=300))
    platform.submit(_job("stop2", 1, trial_code, x=1, sleep=300))
    event_log.wait_for(lambda e: isinstance(e, TrialStarted) and e.trial_job_id == "stop1")
    platform.stop()
    statuses = {e.trial_job_id: e.status for e in event_log.events if isinstance(e, TrialExited)}
    assert statuses == {"stop1": "SYS_CANCELED", "stop2": "SYS_CANCELED"}
    out = subprocess.run(["squeue", "--me", "-h", "-t", "PENDING,RUNNING", "-o", "%j"], capture_output=True,
                         text=True, check=True).stdout
    assert "nni-slurmstop-" not in out


def test_requirements_sbatch_on_path_and_a_writable_shared_folder(tmp_path, monkeypatch):
    from nni.errors import ConfigError

    SlurmPlatform.check_requirements(_config(shared_directory=str(tmp_path / "new" / "folder")))  # created later
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"needs the Slurm client commands sbatch, squeue, scancel on PATH"):
        SlurmPlatform.check_requirements(_config())
    monkeypatch.undo()
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ConfigError, match=r"sharedDirectory.*cannot be written"):
        SlurmPlatform.check_requirements(_config(shared_directory=str(tmp_path / "a_file" / "sub")))
