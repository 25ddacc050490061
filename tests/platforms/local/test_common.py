"""What the platforms share (nni.platforms._common): the trial environment, the trial-file check, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.errors import NNIError
from nni.platforms._common import (
    TrialFileError,
    metric_events,
    trial_environment,
    trial_file_name,
    trial_file_path,
)
from nni.platforms.base import TrialJob


def _job(**env: str) -> TrialJob:
    return TrialJob("abcde", 4, 4, {}, "true", "/code", env=dict(env))


def test_environment_precedence_base_then_job_env_then_nni() -> None:
    base = {"PATH": "/bin", "KEEP": "base", "SHADOW": "base", "CUDA_VISIBLE_DEVICES": "0,1", "NNI_EXP_ID": "old"}
    job = _job(SHADOW="job", NNI_TRIAL_JOB_ID="wrong", NNI_SYS_DIR="/elsewhere", CUDA_VISIBLE_DEVICES="5")
    env = trial_environment(job, platform="local", experiment_id="exp12345", trial_dir="/t/abcde",
                            code_dir="/code", gpus=[2], base=base)
    assert env["KEEP"] == "base" and env["SHADOW"] == "job" and env["PATH"] == "/bin"
    assert env["NNI_TRIAL_JOB_ID"] == "abcde" and env["NNI_SYS_DIR"] == env["NNI_OUTPUT_DIR"] == "/t/abcde"
    assert (env["NNI_EXP_ID"], env["NNI_PLATFORM"], env["NNI_TRIAL_SEQ_ID"], env["NNI_CODE_DIR"]) == \
        ("exp12345", "local", "4", "/code")
    assert env["CUDA_VISIBLE_DEVICES"] == "2"
    # no GPU assigned: no CUDA_VISIBLE_DEVICES at all, neither the base's nor the job's
    assert "CUDA_VISIBLE_DEVICES" not in trial_environment(job, platform="remote", experiment_id="e", trial_dir="/t",
                                                           code_dir="/c", gpus=(), base=base)


def test_trial_file_check_one_error_for_every_way_out(tmp_path: Path) -> None:
    folder = tmp_path / "trials" / "abcde"
    folder.mkdir(parents=True)
    (folder / "stdout").write_text("hi")
    (tmp_path / "secret").write_text("no")
    (folder / "link").symlink_to(tmp_path / "secret")
    assert trial_file_path(folder, "abcde", "stdout").read_text() == "hi"
    assert trial_file_name("abcde", "sub/../stdout") == "stdout"
    for name in ("../secret", "/etc/passwd", "..", ".", "link", "a/../../secret"):
        with pytest.raises(TrialFileError, match=r"is outside the trial.s folder \(trial abcde\)") as info:
            trial_file_path(folder, "abcde", name)
        assert isinstance(info.value, NNIError) and isinstance(info.value, PermissionError)


def test_metric_events_carry_absolute_offsets_and_leave_a_partial_line() -> None:
    line = b'{"trial_job_id":"abcde","parameter_id":1,"type":"FINAL","sequence":0,"value":0.5,"timestamp":1.0}\n'
    events, end, errors = metric_events("abcde", line + b"garbage\n" + b'{"trial', 100)
    assert [(e.record.value, e.offset) for e in events] == [(0.5, 100 + len(line))]
    assert end == 100 + len(line) + len(b"garbage\n") and len(errors) == 1
