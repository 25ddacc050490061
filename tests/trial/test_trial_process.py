"""The trial API in real trial processes: inside an experiment (NNI_* env + parameter.cfg) and standalone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nni
from nni.runtime import trial_channel

REPO = str(Path(nni.__file__).resolve().parent.parent)

TRIAL = textwrap.dedent('''
    import json, sys
    import nni

    params = nni.get_next_parameter()
    print("PARAMS " + json.dumps(params))
    print("IDS " + json.dumps([nni.get_experiment_id(), nni.get_trial_id(), nni.get_sequence_id()]))
    print("CURRENT " + json.dumps(nni.get_current_parameter("lr") if params else None))
    for epoch in range(3):
        nni.report_intermediate_result(0.1 * (epoch + 1))
    nni.report_final_result({"default": 0.9, "loss": 0.25, "note": "text", "per_class": [0.5, 1]})
''')


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = cwd / "trial.py"
    path.write_text(script)
    return subprocess.run([sys.executable, str(path)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def _lines(stdout: str, tag: str) -> object:
    for line in stdout.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1:])
    raise AssertionError(f"no {tag} line in {stdout!r}")


def test_trial_inside_experiment(tmp_path: Path) -> None:
    sys_dir = tmp_path / "trials" / "Ab3dE"
    sys_dir.mkdir(parents=True)
    params = {"lr": 0.01, "optimizer": {"_name": "sgd", "momentum": 0.9}, "layers": 3}
    trial_channel.write_parameter_file(sys_dir, 7, params)
    env = _env(NNI_PLATFORM="local", NNI_EXP_ID="x1y2z3w4", NNI_TRIAL_JOB_ID="Ab3dE", NNI_SYS_DIR=str(sys_dir),
               NNI_OUTPUT_DIR=str(sys_dir), NNI_TRIAL_SEQ_ID="4", NNI_CODE_DIR=str(tmp_path))
    result = _run(TRIAL, tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout, "PARAMS") == params
    assert _lines(result.stdout, "IDS") == ["x1y2z3w4", "Ab3dE", 4]
    assert _lines(result.stdout, "CURRENT") == 0.01
    assert "[nni standalone]" not in result.stdout
    records, consumed, errors = trial_channel.decode_metrics((sys_dir / trial_channel.METRICS_FILE).read_bytes())
    assert errors == [] and consumed > 0
    assert [(r.type, r.sequence, r.parameter_id, r.trial_job_id) for r in records] == [
        ("PERIODICAL", 0, 7, "Ab3dE"), ("PERIODICAL", 1, 7, "Ab3dE"), ("PERIODICAL", 2, 7, "Ab3dE"),
        ("FINAL", 0, 7, "Ab3dE")]
    assert [r.value for r in records[:3]] == pytest.approx([0.1, 0.2, 0.3])
    # A dict metric is kept whole: every key, not only 'default'.
    assert records[3].value == {"default": 0.9, "loss": 0.25, "note": "text", "per_class": [0.5, 1]}


def test_trial_standalone(tmp_path: Path) -> None:
    result = _run(TRIAL, tmp_path, _env())
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout, "PARAMS") == {}
    assert _lines(result.stdout, "IDS") == ["STANDALONE", "STANDALONE", 0]
    assert "[nni standalone] Intermediate result: 0.1" in result.stdout
    assert "[nni standalone] Final result: {'default': 0.9, 'loss': 0.25" in result.stdout
    assert not (tmp_path / ".nni").exists(), "standalone trials must not write the metrics channel"


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("float('nan')", "final metric must be finite, got nan"),
        ("float('inf')", "final metric must be finite, got inf"),
        ("'0.5'", "final metric must be a number, got '0.5' (str)"),
        ("{'loss': 0.1}", "is a dict without a 'default' key"),
        ("{'default': float('nan')}", "'default' of final metric must be finite, got nan"),
        ("None", "final metric must be a number, got None (NoneType)"),
        ("True", "final metric must be a number, got True (bool)"),
    ],
)
@pytest.mark.parametrize("standalone", [True, False])
def test_bad_metric_refused(tmp_path: Path, metric: str, message: str, standalone: bool) -> None:
    env = _env()
    if not standalone:
        trial_channel.write_parameter_file(tmp_path, 0, {})
        env.update(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path), NNI_TRIAL_JOB_ID="Zz9yX")
    result = _run(f"import nni\nnni.get_next_parameter()\nnni.report_final_result({metric})\n", tmp_path, env)
    assert result.returncode != 0
    assert "nni.errors.TrialAPIError" in result.stderr
    assert message in result.stderr
    metrics = tmp_path / trial_channel.METRICS_FILE
    assert not metrics.exists() or metrics.read_bytes() == b""


def test_numpy_metrics_become_plain_numbers(tmp_path: Path) -> None:
    trial_channel.write_parameter_file(tmp_path, 3, {"x": 1})
    env = _env(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path), NNI_TRIAL_JOB_ID="Np001")
    script = ("import numpy as np, nni\nnni.get_next_parameter()\n"
              "nni.report_intermediate_result(np.float32(0.5))\n"
              "nni.report_final_result({'default': np.float64(0.75), 'n': np.int64(3)})\n")
    result = _run(script, tmp_path, env)
    assert result.returncode == 0, result.stderr
    records, _, errors = trial_channel.decode_metrics((tmp_path / trial_channel.METRICS_FILE).read_bytes())
    assert errors == []
    assert [r.value for r in records] == [0.5, {"default": 0.75, "n": 3}]


def test_missing_parameter_file_is_explained(tmp_path: Path) -> None:
    env = _env(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path / "nowhere"), NNI_TRIAL_JOB_ID="Ab3dE")
    result = _run("import nni\nnni.get_next_parameter()\n", tmp_path, env)
    assert result.returncode != 0
    assert "no parameter file 'parameter.cfg' in NNI_SYS_DIR=" in result.stderr
    assert "unset NNI_PLATFORM to run standalone" in result.stderr


def test_declared_objectives_lift_the_default_key(tmp_path: Path) -> None:
    """With several objectives the manager sets NNI_OBJECTIVES: result dicts need no 'default' (the manager
    checks the objectives); values are stored as reported."""
    trial_channel.write_parameter_file(tmp_path, 0, {})
    env = _env(NNI_PLATFORM="local", NNI_SYS_DIR=str(tmp_path), NNI_TRIAL_JOB_ID="Mo001",
               NNI_OBJECTIVES="accuracy,latency_ms")
    script = ("import nni\nnni.get_next_parameter()\n"
              "nni.report_intermediate_result({'accuracy': 0.5})\n"
              "nni.report_final_result({'accuracy': 0.9, 'latency_ms': 12, 'memory_mb': 3100.5})\n")
    result = _run(script, tmp_path, env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / trial_channel.METRICS_FILE).read_text().splitlines()]
    values = [json.loads(r["value"]) if isinstance(r["value"], str) else r["value"] for r in records]
    assert values[-2:] == [{"accuracy": 0.5}, {"accuracy": 0.9, "latency_ms": 12, "memory_mb": 3100.5}]
