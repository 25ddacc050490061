"""GPU scheduling of the local platform with a fixed GPU set (real processes, fake GPUs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.platforms._gpu import GpuScheduler, NvmlInventory, parse_gpu_indices
from nni.platforms.base import TrialJob, TrialStarted, TrialWaiting
from nni.platforms.local import FixedGpus, LocalPlatform
from nni.testing import EventLog

_CMD = 'echo "${CUDA_VISIBLE_DEVICES-unset}" > "$NNI_OUTPUT_DIR/cvd"; sleep 0.6'


def _job(i: int, gpus: int, code: Path) -> TrialJob:
    return TrialJob(f"gpu{i:02d}", i, i, {}, _CMD, str(code), gpu_number=gpus)


def _run(tmp_path: Path, jobs: int, gpus: int, **options):  # type: ignore[no-untyped-def]
    platform = LocalPlatform(tmp_path, "gputest1", **options)
    log = EventLog()
    platform.start(log)
    submitted = [_job(i, gpus, tmp_path) for i in range(jobs)]
    try:
        for job in submitted:
            platform.submit(job)
        exits = [log.exited(job.trial_job_id, 30) for job in submitted]
    finally:
        platform.stop()
    cvd = {j.trial_job_id: (tmp_path / "trials" / j.trial_job_id / "cvd").read_text().strip()
           for j, e in zip(submitted, exits, strict=True) if e.status == "SUCCEEDED"}
    return log, submitted, exits, cvd


def test_trials_wait_for_free_gpus_and_get_their_own(tmp_path: Path) -> None:
    log, jobs, exits, cvd = _run(tmp_path, 3, 1, gpu_inventory=FixedGpus(2))
    assert all(e.status == "SUCCEEDED" for e in exits)
    waiting = [e for e in log.events if isinstance(e, TrialWaiting)]
    assert [w.trial_job_id for w in waiting] == ["gpu02"]
    assert "no free GPU: needs 1, 0 free" in waiting[0].reason
    assert {cvd["gpu00"], cvd["gpu01"]} == {"0", "1"}
    started = {e.trial_job_id: e.timestamp for e in log.events if isinstance(e, TrialStarted)}
    first_end = min(e.timestamp for e in exits[:2])
    assert started["gpu02"] >= first_end - 0.05


def test_gpu_indices_and_trials_per_gpu(tmp_path: Path) -> None:
    _log, _jobs, exits, cvd = _run(tmp_path, 4, 1, gpu_inventory=FixedGpus(4), gpu_indices="1,3",
                                   max_trial_number_per_gpu=2)
    assert all(e.status == "SUCCEEDED" for e in exits)
    assert sorted(cvd.values()) == ["1", "1", "3", "3"]


def test_multi_gpu_trial_and_busy_gpu(tmp_path: Path) -> None:
    _log, _jobs, exits, cvd = _run(tmp_path, 1, 2, gpu_inventory=FixedGpus(3, busy=[1]))
    assert exits[0].status == "SUCCEEDED" and cvd["gpu00"] == "0,2"


def test_impossible_request_fails_and_no_gpu_trials_see_none(tmp_path: Path) -> None:
    _log, _jobs, exits, _cvd = _run(tmp_path / "a", 1, 3, gpu_inventory=FixedGpus(2))
    assert exits[0].status == "FAILED" and "needs 3 GPU(s) but this machine has 2" in exits[0].reason
    _log, _jobs, exits, cvd = _run(tmp_path / "b", 1, 0, gpu_inventory=FixedGpus(2))
    assert cvd["gpu00"] == "unset"


def test_a_machine_without_nvidia_gpus_says_what_to_do(tmp_path: Path) -> None:
    """A Mac (or any machine without NVML) has no GPUs: a trial asking for one fails at once, saying why."""
    _log, _jobs, exits, _cvd = _run(tmp_path, 1, 1, gpu_inventory=FixedGpus(0))
    assert exits[0].status == "FAILED"
    assert exits[0].reason == ("the trial needs 1 GPU(s) but NVML finds no NVIDIA GPU on this machine (a Mac has "
                               "none: set trialGpuNumber: 0 and let the trial choose PyTorch's 'mps' device)")


def test_nvml_without_gpus_is_no_gpus_and_indices_parse() -> None:
    assert isinstance(NvmlInventory().gpus(), list)  # no driver here: an empty list, not an error
    assert parse_gpu_indices("0, 2") == [0, 2] and parse_gpu_indices(1) == [1] and parse_gpu_indices(None) is None
    with pytest.raises(ValueError, match="maxTrialNumberPerGpu"):
        GpuScheduler(FixedGpus(1), max_trial_number_per_gpu=0)

