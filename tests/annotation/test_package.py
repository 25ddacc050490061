"""Annotation mode on a real annotated trial folder: generated space, instrumented copy, both run modes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nni.annotation import generate_search_space, prepare
from nni.runtime import trial_channel

CODE = Path(__file__).parent / "code"
REPO = Path(__file__).resolve().parents[2]

EXPECTED_SPACE = {
    "trial/self.epochs/randint": {"_type": "randint", "_value": [2, 6]},
    "trial/self.warmup/quniform": {"_type": "quniform", "_value": [0, 10, 2.5]},
    "trial/batch/qloguniform": {"_type": "qloguniform", "_value": [1, 1000, 10]},
    "trial/lr/loguniform": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "trial/noise/normal": {"_type": "normal", "_value": [0, 1]},
    "trial/width/qnormal": {"_type": "qnormal", "_value": [10, 2, 1]},
    "trial/scale/lognormal": {"_type": "lognormal", "_value": [0, 1]},
    "trial/gain/qlognormal": {"_type": "qlognormal", "_value": [1, 0.5, 0.5]},
    "trial/activation/function_choice": {
        "_type": "choice",
        "_value": ["relu(noise)", "tanh(noise)", "scaled(noise, 2)"],
    },
    "trial/OPTIMIZER/choice": {"_type": "choice", "_value": ["sgd", "adam"]},
    "trial/__line78/choice": {"_type": "choice", "_value": [8, 16]},
    "trial/LAYERS/choice": {"_type": "choice", "_value": ["[64, 32]", "[128]", "nni.choice(8, 16)"]},
    "trial/DROPOUT/uniform": {"_type": "uniform", "_value": [0.1, 0.5]},
    "models.net/self.hidden/choice": {"_type": "choice", "_value": [16, 32, 64]},
}

DEFAULTS = {
    "optimizer": "sgd",
    "layers": [64, 32],
    "dropout": 0.25,
    "lr": 0.01,
    "noise": 0.5,
    "width": 8,
    "scale": 1.0,
    "gain": 2.0,
    "activation_value": 0.5,
    "epochs": 3,
    "warmup": 5.0,
    "hidden": 32,
}


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run(script: Path, env_extra: dict[str, str]) -> tuple[dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(env_extra)
    proc = subprocess.run(
        [sys.executable, script.name], cwd=script.parent, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("VALUES "))
    return json.loads(line[len("VALUES ") :]), proc.stdout


def test_generated_space_matches_the_annotations() -> None:
    assert generate_search_space(CODE) == EXPECTED_SPACE


def test_plain_python_runs_the_original_code_with_defaults() -> None:
    values, out = _run(CODE / "trial.py", {})
    assert values == DEFAULTS
    assert "VALUES" in out


def test_prepare_copies_and_never_touches_user_files(tmp_path: Path) -> None:
    before = _digest(CODE)
    space, out_dir = prepare(CODE, tmp_path / "instrumented")
    assert space == EXPECTED_SPACE
    assert _digest(CODE) == before
    copied = Path(out_dir)
    assert (copied / "README.txt").read_text() == (CODE / "README.txt").read_text()
    assert (copied / "models" / "__init__.py").exists()
    for name in ("trial.py", "models/net.py"):
        original = (CODE / name).read_text().splitlines()
        instrumented = (copied / name).read_text().splitlines()
        assert len(instrumented) == len(original), name  # tracebacks keep the user's line numbers
        assert instrumented != original


def test_instrumented_copy_run_by_hand_still_uses_defaults(tmp_path: Path) -> None:
    _, out_dir = prepare(CODE, tmp_path / "inst")
    values, out = _run(Path(out_dir) / "trial.py", {})
    assert values == DEFAULTS
    assert "[nni standalone] Final result" in out


def _experiment_env(sys_dir: Path) -> dict[str, str]:
    return {
        "NNI_PLATFORM": "local",
        "NNI_SYS_DIR": str(sys_dir),
        "NNI_OUTPUT_DIR": str(sys_dir),
        "NNI_EXP_ID": "annotest",
        "NNI_TRIAL_JOB_ID": "abcde",
        "NNI_TRIAL_SEQ_ID": "0",
    }


def test_instrumented_copy_in_an_experiment_applies_the_parameters(tmp_path: Path) -> None:
    _, out_dir = prepare(CODE, tmp_path / "inst")
    sys_dir = tmp_path / "trial"
    sys_dir.mkdir()
    params = {
        "trial/self.epochs/randint": 4,
        "trial/self.warmup/quniform": 7.5,
        "trial/batch/qloguniform": 20.0,
        "trial/lr/loguniform": 0.05,
        "trial/noise/normal": -0.3,
        "trial/width/qnormal": 11.0,
        "trial/scale/lognormal": 2.5,
        "trial/gain/qlognormal": 3.5,
        "trial/activation/function_choice": "scaled(noise, 2)",
        "trial/OPTIMIZER/choice": "adam",
        "trial/__line78/choice": 16,
        "trial/LAYERS/choice": "nni.choice(8, 16)",
        "trial/DROPOUT/uniform": 0.4,
        "models.net/self.hidden/choice": 64,
    }
    trial_channel.write_parameter_file(sys_dir, 7, params)
    values, _ = _run(Path(out_dir) / "trial.py", _experiment_env(sys_dir))
    assert values == {
        "optimizer": "adam",
        "layers": 16,
        "dropout": 0.4,
        "lr": 0.05,
        "noise": -0.3,
        "width": 11.0,
        "scale": 2.5,
        "gain": 3.5,
        "activation_value": -0.6,
        "epochs": 4,
        "warmup": 7.5,
        "hidden": 64,
    }
    records, _, errors = trial_channel.decode_metrics((sys_dir / trial_channel.METRICS_FILE).read_bytes())
    assert errors == []
    periodical = [r for r in records if r.type == "PERIODICAL"]
    final = [r for r in records if r.type == "FINAL"]
    assert [r.value["epoch"] for r in periodical] == [0, 1, 2, 3]  # epochs=4 from the parameters
    assert [r.sequence for r in periodical] == [0, 1, 2, 3]
    assert len(final) == 1 and final[0].parameter_id == 7
    assert final[0].value == pytest.approx(periodical[-1].value["default"])


def test_missing_parameter_in_an_experiment_names_the_key(tmp_path: Path) -> None:
    _, out_dir = prepare(CODE, tmp_path / "inst")
    sys_dir = tmp_path / "trial"
    sys_dir.mkdir()
    trial_channel.write_parameter_file(sys_dir, 1, {"something/else/choice": 1})
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    env.update(_experiment_env(sys_dir), PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "trial.py"], cwd=out_dir, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert "trial/OPTIMIZER/choice" in proc.stderr


def test_prepare_refuses_a_non_empty_output_and_writes_nothing_on_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("x")
    with pytest.raises(Exception, match="not empty"):
        prepare(CODE, out)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "t.py").write_text("'''@nni.variable(nni.choice(1, 2), name=x)'''\ny = 1\n")
    with pytest.raises(Exception, match="t.py:1"):
        prepare(bad, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_prepare_refuses_code_without_any_parameter(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "t.py").write_text("'''@nni.report_final_result(1)'''\n")
    with pytest.raises(Exception, match="no .py file here declares a parameter"):
        prepare(code, tmp_path / "out")
    assert not (tmp_path / "out").exists()
