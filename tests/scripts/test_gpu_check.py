"""The GPU check's report (scripts/gpu_check.py), on a recorded run: two GPUs as NVML returns them, six trials."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gpu_check.py"
RECORDED = Path(__file__).with_name("nvml_run.json")


@pytest.fixture(scope="module")
def gpu_check() -> Any:
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run() -> dict[str, Any]:
    return json.loads(RECORDED.read_text())


def test_the_report_of_a_good_run(gpu_check: Any, run: dict[str, Any]) -> None:
    text, ok = gpu_check.report(run)
    assert ok, text
    assert "GPUs NVML sees: 2" in text and "1: NVIDIA H100 80GB HBM3 (81559 MiB" in text
    assert "Two trials on one GPU at once (maxTrialNumberPerGpu 1): never" in text
    assert "most compute processes NVML saw on one GPU at once: 1" in text
    assert "Trials that waited for a GPU: 3" in text
    assert "  jK2lM: no free GPU: needs 1, 0 free (maxTrialNumberPerGpu 1)" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("nO5pQ"))
    assert row.split()[1:4] == ["EARLY_STOPPED", "1", "1"] and "22.7s" in row  # waited until GPU 1 was free
    gpu0 = [s["utilization_gpu"] for s in run["samples"] if s["gpu"] == 0]
    assert f"GPU 0: mean {sum(gpu0) / len(gpu0):.0f}%, max {max(gpu0)}%" in text
    assert f"Trials per hour: {6 / (63.5 / 3600):.0f} (6 finished in 1.1 min, 4 at once on 2 GPU(s))" in text
    assert text.endswith("GPU check: PASSED")


def test_two_trials_on_one_gpu_fail_the_check(gpu_check: Any, run: dict[str, Any]) -> None:
    shared = copy.deepcopy(run)
    late = next(t for t in shared["trials"] if t["trial_job_id"] == "jK2lM")
    late["start_time"] -= 5  # starts on GPU 0 before Ab3dE has ended
    text, ok = gpu_check.report(shared)
    assert not ok
    assert "Two trials on one GPU at once (maxTrialNumberPerGpu 1): 1 time(s)" in text
    assert "FAIL: GPU 0: Ab3dE and jK2lM ran at the same time" in text
    assert gpu_check.shared_gpu_spans(run["trials"]) == []


def test_nvml_process_lists_and_devices_are_checked_too(gpu_check: Any, run: dict[str, Any]) -> None:
    crowded = copy.deepcopy(run)
    crowded["samples"][10]["pids"] = [1, 2]
    assert "most compute processes NVML saw on one GPU at once: 2" in gpu_check.report(crowded)[0]
    assert not gpu_check.report(crowded)[1]
    wrong = copy.deepcopy(run)
    wrong["trials"][0]["cuda_visible_devices"] = "0,1"
    text, ok = gpu_check.report(wrong)
    assert not ok and "FAIL: the trial saw CUDA_VISIBLE_DEVICES=0,1, NNI assigned 0" in text


def test_the_script_prints_a_recorded_report_and_says_when_there_is_no_gpu(gpu_check: Any) -> None:
    printed = subprocess.run([sys.executable, str(SCRIPT), "--report", str(RECORDED)], capture_output=True,
                             text=True, timeout=60)
    assert printed.returncode == 0 and printed.stdout.strip().endswith("GPU check: PASSED")
    if not gpu_check.nvml_gpus():  # this machine: no GPU, one line and exit code 2
        bare = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60)
        assert bare.returncode == 2 and "NVML sees no GPU" in bare.stdout
